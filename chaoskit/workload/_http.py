"""Any HTTP service as a workload target: its declared `Operations`, sent to each region's address.

A session keeps one keep-alive connection per region. Errors before the request is
sent (DNS, refused, connect timeout) are ``fail``; a timeout or a reset after it was
sent is ``unknown``; an answer's status is sorted by the operation's declared statuses.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from chaoskit.history import Outcome

from ._operations import ORDERS_OPERATIONS, HttpOperation, Operations, fill
from ._targets import Result, _regions


class _Failed(Exception):
    def __init__(self, outcome: Outcome, error: str) -> None:
        super().__init__(error)
        self.outcome = outcome


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: http.client.HTTPMessage
    body: Any


class HttpTarget:
    """A service over HTTP, by base URL per region: ``{"us-east-1": "http://127.0.0.1:49153"}``.

    `operations` say what a write, a read and the final list are (`Operations`, or
    the same as a mapping). Writes and reads go to every region in turn, unless
    `write_regions` / `read_regions` say otherwise. With `failover`, a request that
    fails in its region is sent to the next (as behind a global endpoint; the write
    must be idempotent by id).
    """

    def __init__(
        self,
        name: str,
        urls: Mapping[str, str],
        operations: Operations | Mapping[str, Any],
        *,
        write_regions: Sequence[str] | None = None,
        read_regions: Sequence[str] | None = None,
        failover: bool = False,
    ) -> None:
        self.name = name
        self.urls = dict(urls)
        self.operations = (
            operations if isinstance(operations, Operations) else Operations.model_validate(operations)
        )
        self.failover = failover
        if not self.urls:
            raise ValueError(f"{type(self).__name__} needs at least one region's URL")
        for region, url in self.urls.items():
            parts = urlsplit(url)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError(f"{region}: {url!r} is not an http:// URL")
        self.write_regions = _regions(write_regions, list(self.urls), self.urls)
        self.read_regions = _regions(read_regions, list(self.urls), self.urls)
        #: The final read lists every id in one request (else it reads each id written).
        self.lists = self.operations.list_ is not None

    def session(self, timeout: float) -> HttpSession:
        if self.failover:
            return FailoverSession(self.urls, self.operations, timeout)
        return HttpSession(self.urls, self.operations, timeout)


class OrdersTarget(HttpTarget):
    """The reference orders service: `HttpTarget` with its operations (POST /orders, ...)."""

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        write_regions: Sequence[str] | None = None,
        read_regions: Sequence[str] | None = None,
        failover: bool = False,
    ) -> None:
        super().__init__(
            "orders", urls, ORDERS_OPERATIONS,
            write_regions=write_regions, read_regions=read_regions, failover=failover,
        )  # fmt: skip


class HttpSession:
    def __init__(self, urls: Mapping[str, str], operations: Operations, timeout: float) -> None:
        self.timeout = timeout
        self.operations = operations
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

    def _send(self, op: HttpOperation, region: str, values: Mapping[str, str], *, write: bool) -> _Answer:
        # The id goes into the path quoted; body and headers take it as it is.
        path_values = {k: quote(v, safe="") for k, v in values.items()}
        url = self._where[region][2] + fill(op.path, path_values)
        data = None if op.body is None else fill(op.body, values).encode("utf-8")
        headers = {k: fill(v, values) for k, v in op.headers.items()}
        if data is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
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
                conn.request(op.method, url, body=data, headers=headers)
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

    def _served(self, answer: _Answer) -> str | None:
        header = self.operations.served_by
        return answer.headers.get(header) if header else None

    @staticmethod
    def _error(outcome: Outcome, answer: _Answer) -> Result:
        message = answer.body.get("error") if isinstance(answer.body, dict) else answer.body
        return Result(outcome, error=f"HTTP {answer.status}: {message}")

    def _values(self, region: str, key: str, seq: int) -> dict[str, str]:
        return {"id": key, "region": region, "seq": str(seq)}

    def write(self, region: str, key: str, *, seq: int = 0) -> Result:
        op = self.operations.write
        try:
            answer = self._send(op, region, self._values(region, key, seq), write=True)
        except _Failed as e:
            return Result(e.outcome, error=str(e))
        outcome, found = op.outcome(answer.status)
        if outcome == "ok" and found:
            return Result("ok", self._served(answer), key)
        # a write answered "not found" did not store anything
        return self._error("fail" if outcome == "ok" else outcome, answer)

    def read(self, region: str, key: str, *, seq: int = 0) -> Result:
        op = self.operations.read
        try:
            answer = self._send(op, region, self._values(region, key, seq), write=False)
        except _Failed as e:
            return Result(e.outcome, error=str(e))
        outcome, found = op.outcome(answer.status)
        if outcome == "ok":
            return Result("ok", self._served(answer), key if found else None)
        return self._error(outcome, answer)

    def read_all(self, region: str) -> Result:
        op = self.operations.list_
        if op is None:
            raise NotImplementedError("no list operation: the final read reads each id")
        try:
            answer = self._send(op, region, {"id": "", "region": region, "seq": "0"}, write=False)
        except _Failed as e:
            return Result(e.outcome, error=str(e))
        outcome, _ = op.outcome(answer.status)
        if outcome != "ok":
            return self._error(outcome, answer)
        ids = _at(answer.body, op.ids)
        if not isinstance(ids, list):
            where = f"at {op.ids!r} " if op.ids else ""
            return Result("fail", error=f"HTTP {answer.status}: the answer holds no list {where}of ids")
        pending = _at(answer.body, op.pending) if op.pending else 0
        count = pending if isinstance(pending, int) and not isinstance(pending, bool) else 0
        return Result("ok", self._served(answer), sorted(str(i) for i in ids), pending=count)


def _at(body: Any, dotted: str) -> Any:
    for part in dotted.split(".") if dotted else ():
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


class FailoverSession(HttpSession):
    """Clients behind a global endpoint: a request that fails in its region is sent to the
    next region (writes are idempotent by id, so a retry elsewhere is safe)."""

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

    def write(self, region: str, key: str, *, seq: int = 0) -> Result:
        return self._each(region, lambda r: HttpSession.write(self, r, key, seq=seq))

    def read(self, region: str, key: str, *, seq: int = 0) -> Result:
        return self._each(region, lambda r: HttpSession.read(self, r, key, seq=seq))
