"""A small Redis (RESP2) client for code that runs inside the world: standard library only.

An endpoint's name is resolved on every (re)connect, so DNS faults are felt, and every
failure is raised as a typed error that says whether the command may have run:

    KvError
    ├── KvUnavailable          nothing reached the server: a definite failure
    │   ├── KvDnsError         the name did not resolve (NXDOMAIN, NODATA, resolver timeout)
    │   └── KvConnectError     connection refused, unreachable, or connect timeout
    ├── KvOutcomeUnknown       the command was sent and may have run
    │   ├── KvTimeout          no complete reply within the command timeout
    │   └── KvConnectionLost   reset, closed or garbled mid-command
    └── KvReplyError           the server answered with an error reply
        └── KvReadOnly         READONLY: a replica refused a write

Why not redis-py: the history's `fail` / `unknown` split and the lost-writes check need
to know whether a failed write may have run, and redis-py raises the same ConnectionError
or TimeoutError whether nothing was sent or the command ran. Measured with
`python bench/resp_vs_redispy.py --ops 10` (docs/benchmarks.md: real Toxiproxy faults,
every key read back from redis-server): read by its exception types, redis-py called 4 to
33 writes that ran definite failures (of about 100 failed writes); read safely (every
error unknown) it left 32-93 % of its errors imprecise, against 0 mislabelled and 20 %
for this client. It matched only with its retries and connection handshake off and its
error texts parsed, and even then its timeout bounds each socket read, not the command
(0.5 s operations at a 0.25 s timeout), nor a hung name lookup (1.1 s).
`tests/inworld/test_inworld_resp.py` pins the property: a write that ran is never
`KvUnavailable`; a refused connection is.

Usage:

    client = RespClient("kv.us-east-1.chaoskit.internal", 6379, timeout=0.5)
    client.set("order:1", "{...}")
    client.transaction([("SET", "order:1", "{...}"), ("SADD", "orders", "1")])
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

Arg = str | bytes | int | float
Members = set[str]  # (the client's `set` method hides the builtin inside the class)
Command = Sequence[Arg]
#: (address family, socket address) pairs, as `socket.getaddrinfo` gives them.
Addresses = list[tuple[int, Any]]
#: Resolves (host, port) to addresses; raises `socket.gaierror` when the name does not resolve.
Resolver = Callable[[str, int], Addresses]


class KvError(Exception):
    """Base of every error this client raises."""


class KvUnavailable(KvError):
    """Nothing reached the server: the command certainly did not run."""


class KvDnsError(KvUnavailable):
    """The endpoint's name did not resolve (NXDOMAIN, empty answer, resolver timeout)."""


class KvConnectError(KvUnavailable):
    """The connection was refused, the host unreachable, or connecting timed out."""


class KvOutcomeUnknown(KvError):
    """The command was sent and may have run: the client cannot know."""


class KvTimeout(KvOutcomeUnknown):
    """No complete reply within the command timeout."""


class KvConnectionLost(KvOutcomeUnknown):
    """The connection was reset, closed or garbled while a command was in flight."""


class KvReplyError(KvError):
    """The server answered with an error reply (`-ERR ...`)."""


class KvReadOnly(KvReplyError):
    """A replica refused a write (`-READONLY ...`): the endpoint is up but not writable."""


def _reply_error(message: str) -> KvReplyError:
    if message.startswith("READONLY"):
        return KvReadOnly(message)
    return KvReplyError(message)


def system_resolver(host: str, port: int) -> Addresses:
    """Resolve with the system resolver (`/etc/resolv.conf`), as any client in the world does."""
    return [(fam, addr) for fam, _, _, _, addr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class _Lookups:
    """Runs resolver calls in daemon threads so a hung resolver cannot outlast a deadline.

    `getaddrinfo` has no timeout of its own (glibc waits 5 s per try when the DNS server
    does not answer). Concurrent lookups of one name share a single call, so a hung
    resolver costs one thread per name, not one per request; daemon threads never hold
    up the process's exit.
    """

    def __init__(self) -> None:
        self._inflight: dict[tuple[Resolver, str, int], Future[Addresses]] = {}
        self._lock = threading.Lock()

    def resolve(self, resolver: Resolver, host: str, port: int, timeout: float) -> Addresses:
        key = (resolver, host, port)
        with self._lock:
            future = self._inflight.get(key)
            if future is None:
                future = self._inflight[key] = Future()
                threading.Thread(
                    target=self._lookup, args=(key, future), name=f"dns {host}", daemon=True
                ).start()
        try:
            return future.result(timeout=max(timeout, 0.0))
        except FutureTimeout:
            raise KvDnsError(f"dns: resolving {host} timed out after {timeout:.2f}s") from None
        except socket.gaierror as e:
            raise KvDnsError(f"dns: {host}: {e.strerror or e} (EAI {e.errno})") from None
        except OSError as e:
            raise KvDnsError(f"dns: {host}: {e}") from None

    def _lookup(self, key: tuple[Resolver, str, int], future: Future[Addresses]) -> None:
        resolver, host, port = key
        try:
            result: Addresses | None = resolver(host, port)
            error: BaseException | None = None
        except BaseException as e:  # handed to every waiter
            result, error = None, e
        # forget the lookup before answering, so a waiter that asks again looks up again
        with self._lock:
            if self._inflight.get(key) is future:
                del self._inflight[key]
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or [])


