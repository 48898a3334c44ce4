"""Replication lag: each replica's distance behind its primary through a run, and at a promotion.

Reads the history's ``replication`` samples (recorded by
`chaoskit.workload.ReplicationSampler`): per replica, the lag in seconds
(an upper bound: the age of the newest heartbeat it held) and in bytes
(the primary's replication offset minus its own). A promotion (a ``kv.promote``
fault) is judged by the last lag measured on the promoted replica before it:
what it lacked when it became the primary, next to the writes the run lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaoskit.checks._latency import percentile
from chaoskit.checks._sets import rpo
from chaoskit.history import History, Sample

SERIES = "replication"
PROMOTE = "kv.promote"
NO_SAMPLES = (
    "cannot judge: no replication lag was measured (the world has no replica, or the "
    "sampler could not read a primary and its replica)"
)


def _figure(sample: Sample, name: str) -> float | None:
    value = sample.values.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _measured(sample: Sample) -> bool:
    """Both figures read: a sample that counts as a measurement of the lag."""
    return _figure(sample, "seconds") is not None and _figure(sample, "bytes") is not None


@dataclass(frozen=True)
class ReplicaLag:
    """The lag of one replica (by region) over the run.

    `measured` counts samples with a figure in seconds and bytes; `unmeasured`
    those without (store unreachable, no primary reached); `reasons` says why,
    most frequent first.
    """

    region: str
    measured: int
    unmeasured: int
    p99_seconds: float | None
    max_seconds: float | None
    p99_bytes: float | None
    max_bytes: float | None
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "measured": self.measured,
            "unmeasured": self.unmeasured,
            "p99_seconds": self.p99_seconds,
            "max_seconds": self.max_seconds,
            "p99_bytes": self.p99_bytes,
            "max_bytes": self.max_bytes,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class PromotionLag:
    """A promotion and the lag its new primary carried into it.

    `seconds` and `bytes` are the promoted replica's last measured lag (both
    figures read) before the promotion, taken at `measured_at` (None, with `reason`, if never
    measured). `lost_writes` and `rpo` are the run's (`chaoskit.checks.rpo`):
    the acknowledged writes the promotion cost; None when the set check could
    not judge.
    """

    time: float
    fault_id: str | None
    promoted: str | None
    seconds: float | None
    bytes: float | None
    measured_at: float | None
    lost_writes: int | None
    rpo: float | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "fault_id": self.fault_id,
            "promoted": self.promoted,
            "seconds": self.seconds,
            "bytes": self.bytes,
            "measured_at": self.measured_at,
            "lost_writes": self.lost_writes,
            "rpo": self.rpo,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ReplicationLag:
    """Every replica's lag, and every promotion's, from one history."""

    replicas: tuple[ReplicaLag, ...] = ()
    promotions: tuple[PromotionLag, ...] = ()
    points: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @property
    def measured(self) -> int:
        return sum(r.measured for r in self.replicas)

    def worst(self, figure: str) -> tuple[float | None, str]:
        """The worst replica's `figure` (e.g. ``p99_seconds``) and a line saying whose."""
        scored = [(getattr(r, figure), r) for r in self.replicas if getattr(r, figure) is not None]
        if not scored:
            reasons = [x for r in self.replicas for x in r.reasons]
            return None, NO_SAMPLES + (f": {reasons[0]}" if reasons else "")
        value, replica = max(scored, key=lambda s: s[0])
        others = f" (worst of {len(scored)} replicas)" if len(scored) > 1 else ""
        return value, f"replica in {replica.region}, {replica.measured} samples{others}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "replicas": [r.to_dict() for r in self.replicas],
            "promotions": [p.to_dict() for p in self.promotions],
        }


def replication_lag(history: History, target: str | None = None) -> ReplicationLag:
    """The replication lag recorded in `history`: per replica, per promotion, and as points.

    `target` narrows the lost writes quoted with a promotion (see `rpo`).
    ``points`` are the series as plain dicts (``t``, ``region``, ``seconds``,
    ``bytes``) for charts.
    """
    samples = history.samples_of(SERIES)
    by_region: dict[str, list[Sample]] = {}
    for s in samples:
        by_region.setdefault(s.subject, []).append(s)
    replicas = tuple(_replica(region, rows) for region, rows in sorted(by_region.items()))
    promotions = tuple(_promotions(history, by_region, target))
    points = tuple(
        {"t": s.time, "region": s.subject, "seconds": _figure(s, "seconds"), "bytes": _figure(s, "bytes")}
        for s in samples
    )
    return ReplicationLag(replicas, promotions, points)


def _replica(region: str, rows: list[Sample]) -> ReplicaLag:
    seconds = [v for v in (_figure(s, "seconds") for s in rows) if v is not None]
    size = [v for v in (_figure(s, "bytes") for s in rows) if v is not None]
    measured = sum(1 for s in rows if _measured(s))
    counts: dict[str, int] = {}
    for s in rows:
        error = s.values.get("error")
        if error:
            counts[str(error)] = counts.get(str(error), 0) + 1
    reasons = tuple(f"{n}× {text}" for text, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return ReplicaLag(
        region=region,
        measured=measured,
        unmeasured=len(rows) - measured,
        p99_seconds=percentile(seconds, 99),
        max_seconds=max(seconds) if seconds else None,
        p99_bytes=percentile(size, 99),
        max_bytes=max(size) if size else None,
        reasons=reasons[:5],
    )


def _promotions(
    history: History, by_region: dict[str, list[Sample]], target: str | None
) -> list[PromotionLag]:
    events = [e for e in history.events if e.kind == "fault-applied" and e.name == PROMOTE]
    if not events:
        return []
    lost = rpo(history, target)
    lost_writes = None if lost.seconds is None else len(lost.lost)
    out = []
    for e in sorted(events, key=lambda e: e.time):
        promoted = e.detail.get("target")
        promoted = str(promoted) if promoted else None
        rows = [s for s in by_region.get(promoted or "", []) if s.time <= e.time]
        measured = [s for s in rows if _measured(s)]
        last = measured[-1] if measured else None
        if promoted is None:
            reason = "the promotion's event does not name the promoted region"
        elif last is None:
            reason = f"no lag of the replica in {promoted} was measured before the promotion"
        else:
            reason = ""
        out.append(
            PromotionLag(
                time=e.time,
                fault_id=e.id,
                promoted=promoted,
                seconds=None if last is None else _figure(last, "seconds"),
                bytes=None if last is None else _figure(last, "bytes"),
                measured_at=None if last is None else last.time,
                lost_writes=lost_writes,
                rpo=lost.seconds,
                reason=reason or (lost.reason if lost.seconds is None else ""),
            )
        )
    return out
