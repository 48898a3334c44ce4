"""The open-loop schedule of a workload: op n is due at ``start + n / rate``, come what may."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """When each op is due. Ops are started on schedule, not after the previous one ends.

    When every slot is busy the schedule falls behind; once it is more than `catch_up`
    seconds late, the ops it missed are skipped (counted, never started) rather than
    fired in one burst when the world comes back.
    """

    rate: float
    start: float
    stop: float
    catch_up: float = 0.5

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"rate must be > 0 ops/s, not {self.rate!r}")
        if self.stop < self.start:
            raise ValueError("stop is before start")

    def due(self, n: int) -> float:
        return self.start + n / self.rate

    def finished(self, n: int) -> bool:
        """Is op n past the stop time (so it and all later ops are never started)?"""
        return self.due(n) >= self.stop

    def planned(self, until: float | None = None) -> int:
        """How many ops are due before `until` (default: the stop time)."""
        end = self.stop if until is None else min(until, self.stop)
        if end <= self.start:
            return 0
        return math.ceil((end - self.start) * self.rate - 1e-9)

    def catch_up_to(self, n: int, now: float) -> tuple[int, int]:
        """The op to start now instead of `n`, and how many are skipped to get there."""
        if now - self.due(n) <= self.catch_up:
            return n, 0
        current = min(int((now - self.start) * self.rate), self.planned())
        return current, max(0, current - n)
