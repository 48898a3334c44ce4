"""What a workload drives: the orders service over HTTP, or the key-value store directly.

A target hands each worker thread its own `Session` (its own keep-alive connections);
a session turns every request into a `Result` whose outcome follows Jepsen: ``ok``,
``fail`` (certainly not done: refused, DNS, an error status) or ``unknown`` (a timeout or
a reset after the request was sent).
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from chaoskit.history import Outcome
from chaoskit.inworld.protocol.order_record import ORDERS_SET, key_of
from chaoskit.inworld.protocol.resp import KvOutcomeUnknown, KvReplyError, KvUnavailable, RespClient


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    #: The region whose store served the request, when known.
    region: str | None = None
    value: Any = None
    error: str | None = None
    #: For a final read: writes acknowledged but not yet in the store (a write queue).
    pending: int = 0


class Session(Protocol):
    """One worker's connections to a target; used by one thread only."""

    def write(self, region: str, order_id: str) -> Result: ...
    def read(self, region: str, order_id: str) -> Result: ...
    def read_all(self, region: str) -> Result: ...
    def close(self) -> None: ...


class Target(Protocol):
    name: str
    #: Where writes and reads are sent, taken in turn.
    write_regions: tuple[str, ...]
    read_regions: tuple[str, ...]

    def session(self, timeout: float) -> Session: ...


def status_outcome(status: int) -> Outcome:
    """The outcome of an HTTP answer: 2xx (and 404 for a read) ok; 504 and 408 unknown
    (the service timed out after it may have acted); any other 4xx/5xx fail."""
    if 200 <= status < 300 or status == 404:
        return "ok"
    if status in (408, 504):
        return "unknown"
    return "fail"


def _regions(
    given: Sequence[str] | None, default: Sequence[str], known: Mapping[str, Any]
) -> tuple[str, ...]:
    chosen = tuple(default if given is None else given)
    unknown = [r for r in chosen if r not in known]
    if unknown or not chosen:
        raise ValueError(f"regions {unknown or '[]'} not among the target's {sorted(known)}")
    return chosen


class _Failed(Exception):
    def __init__(self, outcome: Outcome, error: str) -> None:
        super().__init__(error)
        self.outcome = outcome


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: http.client.HTTPMessage
    body: Any


class OrdersTarget:
    """The orders service, by base URL per region: ``{"us-east-1": "http://127.0.0.1:49153"}``.

    Writes and reads go to every region in turn, unless `write_regions` / `read_regions`
    say otherwise; the final read asks regions in the order of `urls`.
    """

    name = "orders"

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        write_regions: Sequence[str] | None = None,
        read_regions: Sequence[str] | None = None,
        failover: bool = False,
    ) -> None:
        self.urls = dict(urls)
        self.failover = failover
        if not self.urls:
            raise ValueError("OrdersTarget needs at least one region's URL")
        for region, url in self.urls.items():
            parts = urlsplit(url)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError(f"{region}: {url!r} is not an http:// URL")
        self.write_regions = _regions(write_regions, list(self.urls), self.urls)
        self.read_regions = _regions(read_regions, list(self.urls), self.urls)

    def session(self, timeout: float) -> OrdersSession:
        if self.failover:
            return FailoverSession(self.urls, timeout)
        return OrdersSession(self.urls, timeout)


