"""The open-loop schedule of a workload: op n is due at ``start + n / rate``, come what may.

With rate steps (``steps``: from an instant on, another rate), the rate is piecewise
constant and op n is due when the ops due so far, integrated over the rates, reach n.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Schedule:
    """When each op is due. Ops are started on schedule, not after the previous one ends.

    When every slot is busy the schedule falls behind; once it is more than `catch_up`
    seconds late, the ops it missed are skipped (counted, never started) rather than
    fired in one burst when the world comes back. `steps` are ``(instant, rate)`` pairs,
    in order, each instant after `start`: from then on ops are due at that rate.
    """

    rate: float
    start: float
    stop: float
    catch_up: float = 0.5
    steps: tuple[tuple[float, float], ...] = ()
    # Where each rate begins: (instant, ops due before it, rate).
    _segments: tuple[tuple[float, float, float], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"rate must be > 0 ops/s, not {self.rate!r}")
        if self.stop < self.start:
            raise ValueError("stop is before start")
        segments = [(self.start, 0.0, self.rate)]
        for at, rate in self.steps:
            if not rate > 0:
                raise ValueError(f"a rate step's rate must be > 0 ops/s, not {rate!r}")
            t0, n0, r0 = segments[-1]
            if at <= t0:
                raise ValueError("rate steps must be in order, each after the start")
            segments.append((at, n0 + (at - t0) * r0, rate))
        object.__setattr__(self, "_segments", tuple(segments))

    def _ops_before(self, t: float) -> float:
        """Ops due before instant `t` (fractional)."""
        if t <= self.start:
            return 0.0
        i = bisect.bisect_right([s[0] for s in self._segments], t) - 1
        t0, n0, r0 = self._segments[i]
        return n0 + (t - t0) * r0

    def rate_at(self, t: float) -> float:
        i = max(0, bisect.bisect_right([s[0] for s in self._segments], t) - 1)
        return self._segments[i][2]

    def due(self, n: int) -> float:
        i = bisect.bisect_right([s[1] for s in self._segments], n) - 1
        t0, n0, r0 = self._segments[i]
        return t0 + (n - n0) / r0

    def finished(self, n: int) -> bool:
        """Is op n past the stop time (so it and all later ops are never started)?"""
        return self.due(n) >= self.stop

    def planned(self, until: float | None = None) -> int:
        """How many ops are due before `until` (default: the stop time)."""
        end = self.stop if until is None else min(until, self.stop)
        if end <= self.start:
            return 0
        return math.ceil(self._ops_before(end) - 1e-9)

    def catch_up_to(self, n: int, now: float) -> tuple[int, int]:
        """The op to start now instead of `n`, and how many are skipped to get there."""
        if now - self.due(n) <= self.catch_up:
            return n, 0
        current = min(int(self._ops_before(now)), self.planned())
        return current, max(0, current - n)
