"""The headline figures of a run, as one JSON-ready dict for reports and dashboards."""

from __future__ import annotations

from typing import Any

from chaoskit.checks._failover import (
    DEFAULT_MIN_OPS,
    DEFAULT_SUSTAIN,
    fault_windows,
    impact,
)
from chaoskit.checks._latency import latency_of
from chaoskit.checks._reads import stale_reads
from chaoskit.checks._replication import replication_lag
from chaoskit.checks._series import recovery_curve
from chaoskit.checks._sets import check_set, rpo
from chaoskit.checks._traffic import history_end, traffic
from chaoskit.history import History


def summary(
    history: History,
    *,
    sustain: float = DEFAULT_SUSTAIN,
    min_ops: int = DEFAULT_MIN_OPS,
    target: str | None = None,
) -> dict[str, Any]:
    """Headline figures of `history`: ops by outcome, latency, each fault's impact and
    recovery curve (`recovery_curve`, for each reverted fault), lost writes, RPO, stale
    reads and replication lag (per replica, and at each promotion). Everything in it is
    plain JSON (numbers, strings, None).

    `lost_writes` is None when some target has no final read to judge by.
    """
    ops = traffic(history, target)
    ok = sum(o.outcome == "ok" for o in ops)
    sets = check_set(history, target)
    judged = bool(sets) and all(c.judged for c in sets)
    reads = stale_reads(history, target)
    return {
        "duration": history_end(history),
        "ops": {
            "total": len(ops),
            "ok": ok,
            "fail": sum(o.outcome == "fail" for o in ops),
            "unknown": sum(o.outcome == "unknown" for o in ops),
        },
        "success_rate": ok / len(ops) if ops else None,
        "latency": latency_of(ops).to_dict(),
        "faults": [
            impact(history, w, sustain=sustain, min_ops=min_ops, target=target).to_dict()
            for w in fault_windows(history)
        ],
        "recovery_curves": [
            curve.to_dict()
            for w in fault_windows(history)
            if (curve := recovery_curve(history, w, sustain=sustain, min_ops=min_ops, target=target))
            is not None
        ],
        "sets": [c.to_dict() for c in sets],
        "acknowledged_writes": sum(len(c.acknowledged) for c in sets),
        "lost_writes": sum(len(c.lost) for c in sets) if judged else None,
        "rpo": rpo(history, target).seconds,
        "reads": reads.reads,
        "stale_reads": reads.count,
        "replication": replication_lag(history, target).to_dict(),
        "sustain": sustain,
        "min_ops": min_ops,
    }
