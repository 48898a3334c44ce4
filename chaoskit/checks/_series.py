"""Availability over time: a history cut into fixed windows of ops counts and latencies."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from chaoskit.checks._latency import latency_of
from chaoskit.checks._traffic import traffic
from chaoskit.history import History, Op

# Beyond this a caller asked for something no chart or check can use (e.g. 1 µs
# windows over an hour), and we would only run out of memory building it.
MAX_WINDOWS = 1_000_000


@dataclass(frozen=True)
class Window:
    """Ops that started in ``[start, end)``: counts by outcome and latency of the ok ones."""

    start: float
    end: float
    ok: int
    fail: int
    unknown: int
    p50: float | None
    p95: float | None
    p99: float | None

    @property
    def total(self) -> int:
        return self.ok + self.fail + self.unknown

    @property
    def errors(self) -> int:
        return self.fail + self.unknown

    @property
    def success_rate(self) -> float | None:
        """ok / all ops in the window; None when no op started in it."""
        return self.ok / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "ok": self.ok,
            "fail": self.fail,
            "unknown": self.unknown,
            "success_rate": self.success_rate,
            "p50": self.p50,
            "p95": self.p95,
            "p99": self.p99,
        }


def series(
    history: History,
    window: float = 1.0,
    *,
    target: str | None = None,
    start: float = 0.0,
    end: float | None = None,
) -> list[Window]:
    """Cut the traffic of `history` into windows of `window` seconds from `start`.

    An op belongs to the window its *start* falls in. Windows run until the one
    holding `end` (default: the last op start or event of the history), and
    windows with no ops are kept, with a success rate of None, so the series
    has no holes in time. Final reads are not traffic and are left out.

    >>> [w.ok for w in series(history, 0.05)]  # 50 ms windows
    """
    if not window > 0:
        raise ValueError(f"window must be positive, got {window}")
    ops = [o for o in traffic(history, target) if o.start >= start]
    if end is None:
        instants = [o.start for o in ops] + [e.time for e in history.events if e.time >= start]
        if not instants:
            return []
        end = max(instants)
    else:
        ops = [o for o in ops if o.start <= end]
    if end < start:
        return []
    count = _index(end, start, window) + 1
    if count > MAX_WINDOWS:
        raise ValueError(
            f"{count} windows of {window} s from {start} s to {end} s is too many; "
            f"use a window of at least {(end - start) / MAX_WINDOWS:.6f} s"
        )
    buckets: dict[int, list[Op]] = {}
    for o in ops:
        buckets.setdefault(_index(o.start, start, window), []).append(o)
    windows = []
    for i in range(count):
        bucket = buckets.get(i, [])
        latency = latency_of(bucket)
        windows.append(
            Window(
                start=start + i * window,
                end=start + (i + 1) * window,
                ok=sum(o.outcome == "ok" for o in bucket),
                fail=sum(o.outcome == "fail" for o in bucket),
                unknown=sum(o.outcome == "unknown" for o in bucket),
                p50=latency.p50,
                p95=latency.p95,
                p99=latency.p99,
            )
        )
    return windows


def _index(t: float, origin: float, window: float) -> int:
    # 0.3 / 0.1 is 2.9999999999999996 in floating point: without the nudge an op
    # at 0.3 s would land in the 0.2 s window.
    return math.floor((t - origin) / window + 1e-9)


# Round bucket sizes for a recovery curve, smallest first; a curve has at most about 30.
_NICE_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)
_TARGET_BUCKETS = 30


@dataclass(frozen=True)
class RecoveryCurve:
    """How the service came back after a fault's revert: one `Window` per bucket.

    `since` is the revert; windows run from it to the end of the history (ops that
    started in each). `recovered_at` is where `time_to_recover` puts the recovery
    (None: the service never recovered, or never degraded after the revert).
    """

    fault: str
    since: float
    bucket: float
    windows: list[Window]
    degraded: bool
    recovered_at: float | None

    @property
    def time_to_recover(self) -> float | None:
        if not self.degraded:
            return 0.0
        return None if self.recovered_at is None else self.recovered_at - self.since

    def to_dict(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "since": self.since,
            "bucket": self.bucket,
            "degraded": self.degraded,
            "recovered_at": self.recovered_at,
            "time_to_recover": self.time_to_recover,
            "windows": [{**w.to_dict(), "after_revert": w.start - self.since} for w in self.windows],
        }


def bucket_for(span: float) -> float:
    """A round bucket size that cuts `span` seconds into at most about 30 buckets."""
    for size in _NICE_BUCKETS:
        if span / size <= _TARGET_BUCKETS:
            return size
    return _NICE_BUCKETS[-1]


def recovery_curve(
    history: History,
    fault: Any,
    *,
    bucket: float | None = None,
    sustain: float | None = None,
    min_ops: int | None = None,
    target: str | None = None,
) -> RecoveryCurve | None:
    """Success rate and latency per bucket from `fault`'s revert to the end of the history.

    `fault` is a `FaultWindow` or a fault id. None when the fault was never reverted
    (there is no "after"). `bucket` defaults to a round size giving at most about 30.

    >>> [round(w.success_rate or 0, 2) for w in recovery_curve(history, "dns-1").windows]
    [0.0, 0.1, 0.93, 1.0, 1.0]
    """
    from chaoskit.checks._failover import DEFAULT_MIN_OPS, DEFAULT_SUSTAIN, find_fault, recovery

    window = find_fault(history, fault) if isinstance(fault, str) else fault
    if window.end is None:
        return None
    ops = traffic(history, target)
    end = max([window.end, *(o.start for o in ops)])
    size = bucket if bucket is not None else bucket_for(end - window.end)
    after = recovery(history, window.end, sustain=DEFAULT_SUSTAIN if sustain is None else sustain,
                     min_ops=DEFAULT_MIN_OPS if min_ops is None else min_ops, target=target)
    windows = series(history, size, target=target, start=window.end, end=end) if ops else []
    return RecoveryCurve(window.id, window.end, size, windows, after.degraded, after.recovered_at)
