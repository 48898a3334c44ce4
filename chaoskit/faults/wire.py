"""An endpoint of one region as a client reaches it: through its proxy's published port.

The independent client network faults are confirmed with: redis-py for ``kv``
(PING, ECHO of a payload), an HTTP GET of a service's health path, and a plain
socket for closes. Each exchange runs on a new connection, because Toxiproxy
draws toxicity per connection.
"""

from __future__ import annotations

import http.client
import inspect
import socket
import time
from dataclasses import dataclass
from typing import Any

import redis

from chaoskit.faults.context import Context


def _quiet_redis() -> dict[str, Any]:
    # redis-py >= 5 sends CLIENT SETINFO when it connects: round trips (and bytes)
    # a probe must not spend under a latency or limit_data toxic.
    params = inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    if "driver_info" in params:
        return {"driver_info": None}
    if "lib_name" in params:
        return {"lib_name": None, "lib_version": None}
    return {}


QUIET_REDIS = _quiet_redis()
# redis-py's connection API has no type hints.
RedisConnection: Any = redis.Connection


@dataclass(frozen=True)
class Trip:
    """One exchange over a new connection: how long it took, or how it failed."""

    ok: bool
    seconds: float
    detail: str = ""
    size: int = 0
    timed_out: bool = False

    def __str__(self) -> str:
        took = f"{self.seconds * 1000:.0f} ms"
        return f"{self.detail} in {took}" if self.ok else f"{self.detail} after {took}"


def _failure(exc: BaseException, started: float) -> Trip:
    timed_out = isinstance(exc, (TimeoutError, socket.timeout, redis.TimeoutError))
    text = str(exc) or type(exc).__name__
    return Trip(False, time.monotonic() - started, f"{type(exc).__name__}: {text}"[:160],
                timed_out=timed_out)


class Wire:
    """One endpoint in one region as a client reaches it: through the proxy's published port."""

    # An HTTP request line or header may not exceed 64 KiB in common servers.
    HTTP_PAD_MAX = 32_000
    KV_ECHO_MAX = 4_000_000

    def __init__(self, ctx: Context, endpoint: str, region: str) -> None:
        self.endpoint = endpoint
        self.region = region
        self.address = ctx.world.endpoint_address(endpoint, region)
        service = ctx.topology.services.get(endpoint)
        self.health_path = service.health_path if service else None

    @property
    def is_kv(self) -> bool:
        return self.health_path is None

    def capacity(self, stream: str) -> int:
        """Bytes one `transfer` can move in `stream`'s direction."""
        if self.is_kv:
            return self.KV_ECHO_MAX
        return self.HTTP_PAD_MAX if stream in ("upstream", "both") else 0

    def _kv(self, timeout: float) -> Any:
        return RedisConnection(host=self.address.host, port=self.address.port,
                                socket_timeout=timeout, socket_connect_timeout=timeout,
                                **QUIET_REDIS)

    def round_trip(self, timeout: float) -> Trip:
        """PING (kv) or GET of the health path (service) on a new connection."""
        return self.transfer(0, timeout)

    def transfer(self, size: int, timeout: float) -> Trip:
        """Move `size` bytes: an ECHO of them (kv), or a GET carrying them in a header."""
        if self.is_kv:
            return self._kv_exchange(size, timeout)
        return self._http_exchange(size, timeout)

    def _kv_exchange(self, size: int, timeout: float) -> Trip:
        conn = self._kv(timeout)
        started = time.monotonic()
        try:
            conn.connect()
            started = time.monotonic()
            payload = b"x" * size
            if size:
                conn.send_command("ECHO", payload)
            else:
                conn.send_command("PING")
            reply = conn.read_response()
            took = time.monotonic() - started
            if size and reply != payload:
                return Trip(False, took, f"ECHO of {size} bytes came back altered "
                                         f"({len(reply or b'')} bytes)")
            what = f"ECHO of {size} bytes" if size else f"PING -> {reply!r}"
            return Trip(True, took, what, size=len(reply or b""))
        except (redis.RedisError, OSError) as exc:
            return _failure(exc, started)
        finally:
            conn.disconnect()

    def _http_exchange(self, size: int, timeout: float) -> Trip:
        conn = http.client.HTTPConnection(self.address.host, self.address.port, timeout=timeout)
        started = time.monotonic()
        try:
            conn.connect()
            started = time.monotonic()
            conn.putrequest("GET", self.health_path or "/", skip_accept_encoding=True)
            if size:
                conn.putheader("X-Chaoskit-Pad", "x" * size)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            took = time.monotonic() - started
            return Trip(True, took, f"GET {self.health_path} -> {resp.status}",
                        size=len(body) + len(str(resp.headers)))
        except (http.client.HTTPException, OSError) as exc:
            return _failure(exc, started)
        finally:
            conn.close()

    def close_delay(self, timeout: float) -> Trip:
        """Half-close a new connection; how long until the other side's close arrives."""
        started = time.monotonic()
        try:
            with socket.create_connection((self.address.host, self.address.port),
                                          timeout=timeout) as sock:
                started = time.monotonic()
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(4096):
                    pass
                return Trip(True, time.monotonic() - started, "close after a half-close")
        except OSError as exc:
            return _failure(exc, started)
