"""What a workload drives: a service over HTTP (`chaoskit.workload._http`), or the key-value store.

A target hands each worker thread its own `Session` (its own keep-alive connections);
a session turns every request into a `Result` whose outcome follows Jepsen: ``ok``,
``fail`` (certainly not done: refused, DNS, an error status) or ``unknown`` (a timeout or
a reset after the request was sent).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chaoskit.history import Outcome
from chaoskit.inworld.protocol.order_record import ORDERS_SET, key_of
from chaoskit.inworld.protocol.resp import KvOutcomeUnknown, KvReplyError, KvUnavailable, RespClient


@dataclass(frozen=True)
class Result:
    """What one operation came to.

    `outcome` is ``ok``, ``fail`` (certainly not done) or ``unknown`` (it may have been
    done: a timeout after sending). `value` is, for a write, the id written; for a read,
    the id when found and None when not; for `read_all`, the list of every id present.
    """

    outcome: Outcome
    #: The region whose store served the request, when known.
    region: str | None = None
    value: Any = None
    error: str | None = None
    #: For a final read: writes acknowledged but not yet in the store (a write queue).
    pending: int = 0


class Session(Protocol):
    """One worker's connections to a target; used by one thread only.

    `seq` is the operation's sequence number in the run. `read_all` may raise
    `NotImplementedError` (the service has no list): the final read then reads each
    written id with `read`.
    """

    def write(self, region: str, key: str, *, seq: int = 0) -> Result: ...
    def read(self, region: str, key: str, *, seq: int = 0) -> Result: ...
    def read_all(self, region: str) -> Result: ...
    def close(self) -> None: ...


class Target(Protocol):
    name: str
    #: Where writes and reads are sent, taken in turn.
    write_regions: tuple[str, ...]
    read_regions: tuple[str, ...]

    def session(self, timeout: float) -> Session: ...


def status_outcome(status: int) -> Outcome:  # the default classification of orders' answers
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
        self.lists = True  # SMEMBERS: the final read lists every id at once

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

    def write(self, region: str, key: str, *, seq: int = 0) -> Result:
        def write(c: RespClient) -> str:
            c.transaction([("SET", key_of(key), key), ("SADD", ORDERS_SET, key)])
            return key

        return self._run(region, write)

    def read(self, region: str, key: str, *, seq: int = 0) -> Result:
        def read(c: RespClient) -> str | None:
            return None if c.get(key_of(key)) is None else key

        return self._run(region, read)

    def read_all(self, region: str) -> Result:
        return self._run(region, lambda c: sorted(c.smembers(ORDERS_SET)))
