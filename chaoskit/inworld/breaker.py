"""A circuit breaker per endpoint, so a dead endpoint is not hammered and requests fail fast.

closed --N consecutive failures--> open --cool-down--> half-open (one trial request)
half-open --trial succeeds--> closed;  half-open --trial fails--> open again
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class Breaker:
    """Thread-safe; `on_change(old, new, why)` is called on every state change."""

    def __init__(
        self,
        name: str,
        *,
        failures: int = 5,
        cooldown: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, str, str], None] | None = None,
    ) -> None:
        if failures < 1 or cooldown < 0:
            raise ValueError("failures must be >= 1 and cooldown >= 0")
        self.name = name
        self.threshold = failures
        self.cooldown = cooldown
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_at: float | None = None

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.cooldown:
                return HALF_OPEN
            return self._state

    def allow(self) -> bool:
        """May a request go to this endpoint now? In half-open, only one trial at a time."""
        changed: tuple[str, str, str] | None = None
        with self._lock:
            now = self._clock()
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if now - self._opened_at < self.cooldown:
                    return False
                changed = (OPEN, HALF_OPEN, f"cool-down of {self.cooldown:g}s over")
                self._state = HALF_OPEN
                self._trial_at = None
            # half-open: one trial; a trial that never reported is given up after a cool-down
            allowed = self._trial_at is None or now - self._trial_at >= max(self.cooldown, 0.001)
            if allowed:
                self._trial_at = now
        if changed:
            self._notify(*changed)
        return allowed

    def success(self) -> None:
        changed: tuple[str, str, str] | None = None
        with self._lock:
            self._failures = 0
            if self._state != CLOSED:
                changed = (self._state, CLOSED, "trial request succeeded")
                self._state = CLOSED
                self._trial_at = None
        if changed:
            self._notify(*changed)

    def failure(self) -> None:
        changed: tuple[str, str, str] | None = None
        with self._lock:
            self._failures += 1
            if self._state == HALF_OPEN:
                changed = (HALF_OPEN, OPEN, "trial request failed")
            elif self._state == CLOSED and self._failures >= self.threshold:
                changed = (CLOSED, OPEN, f"{self._failures} consecutive failures")
            if changed:
                self._state = OPEN
                self._opened_at = self._clock()
                self._trial_at = None
        if changed:
            self._notify(*changed)

    def _notify(self, old: str, new: str, why: str) -> None:
        if self._on_change is not None:
            self._on_change(old, new, why)
