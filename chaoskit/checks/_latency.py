"""Latency percentiles, by nearest rank, so every figure is a latency some op really had."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chaoskit.history import Op


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`th percentile (0 < p <= 100) of `values`, None if empty.

    The smallest value such that at least `p` % of the values are at or below
    it: ``percentile([1, 2, 3, 4], 50) == 2``; ``percentile(xs, 100) == max(xs)``.
    """
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    if not values:
        return None
    ordered = sorted(values)
    # The epsilon keeps p * n / 100 from rounding up past an exact integer rank.
    rank = math.ceil(p * len(ordered) / 100 - 1e-9)
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Latency:
    """p50/p95/p99 in seconds of a set of successful ops (None when there were none)."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "p50": self.p50, "p95": self.p95, "p99": self.p99}


def latency_of(ops: Iterable[Op]) -> Latency:
    """Percentiles of the latencies of the `ok` ops among `ops`.

    Failed and unknown ops are left out: a timeout's latency is the client's
    timeout, not the service's.
    """
    values = [o.latency for o in ops if o.outcome == "ok"]
    return Latency(
        count=len(values),
        p50=percentile(values, 50),
        p95=percentile(values, 95),
        p99=percentile(values, 99),
    )
