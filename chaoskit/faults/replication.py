"""The cross-region replication link: how the stores report it, and `net.partition` that cuts it.

The link from a replica region's store to the primary's runs through the
replica region's Toxiproxy (proxy ``replication``). It is read with redis-py
(``INFO replication``) from both stores, through their own proxies; how long
a write takes to cross it (`write_travel`) is timed the same way, and is how
``net.latency`` on the replication link is confirmed.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

import redis
from pydantic import BaseModel, ConfigDict, Field

from chaoskit.errors import ConfirmTimeout
from chaoskit.faults.base import Change
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.network import REPLICATION, NetFault
from chaoskit.faults.registry import register
from chaoskit.faults.spec import FaultSpec
from chaoskit.faults.wire import QUIET_REDIS, RedisConnection
from chaoskit.topology import Topology

# How long a cut or healed replication link takes to show: Redis gives up on a
# silent link after repl-timeout (5 s in the world) and retries every second.
LINK_TIMEOUT_S = 15.0


class PartitionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: Literal["both", "to-replica", "to-primary"] = Field(
        default="both", description="both, to-replica (primary to replica) or to-primary")


def _info_replication(address: Any, timeout: float = 1.0) -> dict[str, str]:
    conn = RedisConnection(host=address.host, port=address.port, socket_timeout=timeout,
                            socket_connect_timeout=timeout, **QUIET_REDIS)
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


def _command(address: Any, *args: Any, timeout: float) -> Any:
    conn = RedisConnection(host=address.host, port=address.port, socket_timeout=timeout,
                           socket_connect_timeout=timeout, **QUIET_REDIS)
    try:
        conn.connect()
        conn.send_command(*args)
        return conn.read_response()
    finally:
        conn.disconnect()


def write_travel(ctx: Context, region: str, timeout: float) -> float | None:
    """Seconds a write on the primary takes to show on the replica in `region`; None if it
    did not within `timeout`. Raises redis/OS errors when a store cannot be reached.

    A key is set on the primary, then the replica is read every 10 ms until it holds
    it; the key is deleted afterwards.
    """
    primary = ctx.world.endpoint_address("kv", ctx.topology.primary)
    replica = ctx.world.endpoint_address("kv", region)
    key, value = "chaoskit:travel", uuid.uuid4().hex
    started = time.monotonic()
    _command(primary, "SET", key, value, timeout=timeout)
    try:
        while True:
            if _command(replica, "GET", key, timeout=timeout) == value.encode():
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                return None
            time.sleep(0.01)
    finally:
        _command(primary, "DEL", key, timeout=timeout)


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
