"""Network faults, through each region's Toxiproxy.

Every endpoint (``kv``, each service) is reached through its region's
Toxiproxy, on a proxy named after it. A network fault is a toxic on that proxy
(slow, throttled, sliced, cut after some bytes, held, reset), the proxy taken
down (`net.down`), or the cross-region replication link cut (`net.partition`,
on the replica region's ``replication`` proxy).

Each is confirmed as an independent client would see it, through the proxy's
published port: a Redis client for ``kv``, an HTTP GET of the health path for a
service; and through the Toxiproxy API (the toxic listed, the proxy disabled).
Toxics are named ``<fault id>-<type>-<stream>``, so faults can share a proxy.
Toxicity is drawn by Toxiproxy per connection, so every observation opens a
new connection and one below 1 is retried until a connection shows it.
"""

from __future__ import annotations

import http.client
import inspect
import math
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import redis
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from chaoskit.errors import ConfirmTimeout
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.registry import register
from chaoskit.faults.spec import FaultSpec
from chaoskit.topology import Topology

MAX_MS = 60_000
REPLICATION = "replication"
NET_OPTIONS = frozenset({"region"})
# How long a cut or healed replication link takes to show: Redis gives up on a
# silent link after repl-timeout (5 s in the world) and retries every second.
LINK_TIMEOUT_S = 15.0
# A missed effect is this unlikely before a confirm gives up on a toxicity below 1.
MISS_CHANCE = 0.001

Direction = Literal["upstream", "downstream", "both"]


# --- parameters ------------------------------------------------------------------------------

