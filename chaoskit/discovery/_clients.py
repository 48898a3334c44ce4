"""Who has an address: the world's containers by their networks, for naming DNS clients.

The address plan (`chaoskit.render.plan`) fixes every address chaoskit hands out; the
Docker networks of the world (``network inspect``) add whatever else is attached to them,
by container. A query from a region's gateway came from this machine, through a published
port (``host``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaoskit.world import World

HOST = "host"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Holder:
    """Who holds an address: a client name (``orders``, ``agent-us-east-1``) and its role."""

    client: str
    role: str
    region: str | None = None


def unknown(ip: str) -> Holder:
    return Holder(f"?{ip}", UNKNOWN)


class AddressBook:
    """Address -> `Holder`, for one world."""

    def __init__(self, holders: dict[str, Holder]) -> None:
        self.holders = holders

    def __getitem__(self, ip: str) -> Holder:
        return self.holders.get(ip) or unknown(ip)

    @classmethod
    def of(cls, world: World) -> AddressBook:
        holders = planned(world)
        holders.update(attached(world))
        return cls(holders)


def planned(world: World) -> dict[str, Holder]:
    """Every address the world's plan gives out, on every network it gives it on."""
    plan = world.plan
    regions = world.topology.regions
    out: dict[str, Holder] = {}
    for r in regions:
        out[plan.gateway(r)] = Holder(HOST, HOST)
        out[plan.kv_ip(r)] = Holder(f"kv-{r}", "kv", r)
        out[plan.agent_ip(r)] = Holder(f"agent-{r}", "agent", r)
        for on in regions:
            out[plan.coredns_ip(r, on=on)] = Holder(f"coredns-{r}", "coredns", r)
            out[plan.toxiproxy_ip(r, on=on)] = Holder(f"toxiproxy-{r}", "toxiproxy", r)
        for name in world.topology.services:
            out[plan.service_ip(name, r)] = Holder(name, "service", r)
    out[plan.reaper_ip()] = Holder("reaper", "reaper")
    return out


def attached(world: World) -> dict[str, Holder]:
    """The containers attached to the world's networks now, by address (network inspect)."""
    from chaoskit.engine import docker_client

    client = docker_client()
    labels = {c.id: c.labels for c in world.containers()}
    out: dict[str, Holder] = {}
    flt = {"label": f"com.docker.compose.project={world.project}"}
    for net in client.networks.list(filters=flt):
        attrs: dict[str, Any] = client.api.inspect_network(net.id)
        for cid, info in (attrs.get("Containers") or {}).items():
            ip = str(info.get("IPv4Address") or "").split("/")[0]
            if not ip:
                continue
            mine = labels.get(cid)
            if mine is None:
                continue  # not the world's: named by its address
            role = mine.get("io.chaoskit.role") or UNKNOWN
            region = mine.get("io.chaoskit.region")
            name = (mine.get("io.chaoskit.service") if role == "service"
                    else mine.get("com.docker.compose.service")) or info.get("Name") or ip
            out[ip] = Holder(str(name), str(role), region)
    return out