_LOOKUPS = _Lookups()


def encode(command: Command) -> bytes:
    """One command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(command)]
    for arg in command:
        if isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, str):
            data = arg.encode("utf-8")
        else:
            data = str(arg).encode("ascii")
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class _Connection:
    """One socket and its read buffer; a reply is read against an absolute deadline."""

    def __init__(self, sock: socket.socket, born: float) -> None:
        self.sock = sock
        self.born = born
        self.uses = 0
        self.received = 0  # bytes received since the last send
        self._buf = bytearray()
        self._pos = 0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes, deadline: float) -> None:
        self.uses += 1
        self.received = 0
        self._settimeout(deadline)
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise KvTimeout("timed out sending the command") from None
        except OSError as e:
            raise KvConnectionLost(f"connection lost while sending: {e}") from None

    def _settimeout(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise KvTimeout("command timed out")
        self.sock.settimeout(remaining)

    def _fill(self, deadline: float) -> None:
        self._settimeout(deadline)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise KvTimeout("timed out waiting for the reply") from None
        except OSError as e:
            raise KvConnectionLost(f"connection lost while reading: {e}") from None
        if not chunk:
            raise KvConnectionLost("connection closed by the server")
        self.received += len(chunk)
        if self._pos > 65536:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += chunk

    def _line(self, deadline: float) -> bytes:
        while True:
            end = self._buf.find(b"\r\n", self._pos)
            if end >= 0:
                line = bytes(self._buf[self._pos : end])
                self._pos = end + 2
                return line
            self._fill(deadline)

    def _exact(self, n: int, deadline: float) -> bytes:
        while len(self._buf) - self._pos < n + 2:
            self._fill(deadline)
        data = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n + 2
        return data

    def read(self, deadline: float) -> Any:
        """One reply; an error reply is returned (not raised) as a `KvReplyError`."""
        line = self._line(deadline)
        if not line:
            raise KvConnectionLost("protocol error: empty reply line")
        kind, rest = line[:1], line[1:]
        try:
            if kind == b"+":
                return rest.decode("utf-8", "replace")
            if kind == b"-":
                return _reply_error(rest.decode("utf-8", "replace"))
            if kind == b":":
                return int(rest)
            if kind == b"$":
                n = int(rest)
                return None if n < 0 else self._exact(n, deadline)
            if kind == b"*":
                n = int(rest)
                return None if n < 0 else [self.read(deadline) for _ in range(n)]
        except ValueError:
            pass
        raise KvConnectionLost(f"protocol error: unexpected reply {line[:40]!r}")


class RespClient:
    """A thread-safe Redis client for one endpoint, with a small pool of connections.

    `timeout` bounds a whole command, (re)connecting included; `connect_timeout` also
    bounds the DNS lookup and TCP connect. Pooled connections older than `max_age`
    seconds are closed rather than reused, so the name is looked up again at least that
    often (`None`: reuse for ever; `0`: a new connection for every command).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 0.5,
        connect_timeout: float | None = None,
        max_age: float | None = None,
        max_idle: int = 64,
        resolver: Resolver | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connect_timeout = timeout if connect_timeout is None else connect_timeout
        self.max_age = max_age
        self.max_idle = max_idle
        self._resolver = resolver
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"RespClient({self.address!r})"

    def close(self) -> None:
        """Close idle connections; connections in use are closed when returned."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __enter__(self) -> RespClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- connections -------------------------------------------------------
    def _addresses(self, deadline: float) -> Addresses:
        timeout = min(self.connect_timeout, deadline - time.monotonic())
        if self._resolver is None:
            try:
                ip = ipaddress.ip_address(self.host)
            except ValueError:
                pass
            else:
                family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
                return [(family, (self.host, self.port))]
        resolver = self._resolver or system_resolver
        addresses = _LOOKUPS.resolve(resolver, self.host, self.port, timeout)
        if not addresses:
            raise KvDnsError(f"dns: {self.host}: no addresses")
        return addresses

    def _connect(self, deadline: float) -> _Connection:
        family, sockaddr = self._addresses(deadline)[0]
        timeout = min(self.connect_timeout, deadline - time.monotonic())
        if timeout <= 0:
            raise KvConnectError(f"connect to {self.address}: no time left after DNS")
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError:
            sock.close()
            raise KvConnectError(f"connect to {self.address}: timed out after {timeout:.2f}s") from None
        except OSError as e:
            sock.close()
            raise KvConnectError(f"connect to {self.address}: {e.strerror or e}") from None
        return _Connection(sock, time.monotonic())

    def _acquire(self, deadline: float) -> _Connection:
        stale: list[_Connection] = []
        conn: _Connection | None = None
        with self._lock:
            while self._idle:
                candidate = self._idle.pop()
                if self.max_age is not None and time.monotonic() - candidate.born >= self.max_age:
                    stale.append(candidate)
                    continue
                conn = candidate
                break
        for old in stale:
            old.close()
        return conn if conn is not None else self._connect(deadline)

    def _release(self, conn: _Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(conn)
                return
        conn.close()

    # --- commands ------------------------------------------------------------
    def _roundtrip(self, payload: bytes, replies: int, timeout: float | None) -> list[Any]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        retried: KvConnectionLost | None = None
        while True:
            try:
                conn = self._acquire(deadline)
            except KvUnavailable as e:
                if retried is None:
                    raise
                # The first try may have run: the outcome stays unknown.
                raise KvConnectionLost(f"{retried}; reconnecting failed: {e}") from None
            try:
                conn.send(payload, deadline)
                result = [conn.read(deadline) for _ in range(replies)]
            except KvConnectionLost as e:
                conn.close()
                # A pooled connection the server dropped while idle (restart, idle
                # timeout) fails before any reply: retry once on a fresh connection.
                if conn.uses > 1 and conn.received == 0 and retried is None:
                    retried = e
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            self._release(conn)
            return result

    def execute(self, *command: Arg, timeout: float | None = None) -> Any:
        """Send one command and return its reply; an error reply is raised as `KvReplyError`."""
        (reply,) = self._roundtrip(encode(command), 1, timeout)
        if isinstance(reply, KvReplyError):
            raise reply
        return reply

    def transaction(self, commands: Sequence[Command], *, timeout: float | None = None) -> list[Any]:
        """Run `commands` atomically (MULTI ... EXEC) in one round trip; returns their replies.

        A command refused when queued (e.g. READONLY on a replica) aborts the whole
        transaction and its error is raised.
        """
        payload = encode(("MULTI",)) + b"".join(encode(c) for c in commands) + encode(("EXEC",))
        replies = self._roundtrip(payload, len(commands) + 2, timeout)
        for reply in replies[:-1]:
            if isinstance(reply, KvReplyError):
                raise reply
        result = replies[-1]
        if isinstance(result, KvReplyError):
            raise result
        if not isinstance(result, list):
            raise KvConnectionLost(f"protocol error: EXEC answered {result!r}")
        for item in result:
            if isinstance(item, KvReplyError):
                raise item
        return result

    def ping(self, *, timeout: float | None = None) -> bool:
        return bool(self.execute("PING", timeout=timeout) == "PONG")

    def set(self, key: str, value: Arg, *, timeout: float | None = None) -> bool:
        return bool(self.execute("SET", key, value, timeout=timeout) == "OK")

    def get(self, key: str, *, timeout: float | None = None) -> str | None:
        value = self.execute("GET", key, timeout=timeout)
        return None if value is None else bytes(value).decode("utf-8")

    def sadd(self, key: str, *members: Arg, timeout: float | None = None) -> int:
        return int(self.execute("SADD", key, *members, timeout=timeout))

    def smembers(self, key: str, *, timeout: float | None = None) -> Members:
        return {bytes(m).decode("utf-8") for m in self.execute("SMEMBERS", key, timeout=timeout)}

    def delete(self, *keys: str, timeout: float | None = None) -> int:
        return int(self.execute("DEL", *keys, timeout=timeout))

    def info(self, section: str = "replication", *, timeout: float | None = None) -> dict[str, str]:
        """`INFO <section>` as a dict of its `name:value` lines."""
        text = bytes(self.execute("INFO", section, timeout=timeout)).decode("utf-8", "replace")
        fields: dict[str, str] = {}
        for line in text.splitlines():
            if line and not line.startswith("#") and ":" in line:
                name, _, value = line.partition(":")
                fields[name] = value
        return fields

    def role(self, *, timeout: float | None = None) -> list[Any]:
        """`ROLE`, with bulk strings decoded: e.g. ``["master", 42, [...]]``."""

        def decode(value: Any) -> Any:
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace")
            if isinstance(value, list):
                return [decode(v) for v in value]
            return value

        return list(decode(self.execute("ROLE", timeout=timeout)))
