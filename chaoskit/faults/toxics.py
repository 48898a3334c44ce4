"""Toxics: one Toxiproxy toxic on an endpoint's proxy, per region and stream.

Latency, bandwidth, slicer, limit_data, slow_close, timeout, reset_peer: each
kind's parameters are its toxic's attributes, and each is confirmed by what a
client on a new connection sees (`chaoskit.faults.wire`). Toxics are named
``<fault id>-<type>-<stream>``, so faults can share a proxy. Toxicity is drawn
by Toxiproxy per connection, so one below 1 is retried until a connection
shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import redis
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from chaoskit.errors import ConfirmTimeout
from chaoskit.faults.base import Change
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.network import MAX_MS, REPLICATION, NetFault, Unclear, ms_text
from chaoskit.faults.registry import register
from chaoskit.faults.replication import ReplicationLink, write_travel
from chaoskit.faults.spec import FaultSpec
from chaoskit.faults.wire import Wire
from chaoskit.topology import Topology

# A missed effect is this unlikely before a confirm gives up on a toxicity below 1.
MISS_CHANCE = 0.001

Direction = Literal["upstream", "downstream", "both"]


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
    summary = ("slow: every chunk of data is delayed by ms (± jitter); target replication "
               "delays the cross-region replication link (region: the replica's)")

    # The replication link (target `replication`): cross-region latency between the
    # stores, confirmed by timing a write from the primary to the replica.
    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        if spec.target != REPLICATION:
            return super().check(spec, topology)
        replicas = topology.regions[1:]
        if not replicas:
            return ["net.latency: this world has a single region, so no replication link"]
        if spec.region is not None and spec.region not in replicas:
            return [f"net.latency: the replication link is the replica's; region names a replica's "
                    f"region ({', '.join(replicas)}), not {spec.region!r}"]
        return []

    def regions(self) -> list[str]:
        if self.spec.target == REPLICATION and not self.spec.region:
            return list(self.topology.regions[1:])
        return super().regions()

    def confirm(self, ctx: Context, change: Change) -> str:
        if self.spec.target != REPLICATION:
            return super().confirm(ctx, change)
        least, bound = self.threshold(), self.probe_timeout()

        def slow(region: str) -> str | None:
            took = write_travel(ctx, region, bound)
            if took is None:
                return f"a write on the primary not on the replica in {region} within {ms_text(bound)}"
            return (f"a write reached the replica in {region} after {ms_text(took)} "
                    f"(≥ {ms_text(least)})") if took >= least else None

        return self._link(ctx, change, slow, "seen on the link", reverted=False)

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        if self.spec.target != REPLICATION:
            return super().confirm_reverted(ctx, change)
        least = self.threshold()

        def quick(region: str) -> str | None:
            took = write_travel(ctx, region, 2.0)
            return None if took is None or took >= least else \
                f"a write reached the replica in {region} after {ms_text(took)} (< {ms_text(least)})"

        return self._link(ctx, change, quick, "gone from the link", reverted=True)

    def _link(self, ctx: Context, change: Change, look: Callable[[str], str | None], what: str,
              *, reverted: bool) -> str:
        evidence = []
        ours = {t["name"] for t in change.toxics}
        for region in self.regions():
            if not reverted:
                self._listed(ctx, change, region)
            hidden = self.held_elsewhere(ctx, region, ours, toxics=reverted)
            if hidden:
                evidence.append(f"{region}: {hidden}")
                continue
            link = ReplicationLink(ctx, region)
            replica = link.replica_side()
            if replica is not None and replica.get("role") == "master":
                evidence.append(f"{region}: its store is a primary (promoted): the link is unused")
                continue
            if reverted and (replica is None or link.primary_side() is None):
                # Other faults (a region outage) keep a store out of reach: the toxic is gone.
                evidence.append(f"{region}: toxic removed; the link is not observable (a store "
                                "is out of reach for another fault)")
                continue

            def check(region: str = region) -> str | None:
                try:
                    return look(region)
                except redis.RedisError as exc:  # retried: eventually retries OSError
                    raise OSError(str(exc)) from None

            seen = eventually(check, f"{self.describe()} {what} in {region}",
                              timeout=max(10.0, 4 * self.probe_timeout()), interval=0.1)
            evidence.append(f"{region}: {seen}")
        return "; ".join(evidence)

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
            return f"{trip} (≥ {ms_text(least)})"
        if trip.timed_out and trip.seconds >= least:
            return f"no answer within {ms_text(trip.seconds)} (≥ {ms_text(least)})"
        if not trip.ok:
            raise Unclear(str(trip))
        return None

    def baseline(self, wire: Wire) -> str | None:
        trip = wire.round_trip(2.0)
        return f"{trip} (< {ms_text(self.threshold())})" if trip.ok and (
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
        return f"{trip}, intact (≥ {ms_text(self.least(expected))})" \
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
        return f"{trip} (≥ {ms_text(self.threshold())})" if trip.seconds >= self.threshold() else None

    def baseline(self, wire: Wire) -> str | None:
        trip = wire.close_delay(2.0)
        return f"{trip} (< {ms_text(self.threshold())})" if trip.ok and \
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
