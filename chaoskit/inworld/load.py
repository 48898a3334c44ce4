"""How the orders service treats load: its retries, its replay queue and its load shedding.

Three settings (`LOADS`), chosen with ``ORDERS_LOAD`` or at run time (``POST /admin/load``):

- ``default``: what the exits always did (jittered backoff, a queue of ``ORDERS_QUEUE_MAX``);
- ``naive``: aggressive retries without backoff on short per-attempt timeouts, and an
  unbounded replay queue drained one write at a time, as fast as it goes;
- ``resilient``: jittered exponential backoff, a retry budget, a bounded queue drained in
  paced batches, and load shedding beyond a number of requests in flight.

Retries need the ``retries`` exit and the queue the ``write-queue`` exit; the setting
says how they behave.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from .config import Config, ConfigError

LOADS = ("default", "naive", "resilient")


@dataclass(frozen=True)
class LoadPolicy:
    name: str = "default"
    #: "jittered" (full jitter, exponential) or "none" (the next attempt at once).
    retry_backoff: str = "jittered"
    retry_attempts: int = 3
    #: Seconds one attempt may take; None: the kv timeout.
    attempt_timeout: float | None = None
    #: Retries allowed per request, on average (a token bucket); None: no budget.
    retry_budget: float | None = None
    #: Writes the replay queue holds at most; None: unbounded.
    queue_max: int | None = 10_000
    #: While anything is queued, new writes join the queue (order kept; no store work).
    #: False: every write tries the store first and only a failed one is queued.
    queue_first: bool = True
    queue_batch: int = 100
    #: The drainer retries a batch within one call as requests do (False: one attempt,
    #: with the kv timeout).
    drain_retries: bool = True
    #: Seconds the drainer waits after a failed batch (doubled, with jitter, up to 8x).
    queue_retry: float = 0.1
    queue_backoff: bool = False
    #: Requests in flight beyond which the service answers 503 at once; None: never.
    shed_in_flight: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def policy(name: str, config: Config) -> LoadPolicy:
    """The setting `name` for a service configured by `config`; `ConfigError` if unknown."""
    if name == "default":
        return LoadPolicy("default", retry_attempts=config.retry_attempts, queue_max=config.queue_max)
    if name == "naive":
        return LoadPolicy("naive", retry_backoff="none", retry_attempts=10, attempt_timeout=0.25,
                          queue_max=None, queue_first=False, queue_batch=25, drain_retries=False,
                          queue_retry=0.5)
    if name == "resilient":
        return LoadPolicy("resilient", retry_backoff="jittered", retry_attempts=3,
                          retry_budget=0.1, queue_max=min(config.queue_max, 500), queue_batch=10,
                          queue_retry=0.25, queue_backoff=True, shed_in_flight=16)
    raise ConfigError(f"unknown load setting {name!r}: use one of {', '.join(LOADS)}")


class RetryBudget:
    """Retries as a share of requests: every request earns `ratio` of a retry (up to `cap`
    saved), every retry spends one. Thread-safe."""

    def __init__(self, ratio: float, cap: float = 10.0) -> None:
        self.ratio = ratio
        self.cap = cap
        self._tokens = cap
        self._lock = threading.Lock()
        self.refused = 0

    def earn(self) -> None:
        with self._lock:
            self._tokens = min(self.cap, self._tokens + self.ratio)

    def spend(self) -> bool:
        with self._lock:
            if self._tokens >= 1.0 - 1e-9:
                self._tokens -= 1.0
                return True
            self.refused += 1
            return False
