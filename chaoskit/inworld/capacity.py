"""A capacity: at most `in_flight` at once and `ops_per_second` started a second.

Shared by the store's gate (`kvgate`) and the reference services. Beyond either limit,
``shed`` refuses at once (the caller answers with a fast error) and ``slow`` makes the
caller wait its turn, first come first served, for at most `max_wait` seconds (then it
is refused after all: nothing waits for ever). Read from ``<PREFIX>_IN_FLIGHT``,
``<PREFIX>_OPS_PER_SECOND`` and ``<PREFIX>_WHEN_FULL`` (see `Capacity.from_env`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .config import ConfigError

#: The longest a request waits its turn with ``when_full: slow`` before it is shed.
MAX_WAIT = 2.0
#: ``ops_per_second`` allows bursts of this many seconds' worth of ops (at least one op).
BURST = 0.1


class Full(Exception):
    """Over capacity: the request is shed."""


@dataclass(frozen=True)
class CapacitySpec:
    in_flight: int | None = None
    ops_per_second: float | None = None
    when_full: str = "shed"

    @classmethod
    def from_env(cls, env: Mapping[str, str], prefix: str) -> CapacitySpec | None:
        """None when neither limit is given; `ConfigError` naming a bad variable."""
        in_flight_text = env.get(f"{prefix}_IN_FLIGHT", "").strip()
        rate_text = env.get(f"{prefix}_OPS_PER_SECOND", "").strip()
        when_full = env.get(f"{prefix}_WHEN_FULL", "").strip() or "shed"
        if when_full not in ("shed", "slow"):
            raise ConfigError(f"{prefix}_WHEN_FULL: {when_full!r} is not shed or slow")
        in_flight = rate = None
        if in_flight_text:
            try:
                in_flight = int(in_flight_text)
            except ValueError:
                in_flight = 0
            if in_flight < 1:
                raise ConfigError(f"{prefix}_IN_FLIGHT: {in_flight_text!r} is not a positive integer")
        if rate_text:
            try:
                rate = float(rate_text)
            except ValueError:
                rate = 0.0
            if not rate > 0 or rate == float("inf"):
                raise ConfigError(f"{prefix}_OPS_PER_SECOND: {rate_text!r} is not a positive number")
        if in_flight is None and rate is None:
            return None
        return cls(in_flight, rate, when_full)

    def describe(self) -> str:
        parts = []
        if self.in_flight is not None:
            parts.append(f"in_flight {self.in_flight}")
        if self.ops_per_second is not None:
            parts.append(f"ops_per_second {self.ops_per_second:g}")
        return f"{', '.join(parts)}, when full: {self.when_full}"


class Limiter:
    """Admits work within a `CapacitySpec`. Thread-safe.

        with limiter.admit():   # raises Full when over capacity (after waiting, if slow)
            ...serve...

    The rate is a GCRA (a token bucket without a timer): each op moves the theoretical
    arrival time on by 1/rate; an op that finds it more than a burst ahead is over.
    """

    def __init__(
        self,
        spec: CapacitySpec,
        *,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spec = spec
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = 0.0  # the theoretical arrival time of the next op
        self._slots = threading.BoundedSemaphore(spec.in_flight) if spec.in_flight else None
        self.admitted = 0
        self.paced = 0
        self.shed = 0
        self.in_flight = 0

    @property
    def slow(self) -> bool:
        return self.spec.when_full == "slow"

    def pace(self) -> None:
        """Count one op against `ops_per_second`: wait its turn (slow) or raise `Full`."""
        rate = self.spec.ops_per_second
        if rate is None:
            return
        with self._lock:
            now = self._clock()
            tat = max(self._tat, now)
            tolerance = max(BURST, 1.0 / rate) - 1.0 / rate
            wait = tat - now - tolerance
            if wait > 0 and (not self.slow or wait > self.max_wait):
                self.shed += 1
                raise Full(f"over capacity: more than {rate:g} ops per second")
            self._tat = tat + 1.0 / rate
            self.paced += 1
        if wait > 0:
            self._sleep(wait)

    def acquire(self) -> None:
        """Count one op and take an in-flight slot (raise `Full` when shed); pair with `release`."""
        self.pace()
        self.occupy()

    def occupy(self) -> None:
        """Take an in-flight slot only: wait for one (slow) or raise `Full`; pair with `release`."""
        if self._slots is not None:
            got = self._slots.acquire(timeout=self.max_wait) if self.slow else self._slots.acquire(False)
            if not got:
                with self._lock:
                    self.shed += 1
                raise Full(f"over capacity: {self.spec.in_flight} in flight")
        with self._lock:
            self.admitted += 1
            self.in_flight += 1

    def release(self) -> None:
        with self._lock:
            self.in_flight -= 1
        if self._slots is not None:
            self._slots.release()

    def admit(self) -> _Admission:
        return _Admission(self)

    def stats(self) -> dict[str, object]:
        return {"capacity": self.spec.describe(), "admitted": self.admitted, "ops": self.paced,
                "shed": self.shed,
                "in_flight": self.in_flight}


class _Admission:
    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    def __enter__(self) -> None:
        self.limiter.acquire()

    def __exit__(self, *exc: object) -> None:
        self.limiter.release()