class ToxicParams(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    stream: Direction = Field(
        default="downstream",
        description="upstream (client to endpoint), downstream (endpoint to client) or both")
    toxicity: float = Field(default=1.0, ge=0, le=1,
                            description="share of new connections affected, 0..1")


class LatencyParams(ToxicParams):
    ms: int = Field(default=300, ge=1, le=MAX_MS, validation_alias=AliasChoices("ms", "latency"),
                    description="added delay per chunk of data, milliseconds")
    jitter: int = Field(default=0, ge=0, le=MAX_MS, description="± random spread, milliseconds")

    @model_validator(mode="after")
    def _jitter(self) -> LatencyParams:
        if self.jitter > self.ms:
            raise ValueError(f"jitter ({self.jitter} ms) must not exceed ms ({self.ms} ms)")
        return self


class BandwidthParams(ToxicParams):
    rate: int = Field(default=100, ge=1, le=10_000_000, description="KB/s (1 KB = 1000 bytes)")


class SlowCloseParams(ToxicParams):
    delay: int = Field(default=1000, ge=1, le=MAX_MS,
                       description="how long a close is held back, milliseconds")


class TimeoutParams(ToxicParams):
    timeout: int = Field(default=0, ge=0, le=MAX_MS,
                         description="close after this many ms without data; 0 holds forever")


class ResetPeerParams(ToxicParams):
    timeout: int = Field(default=0, ge=0, le=MAX_MS,
                         description="reset (TCP RST) this many ms after data arrives")


class SlicerParams(ToxicParams):
    average_size: int = Field(default=64, ge=1, le=65_536, description="bytes per piece")
    size_variation: int = Field(default=0, ge=0, le=65_535, description="± bytes per piece")
    delay: int = Field(default=0, ge=0, le=1_000_000,
                       description="pause between pieces, microseconds")

    @model_validator(mode="after")
    def _variation(self) -> SlicerParams:
        # Toxiproxy's slicer panics (taking the whole server down) otherwise.
        if self.size_variation >= self.average_size:
            raise ValueError(f"size_variation ({self.size_variation}) must be less than "
                             f"average_size ({self.average_size})")
        return self


class LimitDataParams(ToxicParams):
    bytes: int = Field(default=1024, ge=0, le=100_000_000,
                       description="close a connection once this many bytes have passed")


class PartitionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: Literal["both", "to-replica", "to-primary"] = Field(
        default="both", description="both, to-replica (primary to replica) or to-primary")


# --- an independent client of one endpoint ---------------------------------------------------

def _quiet_redis() -> dict[str, Any]:
    # redis-py >= 5 sends CLIENT SETINFO when it connects: round trips (and bytes)
    # a probe must not spend under a latency or limit_data toxic.
    params = inspect.signature(redis.connection.AbstractConnection.__init__).parameters
    if "driver_info" in params:
        return {"driver_info": None}
    if "lib_name" in params:
        return {"lib_name": None, "lib_version": None}
    return {}


_QUIET_REDIS = _quiet_redis()
# redis-py's connection API has no type hints.
_RedisConnection: Any = redis.Connection


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
        return _RedisConnection(host=self.address.host, port=self.address.port,
                                socket_timeout=timeout, socket_connect_timeout=timeout,
                                **_QUIET_REDIS)

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


# --- the replication link, as the stores report it --------------------------------------------

def _info_replication(address: Any, timeout: float = 1.0) -> dict[str, str]:
    conn = _RedisConnection(host=address.host, port=address.port, socket_timeout=timeout,
                            socket_connect_timeout=timeout, **_QUIET_REDIS)
    try:
        conn.connect()
        conn.send_command("INFO", "replication")
        raw = conn.read_response()
    finally:
        conn.disconnect()
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _replicas(info: dict[str, str]) -> dict[str, dict[str, str]]:
    """The primary's replicas by address: slaveN:ip=..,port=..,state=..,offset=..,lag=.."""
    out = {}
    for key, value in info.items():
        if re.fullmatch(r"slave\d+", key):
            fields = dict(kv.split("=", 1) for kv in value.split(",") if "=" in kv)
            out[fields.get("ip", "")] = fields
    return out


class ReplicationLink:
    """The link from one replica region's store to the primary's, seen from both stores."""

    def __init__(self, ctx: Context, region: str) -> None:
        self.ctx = ctx
        self.region = region
        self.primary = ctx.topology.primary
        # The primary sees the replica arrive from the replica region's Toxiproxy.
        self.replica_ip = ctx.plan.toxiproxy_ip(region, on=self.primary)

    def replica_side(self) -> dict[str, str] | None:
        try:
            return _info_replication(self.ctx.world.endpoint_address("kv", self.region))
        except (redis.RedisError, OSError):
            return None  # the replica's own proxy may be cut by another fault

    def primary_side(self) -> dict[str, str] | None:
        try:
            info = _info_replication(self.ctx.world.endpoint_address("kv", self.primary))
        except (redis.RedisError, OSError):
            return None
        return _replicas(info).get(self.replica_ip, {})

    def cut(self, direction: str) -> str | None:
        """Evidence that the link is cut (in `direction`), or None."""
        replica = self.replica_side()
        if replica is not None and replica.get("master_link_status") == "down":
            return f"replica in {self.region} reports master_link_status:down"
        seen = self.primary_side()
        if direction == "to-primary" and seen and int(seen.get("lag", "0")) >= 3:
            return (f"primary in {self.primary} has had no ack from the replica in "
                    f"{self.region} for {seen['lag']} s")
        if (replica is None or direction == "to-primary") and seen == {}:
            return f"primary in {self.primary} no longer lists the replica in {self.region}"
        return None

    def up(self) -> str | None:
        """Evidence that the link is up again, or None."""
        replica = self.replica_side()
        if replica is not None:
            if replica.get("role") == "master":
                # Promoted (kv.promote): this store replicates from no one, so no link to wait for.
                return f"store in {self.region} is a primary (promoted): its link is unused"
            if replica.get("master_link_status") == "up":
                return f"replica in {self.region} reports master_link_status:up"
            return None
        seen = self.primary_side()
        if seen and seen.get("state") == "online":
            return f"primary in {self.primary} lists the replica in {self.region} online"
        return None


# --- the faults ------------------------------------------------------------------------------

class Unclear(Exception):
    """An observation that neither shows a toxic's effect nor its absence."""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class NetFault(Fault):
    """A fault on the proxies of one endpoint, in one region or every region."""

    family: ClassVar[str] = "net"
    options: ClassVar[frozenset[str]] = NET_OPTIONS

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        known = topology.endpoint_names
        if spec.target in known:
            return []
        hint = "; the replication link is cut with net.partition" if spec.target == REPLICATION else ""
        return [f"{cls.name}: unknown endpoint {spec.target!r}; known: {', '.join(known)}{hint}"]

    def fault_id(self) -> str:
        return self.spec.id or "fault"

    def regions(self) -> list[str]:
        return [self.spec.region] if self.spec.region else list(self.topology.regions)

    def proxy(self) -> str:
        return self.spec.target

    def detail(self) -> str:
        return ""

    def describe(self) -> str:
        where = f" in {self.spec.region}" if self.spec.region else " in every region"
        detail = self.detail()
        return f"{self.name} {self.spec.target}{where}" + (f" ({detail})" if detail else "")

    def held_elsewhere(self, ctx: Context, region: str, ours: set[str],
                       toxics: bool = True) -> str | None:
        """What other faults do to the proxy of `region` that hides the baseline, if anything.

        After a revert, a proxy still disabled was left so for another fault
        (the controller enables it only when no other fault holds it down).
        """
        proxy = ctx.toxiproxy(region).get_proxy(self.proxy())
        if not proxy.enabled:
            return f"proxy {proxy.name} of {region} is down for another fault"
        others = sorted(t.name for t in proxy.toxics if t.name not in ours)
        if toxics and others:
            return f"proxy {proxy.name} of {region} still has other faults' toxics {', '.join(others)}"
        return None


class ToxicFault(NetFault):
    """A toxic on the endpoint's proxy, per region and stream."""

    toxic_type: ClassVar[str]

    def attributes(self) -> dict[str, int]:
        raise NotImplementedError

    def streams(self) -> list[str]:
        stream = self.params.stream
        return ["upstream", "downstream"] if stream == "both" else [stream]

    def toxic_name(self, stream: str) -> str:
        return f"{self.fault_id()}-{self.toxic_type}-{stream}"

    def detail(self) -> str:
        attrs = ", ".join(f"{k} {v}" for k, v in self.attributes().items())
        share = f", {self.params.toxicity:.0%} of connections" if self.params.toxicity < 1 else ""
        return f"{attrs}, {self.params.stream}{share}"

    def prepare(self, ctx: Context) -> Change:
        return Change(toxics=[
            {"region": r, "proxy": self.proxy(), "name": self.toxic_name(s), "type": self.toxic_type,
             "stream": s, "toxicity": float(self.params.toxicity), "attributes": self.attributes()}
            for r in self.regions() for s in self.streams()])

    # --- observation -------------------------------------------------------------------------
    def probe_timeout(self) -> float:
        """Bound of one observation, seconds."""
        return 2.0

    def observe(self, wire: Wire) -> str | None:
        """Evidence that the toxic acts on one new connection, or None.

        Raises `Unclear` when the exchange says nothing either way (a latency
        probe whose connection another fault reset).
        """
        raise NotImplementedError

    def baseline(self, wire: Wire) -> str | None:
        """Evidence of the baseline on one new connection, or None."""
        trip = wire.round_trip(2.0)
        return str(trip) if trip.ok else None

    def _listed(self, ctx: Context, change: Change, region: str) -> dict[str, Any]:
        want = {t["name"] for t in change.toxics if t["region"] == region}
        have = {t.name: t for t in ctx.toxiproxy(region).list_toxics(self.proxy())}
        missing = sorted(want - set(have))
        if missing:
            raise ConfirmTimeout(f"{self.describe()}: toxic(s) {', '.join(missing)} not listed "
                                 f"on proxy {self.proxy()} of {region}")
        return {n: have[n] for n in sorted(want)}

    def confirm(self, ctx: Context, change: Change) -> str:
        evidence = []
        toxicity = float(self.params.toxicity)
        for region in self.regions():
            listed = self._listed(ctx, change, region)
            names = ", ".join(listed)
            if toxicity == 0:
                evidence.append(f"{region}: {names} listed (toxicity 0: no connection affected)")
                continue
            hidden = self.held_elsewhere(ctx, region, set(listed), toxics=False)
            if hidden:
                evidence.append(f"{region}: {names} listed; {hidden}, so no client sees it yet")
                continue
            wire = Wire(ctx, self.spec.target, region)
            attempts = 3 if toxicity >= 1 else math.ceil(math.log(MISS_CHANCE)
                                                         / math.log(1 - toxicity))
            tries: list[int] = []

            def look(wire: Wire = wire, tries: list[int] = tries, attempts: int = attempts
                     ) -> str | None:
                if len(tries) >= attempts:
                    raise ConfirmTimeout(f"{self.describe()}: not seen by a client in "
                                         f"{wire.region} on {attempts} new connections")
                try:
                    seen = self.observe(wire)
                except Unclear:
                    return None  # says nothing either way: does not count as a try
                tries.append(1)
                return seen

            seen = eventually(look, f"{self.describe()} seen by a client in {region}",
                              timeout=min(120.0, attempts * (self.probe_timeout() + 0.2) + 2),
                              interval=0.05)
            evidence.append(f"{region}: {names} listed; {seen}")
        return "; ".join(evidence)

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        evidence = []
        for region in self.regions():
            names = {t["name"] for t in change.toxics if t["region"] == region}
            left = sorted(names & {t.name for t in ctx.toxiproxy(region).list_toxics(self.proxy())})
            if left:
                raise ConfirmTimeout(f"{self.describe()}: toxic(s) {', '.join(left)} still on "
                                     f"proxy {self.proxy()} of {region}")
            hidden = self.held_elsewhere(ctx, region, names)
            if hidden:
                evidence.append(f"{region}: no toxic of this fault; {hidden}")
                continue
            wire = Wire(ctx, self.spec.target, region)

            def look(wire: Wire = wire) -> str | None:
                return self.baseline(wire)

            seen = eventually(look, f"baseline of {self.spec.target} seen by a client in {region}",
                              timeout=max(5.0, 3 * self.probe_timeout()), interval=0.05)
            evidence.append(f"{region}: no toxic; {seen}")
        return "; ".join(evidence)


@register
class Latency(ToxicFault):
    name = "net.latency"
    toxic_type = "latency"
    Params = LatencyParams
    summary = "slow: every chunk of data is delayed by ms (± jitter)"

    def attributes(self) -> dict[str, int]:
        return {"latency": self.params.ms, "jitter": self.params.jitter}

    def threshold(self) -> float:
        return 0.8 * float(self.params.ms - self.params.jitter) / 1000

    def probe_timeout(self) -> float:
        # A request and its answer may each be delayed; past this, no answer is evidence too.
        least = self.threshold()
        return min(2.5 * least + 0.5, least + 5.0)

    def observe(self, wire: Wire) -> str | None:
        least = self.threshold()
        trip = wire.round_trip(self.probe_timeout())
        if trip.ok and trip.seconds >= least:
            return f"{trip} (≥ {_ms(least)})"
        if trip.timed_out and trip.seconds >= least:
            return f"no answer within {_ms(trip.seconds)} (≥ {_ms(least)})"
        if not trip.ok:
            raise Unclear(str(trip))
        return None

    def baseline(self, wire: Wire) -> str | None:
        trip = wire.round_trip(2.0)
        return f"{trip} (< {_ms(self.threshold())})" if trip.ok and (
            trip.seconds < self.threshold() or self.threshold() == 0) else None


class _BulkToxic(ToxicFault):
    """A toxic seen on a transfer of some bytes in its direction."""

    def direction(self) -> str:
        return str(self.params.stream)

    def size(self, wire: Wire) -> int:
        raise NotImplementedError

    def expected(self, size: int) -> float:
        """Seconds a transfer of `size` bytes takes at least under the toxic."""
        return 0.0

    def probe_timeout(self) -> float:
        return 5.0

    def observe(self, wire: Wire) -> str | None:
        capacity = wire.capacity(self.direction())
        if capacity == 0:
            trip = wire.round_trip(self.probe_timeout())
            if not trip.ok:
                raise Unclear(str(trip))
            return f"{trip} (too little data that way to time)"
        size = min(capacity, self.size(wire))
        expected = self.expected(size)
        trip = wire.transfer(size, max(self.probe_timeout(), 3 * expected + 1))
        if not trip.ok:
            raise Unclear(str(trip))
        if expected < 0.05:
            return f"{trip}, intact (too fast to time)"
        return f"{trip}, intact (≥ {_ms(self.least(expected))})" \
            if trip.seconds >= self.least(expected) else None

    def least(self, expected: float) -> float:
        return 0.8 * expected


@register
class Bandwidth(_BulkToxic):
    name = "net.bandwidth"
    toxic_type = "bandwidth"
    Params = BandwidthParams
    summary = "throttled: data passes at no more than rate KB/s"

    def attributes(self) -> dict[str, int]:
        return {"rate": self.params.rate}

    def size(self, wire: Wire) -> int:
        return max(1000, int(self.params.rate * 1000 * 0.4))  # about 0.4 s worth

    def expected(self, size: int) -> float:
        return size / float(self.params.rate * 1000)


@register
class Slicer(_BulkToxic):
    name = "net.slicer"
    toxic_type = "slicer"
    Params = SlicerParams
    summary = "sliced: data arrives in small pieces (average_size ± size_variation bytes, delay µs apart)"

    def attributes(self) -> dict[str, int]:
        p = self.params
        return {"average_size": p.average_size, "size_variation": p.size_variation,
                "delay": p.delay}

    def size(self, wire: Wire) -> int:
        pieces = 200 if self.params.delay == 0 else max(20, int(0.3 / (self.params.delay / 1e6)))
        return min(65_536, int(self.params.average_size) * pieces)

    def expected(self, size: int) -> float:
        return (size / int(self.params.average_size)) * float(self.params.delay) / 1e6

    def least(self, expected: float) -> float:
        return 0.5 * expected  # pieces vary in size


@register
class LimitData(ToxicFault):
    name = "net.limit-data"
    toxic_type = "limit_data"
    Params = LimitDataParams
    summary = "cut: a connection is closed once bytes have passed"

    def attributes(self) -> dict[str, int]:
        return {"bytes": self.params.bytes}

    def probe_timeout(self) -> float:
        return 5.0

    def _over(self, wire: Wire) -> int | None:
        size = self.params.bytes + 1024
        return size if size <= wire.capacity(self.params.stream) else None

    def observe(self, wire: Wire) -> str | None:
        over = self._over(wire)
        if over is not None:
            trip = wire.transfer(over, self.probe_timeout())
            return f"a transfer of {over} bytes was cut: {trip}" if not trip.ok else None
        trip = wire.round_trip(self.probe_timeout())
        if not trip.ok:
            return f"cut: {trip}"
        if trip.size < self.params.bytes:
            return f"{trip} under the limit ({trip.size} bytes; more cannot be sent that way)"
        return None

    def baseline(self, wire: Wire) -> str | None:
        over = self._over(wire)
        trip = wire.transfer(over, self.probe_timeout()) if over else wire.round_trip(2.0)
        return f"{trip}, whole" if trip.ok else None


@register
class SlowClose(ToxicFault):
    name = "net.slow-close"
    toxic_type = "slow_close"
    Params = SlowCloseParams
    summary = "slow to close: a connection's close is held back by delay ms"

    def attributes(self) -> dict[str, int]:
        return {"delay": self.params.delay}

    def threshold(self) -> float:
        return 0.8 * float(self.params.delay) / 1000

    def probe_timeout(self) -> float:
        return 1.5 * float(self.params.delay) / 1000 + 1

    def observe(self, wire: Wire) -> str | None:
        trip = wire.close_delay(self.probe_timeout())
        if not trip.ok:
            raise Unclear(str(trip))
        return f"{trip} (≥ {_ms(self.threshold())})" if trip.seconds >= self.threshold() else None

    def baseline(self, wire: Wire) -> str | None:
        trip = wire.close_delay(2.0)
        return f"{trip} (< {_ms(self.threshold())})" if trip.ok and \
            trip.seconds < self.threshold() else None


@register
class TimeoutToxic(ToxicFault):
    name = "net.timeout"
    toxic_type = "timeout"
    Params = TimeoutParams
    summary = "held: data stops, the connection is closed after timeout ms (0: held forever)"

    def attributes(self) -> dict[str, int]:
        return {"timeout": self.params.timeout}

    def probe_timeout(self) -> float:
        # Held for longer than this is seen as a stall; a close comes sooner.
        return 1.0 if self.params.timeout == 0 else min(self.params.timeout / 1000 + 0.5, 2.5)

    def observe(self, wire: Wire) -> str | None:
        trip = wire.round_trip(self.probe_timeout())
        return None if trip.ok else f"no answer: {trip}"


@register
class ResetPeer(ToxicFault):
    name = "net.reset-peer"
    toxic_type = "reset_peer"
    Params = ResetPeerParams
    summary = "reset: connections are reset (TCP RST) timeout ms after data arrives"

    def attributes(self) -> dict[str, int]:
        return {"timeout": self.params.timeout}

    def probe_timeout(self) -> float:
        return float(self.params.timeout) / 1000 + 2.0

    def observe(self, wire: Wire) -> str | None:
        # A reset, not a stall: an answer held back by another fault is not this one.
        trip = wire.round_trip(self.probe_timeout())
        if trip.timed_out:
            raise Unclear(str(trip))
        return None if trip.ok else f"reset: {trip}"


@register
class Down(NetFault):
    name = "net.down"
    summary = "down: the proxy stops listening; connections are refused and open ones cut"

    def prepare(self, ctx: Context) -> Change:
        return Change(disabled=[{"region": r, "proxy": self.proxy()} for r in self.regions()])

    def confirm(self, ctx: Context, change: Change) -> str:
        evidence = []
        for region in self.regions():
            if ctx.toxiproxy(region).get_proxy(self.proxy()).enabled:
                raise ConfirmTimeout(f"{self.describe()}: proxy {self.proxy()} of {region} "
                                     "is still enabled")
            wire = Wire(ctx, self.spec.target, region)

            def look(wire: Wire = wire) -> str | None:
                trip = wire.round_trip(1.0)
                return None if trip.ok or trip.timed_out else f"connection failed: {trip}"

            seen = eventually(look, f"{self.describe()} seen by a client in {region}", timeout=5)
            evidence.append(f"{region}: proxy disabled; {seen}")
        return "; ".join(evidence)

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        evidence = []
        for region in self.regions():
            hidden = self.held_elsewhere(ctx, region, set())
            if hidden:
                evidence.append(f"{region}: {hidden}")
                continue
            wire = Wire(ctx, self.spec.target, region)

            def look(wire: Wire = wire) -> str | None:
                trip = wire.round_trip(2.0)
                return str(trip) if trip.ok else None

            seen = eventually(look, f"{self.spec.target} answering again in {region}", timeout=5)
            evidence.append(f"{region}: proxy enabled; {seen}")
        return "; ".join(evidence)


@register
class Partition(NetFault):
    name = "net.partition"
    Params = PartitionParams
    summary = ("the cross-region replication link cut, both ways or one way "
               "(target: replication; region: the replica's)")

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        replicas = topology.regions[1:]
        if spec.target != REPLICATION:
            return [f"net.partition cuts the replication link: its target is {REPLICATION!r}, "
                    f"not {spec.target!r} (to cut an endpoint, use net.down)"]
        if not replicas:
            return ["net.partition: this world has a single region, so no replication link"]
        if spec.region is not None and spec.region == topology.primary:
            return [f"net.partition: {spec.region} holds the primary; region names a replica's "
                    f"region ({', '.join(replicas)})"]
        return []

    def regions(self) -> list[str]:
        return [self.spec.region] if self.spec.region else list(self.topology.regions[1:])

    def proxy(self) -> str:
        return REPLICATION

    def detail(self) -> str:
        return {"both": "both ways", "to-replica": "primary to replica",
                "to-primary": "replica to primary"}[self.params.direction]

    def describe(self) -> str:
        where = f" of {self.spec.region}" if self.spec.region else " of every replica"
        return f"{self.name} replication link{where} ({self.detail()})"

    def prepare(self, ctx: Context) -> Change:
        direction = self.params.direction
        if direction == "both":
            return Change(disabled=[{"region": r, "proxy": REPLICATION} for r in self.regions()])
        # Toxiproxy's upstream stream carries the replica's traffic to the primary.
        stream = "downstream" if direction == "to-replica" else "upstream"
        return Change(toxics=[
            {"region": r, "proxy": REPLICATION, "name": f"{self.fault_id()}-timeout-{stream}",
             "type": "timeout", "stream": stream, "toxicity": 1.0, "attributes": {"timeout": 0}}
            for r in self.regions()])

    def _watch(self, ctx: Context, what: str, look: Callable[[ReplicationLink], str | None],
               change: Change | None = None) -> str:
        evidence = []
        for region in self.regions():
            if change is not None:  # a revert: the link stays cut while another fault cuts it
                ours = {t["name"] for t in change.toxics if t["region"] == region}
                hidden = self.held_elsewhere(ctx, region, ours)
                if hidden:
                    evidence.append(hidden)
                    continue
            link = ReplicationLink(ctx, region)
            # The stores are read through their own proxies; other faults may hold both down.
            blind = [r for r in (region, link.primary)
                     if not ctx.toxiproxy(r).get_proxy("kv").enabled]
            if len(blind) == 2:
                evidence.append(f"{what} in {region}: not observable, the kv proxies of "
                                f"{' and '.join(blind)} are down for other faults")
                continue

            def check(link: ReplicationLink = link) -> str | None:
                return look(link)

            seen = eventually(check, f"{what} in {region}", timeout=LINK_TIMEOUT_S, interval=0.25)
            evidence.append(seen)
        return "; ".join(evidence)

    def confirm(self, ctx: Context, change: Change) -> str:
        for region in self.regions():
            proxy = ctx.toxiproxy(region).get_proxy(REPLICATION)
            names = {t["name"] for t in change.toxics if t["region"] == region}
            if change.disabled and proxy.enabled:
                raise ConfirmTimeout(f"{self.describe()}: proxy replication of {region} "
                                     "is still enabled")
            if names - {t.name for t in proxy.toxics}:
                raise ConfirmTimeout(f"{self.describe()}: toxic not listed on replication "
                                     f"of {region}")
        direction = self.params.direction
        return self._watch(ctx, f"{self.describe()} seen by the stores",
                           lambda link: link.cut(direction))

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        return self._watch(ctx, "replication link up again", lambda link: link.up(), change)
