"""The health checker of the failover exit: PINGs every endpoint, each in its own thread.

An endpoint is unhealthy after `fall` failed checks in a row and healthy again after one
good one. Every check uses a new connection, so it feels DNS faults as a new client would.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .config import Endpoint

log = logging.getLogger(__name__)


@dataclass
class EndpointHealth:
    """The last known state of one endpoint."""

    endpoint: Endpoint
    #: None until the first check; requests treat that as healthy.
    healthy: bool | None = None
    last_error: str | None = None
    checked_at: float | None = None
    failures: int = 0
    role: str | None = None
    link: str | None = None

    def as_dict(self, now: float) -> dict[str, object]:
        return {
            "address": self.endpoint.address,
            "region": self.endpoint.region,
            "healthy": self.healthy,
            "role": self.role,
            "master_link_status": self.link,
            "last_error": self.last_error,
            "checked_ago": None if self.checked_at is None else round(now - self.checked_at, 3),
        }


class HealthChecker:
    """`probe(endpoint)` raises when the endpoint is not healthy; `describe(endpoint)`
    returns ``INFO replication`` fields (role, master_link_status), fetched now and then."""

    DESCRIBE_EVERY = 16

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        probe: Callable[[Endpoint], object],
        describe: Callable[[Endpoint], dict[str, str]] | None = None,
        *,
        interval: float = 0.25,
        fall: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.health: dict[str, EndpointHealth] = {}
        for e in endpoints:
            self.health.setdefault(e.address, EndpointHealth(e))
        self.probe = probe
        self.describe = describe
        self.interval = interval
        self.fall = fall
        self._clock = clock
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._checks: dict[str, int] = {}

    def usable(self, address: str) -> bool:
        """Healthy, or not checked yet."""
        h = self.health.get(address)
        return h is None or h.healthy is not False

    def saw_success(self, address: str) -> None:
        """A request to the endpoint succeeded: it is healthy, whatever the last check said."""
        h = self.health.get(address)
        if h is not None and h.healthy is False:
            h.healthy, h.failures, h.last_error = True, 0, None
            log.info("endpoint %s (%s) healthy: a request succeeded", address, h.endpoint.region)

    def check(self, address: str) -> None:
        """One check of one endpoint; logs a line when its health changes."""
        h = self.health[address]
        try:
            self.probe(h.endpoint)
        except Exception as e:
            h.checked_at = self._clock()
            h.failures += 1
            h.last_error = str(e) or type(e).__name__
            if h.healthy is not False and (h.failures >= self.fall or h.healthy is None):
                h.healthy = False
                log.info("endpoint %s (%s) unhealthy: %s", address, h.endpoint.region, h.last_error)
            return
        h.checked_at = self._clock()
        h.failures = 0
        became_healthy = h.healthy is not True
        n = self._checks[address] = self._checks.get(address, 0) + 1
        if self.describe is not None and (became_healthy or n % self.DESCRIBE_EVERY == 0):
            try:
                fields = self.describe(h.endpoint)
                h.role, h.link = fields.get("role"), fields.get("master_link_status")
            except Exception:  # the description is a nicety; PING decides health
                pass
        if became_healthy:
            h.healthy = True
            h.last_error = None
            log.info("endpoint %s (%s) healthy, role %s", address, h.endpoint.region, h.role)

    def start(self) -> None:
        for address in self.health:
            t = threading.Thread(target=self._loop, args=(address,), name=f"health {address}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def _loop(self, address: str) -> None:
        while not self._stop.is_set():
            started = self._clock()
            self.check(address)
            self._stop.wait(max(0.0, self.interval - (self._clock() - started)))
