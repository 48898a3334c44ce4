"""Orders' check with the shared auth service, with its own emergency exits.

When orders `uses: [auth]` in the topology, every order read or write first asks
auth (``GET /verify``). Exits: ``failover`` tries the other regions' auth in
order; ``stale-cache`` accepts a verdict seen within the last few minutes when
no auth answers (serve-stale, as DNS resolvers do); ``breaker`` skips an auth
endpoint that keeps failing. Without exits, auth down means orders down.
Standard library only.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Iterable

from .breaker import Breaker

log = logging.getLogger("orders")
STALE_FOR = 300.0


class AuthUnavailable(Exception):
    pass


class AuthGate:
    def __init__(self, endpoints: list[tuple[str, int]], timeout: float = 0.5) -> None:
        self.endpoints = endpoints
        self.timeout = timeout
        self._last_ok = 0.0
        self._lock = threading.Lock()
        self._breakers = {e: Breaker(f"auth {e[0]}:{e[1]}", failures=3) for e in endpoints}

    @classmethod
    def from_env(cls, value: str | None, timeout: float) -> AuthGate | None:
        if not value:
            return None
        endpoints = []
        for item in value.split(","):
            host, _, port = item.strip().rpartition(":")
            endpoints.append((host, int(port)))
        return cls(endpoints, timeout)

    def _ask(self, host: str, port: int) -> bool:
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            conn.request("GET", "/verify")
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def check(self, exits: Iterable[str]) -> None:
        """Return when the request may go on; raise AuthUnavailable otherwise."""
        exits = set(exits)
        candidates = self.endpoints if "failover" in exits else self.endpoints[:1]
        for endpoint in candidates:
            breaker = self._breakers[endpoint]
            if "breaker" in exits and not breaker.allow():
                continue
            if self._ask(*endpoint):
                breaker.success()
                with self._lock:
                    self._last_ok = time.monotonic()
                return
            breaker.failure()
        with self._lock:
            recent = time.monotonic() - self._last_ok < STALE_FOR
        if "stale-cache" in exits and recent:
            return
        raise AuthUnavailable("auth unavailable")