class OrdersSession:
    def __init__(self, urls: Mapping[str, str], timeout: float) -> None:
        self.timeout = timeout
        self._where: dict[str, tuple[str, int, str]] = {}
        for region, url in urls.items():
            parts = urlsplit(url)
            assert parts.hostname is not None
            self._where[region] = (parts.hostname, parts.port or 80, parts.path.rstrip("/"))
        self._conns: dict[str, http.client.HTTPConnection] = {}

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def _connection(self, region: str) -> http.client.HTTPConnection:
        conn = self._conns.get(region)
        if conn is None:
            host, port, _ = self._where[region]
            conn = self._conns[region] = http.client.HTTPConnection(host, port, timeout=self.timeout)
        return conn

    def _request(self, region: str, method: str, path: str, body: Any = None, *, write: bool) -> _Answer:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"} if data is not None else {}
        url = self._where[region][2] + path
        first_error: str | None = None
        for _ in range(2):
            conn = self._connection(region)
            reused = conn.sock is not None
            if not reused:
                try:
                    conn.connect()
                except socket.gaierror as e:
                    conn.close()
                    raise self._after(first_error, write, _Failed("fail", f"dns: {e}")) from None
                except TimeoutError:
                    conn.close()
                    raise self._after(first_error, write, _Failed("fail", "connect timed out")) from None
                except OSError as e:
                    conn.close()
                    raise self._after(first_error, write, _Failed("fail", f"connect: {e}")) from None
            try:
                conn.request(method, url, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except TimeoutError:
                conn.close()
                raise _Failed("unknown", f"timed out after {self.timeout:g}s") from None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                conn.close()
                if reused and first_error is None:
                    # a keep-alive connection the server closed while idle: try a fresh one
                    first_error = f"connection lost: {e!r}"
                    continue
                raise _Failed("unknown", f"connection lost mid-request: {e!r}") from None
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise _Failed("unknown", f"request failed: {e!r}") from None
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode("utf-8", "replace")[:200]
            return _Answer(resp.status, resp.headers, parsed)
        raise _Failed("unknown", first_error or "request failed")  # pragma: no cover

    @staticmethod
    def _after(first_error: str | None, write: bool, failed: _Failed) -> _Failed:
        # Reconnecting failed after a first try on a reused connection: that try may
        # have been served, so a write's outcome is unknown.
        if first_error is not None and write:
            return _Failed("unknown", f"{first_error}; then {failed}")
        return failed

    @staticmethod
    def _error(answer: _Answer) -> Result:
        message = answer.body.get("error") if isinstance(answer.body, dict) else answer.body
        return Result(status_outcome(answer.status), error=f"HTTP {answer.status}: {message}")

    def write(self, region: str, order_id: str) -> Result:
        try:
            answer = self._request(region, "POST", "/orders", {"id": order_id, "item": order_id}, write=True)
        except _Failed as e:
            return Result(e.outcome, error=str(e))
        if answer.status in (201, 202):
            return Result("ok", answer.headers.get("X-Served-From"), order_id)
        return self._error(answer)

    def read(self, region: str, order_id: str) -> Result:
        try:
            answer = self._request(region, "GET", f"/orders/{quote(order_id, safe='')}", write=False)
        except _Failed as e:
            return Result(e.outcome, error=str(e))
        served = answer.headers.get("X-Served-From")
        if answer.status == 200:
            return Result("ok", served, order_id)
        if answer.status == 404:
            return Result("ok", served, None)
        return self._error(answer)

    def read_all(self, region: str) -> Result:
        try:
            answer = self._request(region, "GET", "/orders", write=False)
        except _Failed as e:
            return Result(e.outcome, error=str(e))
        if answer.status == 200 and isinstance(answer.body, dict):
            ids = answer.body.get("ids") or []
            pending = int(answer.body.get("pending") or 0)
            return Result("ok", answer.headers.get("X-Served-From"), sorted(ids), pending=pending)
        return self._error(answer)


class FailoverSession(OrdersSession):
    """Clients behind a global endpoint: a request that fails in its region is sent to the
    next region (writes are idempotent by order id, so a retry elsewhere is safe)."""

    def _each(self, region: str, call: Callable[[str], Result]) -> Result:
        order = [region] + [r for r in self._where if r != region]
        first = call(order[0])
        if first.outcome == "ok":
            return first
        for other in order[1:]:
            again = call(other)
            if again.outcome == "ok":
                return again
        return first

    def write(self, region: str, order_id: str) -> Result:
        return self._each(region, lambda r: OrdersSession.write(self, r, order_id))

    def read(self, region: str, order_id: str) -> Result:
        return self._each(region, lambda r: OrdersSession.read(self, r, order_id))


def _address(value: str | tuple[str, int]) -> tuple[str, int]:
    if isinstance(value, tuple):
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{value!r} is not host:port")
    return host.strip("[]"), int(port)


class KvTarget:
    """The key-value store itself, by ``host:port`` per region (its published ports).

    Stores orders as the orders service does (key ``order:<id>`` and set ``orders``).
    Writes go to the first region only (the primary) unless `write_regions` says
    otherwise; reads go to every region in turn. Uses the in-world RESP client, whose
    errors say whether a command may have run.
    """

    name = "kv"

    def __init__(
        self,
        addresses: Mapping[str, str | tuple[str, int]],
        *,
        write_regions: Sequence[str] | None = None,
        read_regions: Sequence[str] | None = None,
    ) -> None:
        self.addresses = {region: _address(a) for region, a in addresses.items()}
        if not self.addresses:
            raise ValueError("KvTarget needs at least one region's address")
        self.write_regions = _regions(write_regions, list(self.addresses)[:1], self.addresses)
        self.read_regions = _regions(read_regions, list(self.addresses), self.addresses)

    def session(self, timeout: float) -> KvSession:
        return KvSession(self.addresses, timeout)


class KvSession:
    def __init__(self, addresses: Mapping[str, tuple[str, int]], timeout: float) -> None:
        self._clients = {
            region: RespClient(host, port, timeout=timeout, max_idle=1)
            for region, (host, port) in addresses.items()
        }

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def _run(self, region: str, command: Callable[[RespClient], Any]) -> Result:
        try:
            return Result("ok", region, command(self._clients[region]))
        except KvUnavailable as e:
            return Result("fail", error=str(e))
        except KvOutcomeUnknown as e:
            return Result("unknown", error=str(e))
        except KvReplyError as e:
            return Result("fail", region, error=str(e))

    def write(self, region: str, order_id: str) -> Result:
        def write(c: RespClient) -> str:
            c.transaction([("SET", key_of(order_id), order_id), ("SADD", ORDERS_SET, order_id)])
            return order_id

        return self._run(region, write)

    def read(self, region: str, order_id: str) -> Result:
        def read(c: RespClient) -> str | None:
            return None if c.get(key_of(order_id)) is None else order_id

        return self._run(region, read)

    def read_all(self, region: str) -> Result:
        return self._run(region, lambda c: sorted(c.smembers(ORDERS_SET)))
