"""The address plan of a world: networks, fixed addresses and listeners.

One bridge network per region, with a /24 chosen at `up` time so that two
worlds on one machine never clash. In every region's network:

    .1        gateway (where queries from the host appear to come from)
    .5        reaper (first region's network only)
    .6        agent of that region (its own network only)
    .7        the store's capacity gate of that region, when the store has a capacity
    .10 + i   CoreDNS of region i        (attached to every region's network)
    .20 + i   Toxiproxy of region i      (attached to every region's network)
    .30       key-value store of that region (its own network only)
    .40 + k   service k of that region   (its own network only)

CoreDNS and Toxiproxy sit on every network so a client in any region reaches
any region's endpoints, always through the destination region's Toxiproxy,
and each region's CoreDNS tells its clients apart by source subnet (`view`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from chaoskit.topology import Topology
from chaoskit.topology.model import DNS_PROXY_BASE, SERVICE_HOST_BASE
from chaoskit.topology.model import HOST_VIEW as HOST_VIEW  # the faults name the host view too

DEFAULT_POOL = "10.213.0.0/16"
DNS_BASELINE_BASE = 5300  # CoreDNS listens on 5300 + view index with the fault-free answers
REPLICATION_PORT = 16379
TOXIPROXY_API = 8474
AGENT_PORT = 7000
REAPER_PORT = 7070


@dataclass(frozen=True)
class View:
    """A group of DNS clients a CoreDNS tells apart: one region's subnet, or the host."""

    name: str
    index: int
    cidr: str | None  # None: everyone else (the host, through a published port)


@dataclass
class Plan:
    """Addresses of everything in one world."""

    topology: Topology
    project: str
    subnets: dict[str, str]

    @property
    def networks(self) -> dict[str, str]:
        """Region -> the Compose key of its network."""
        return {r: f"net-{r}" for r in self.topology.regions}

    # --- addresses --------------------------------------------------------
    def _host(self, network_region: str, n: int) -> str:
        net = ipaddress.ip_network(self.subnets[network_region])
        return str(net.network_address + n)

    def index(self, region: str) -> int:
        return self.topology.regions.index(region)

    def gateway(self, region: str) -> str:
        return self._host(region, 1)

    def coredns_ip(self, region: str, on: str | None = None) -> str:
        return self._host(on or region, 10 + self.index(region))

    def toxiproxy_ip(self, region: str, on: str | None = None) -> str:
        return self._host(on or region, 20 + self.index(region))

    def kv_ip(self, region: str) -> str:
        return self._host(region, 30)

    def agent_ip(self, region: str) -> str:
        return self._host(region, 6)

    def kvgate_ip(self, region: str) -> str:
        return self._host(region, 7)

    @property
    def kv_gated(self) -> bool:
        """Has the store a capacity, so that a gate stands between Toxiproxy and it?"""
        return self.topology.model.kv.capacity is not None

    def reaper_ip(self) -> str:
        return self._host(self.topology.primary, 5)

    def service_ip(self, service: str, region: str) -> str:
        k = list(self.topology.services).index(service)
        return self._host(region, SERVICE_HOST_BASE + k)

    def upstream_ip(self, endpoint: str, region: str) -> str:
        if endpoint == "kv":
            return self.kvgate_ip(region) if self.kv_gated else self.kv_ip(region)
        return self.service_ip(endpoint, region)

    # --- DNS views --------------------------------------------------------
    @property
    def views(self) -> list[View]:
        out = [View(r, i, self.subnets[r]) for i, r in enumerate(self.topology.regions)]
        out.append(View(HOST_VIEW, len(out), None))
        return out

    def view(self, name: str) -> View:
        for v in self.views:
            if v.name == name:
                return v
        raise KeyError(name)

    def view_expr(self, view: View) -> str:
        """CoreDNS `view` expression selecting the clients of `view`.

        Gateways are excluded: queries from the host through a published port
        arrive from a gateway, and belong to the host view.
        """
        if view.cidr is None:
            gateways = " && ".join(f"client_ip() != '{self.gateway(r)}'" for r in self.topology.regions)
            subnets = " || ".join(f"incidr(client_ip(), '{self.subnets[r]}')" for r in self.topology.regions)
            return f"(!({subnets}) || !({gateways}))"
        return f"(incidr(client_ip(), '{view.cidr}') && client_ip() != '{self.gateway(view.name)}')"

    def answer_ip(self, endpoint_region: str, view: View, serving_region: str) -> str:
        """The address a client of `view` gets for an endpoint of `endpoint_region`."""
        net = view.name if view.cidr is not None else serving_region
        return self.toxiproxy_ip(endpoint_region, on=net)

    def dns_proxy_port(self, view: View) -> int:
        return DNS_PROXY_BASE + view.index

    def dns_baseline_port(self, view: View) -> int:
        return DNS_BASELINE_BASE + view.index

    def to_json(self) -> dict[str, object]:
        primary = self.topology.primary
        return {"project": self.project, "subnets": self.subnets,
                "regions": self.topology.regions,
                # How the reaper, on the first region's network, reaches each Toxiproxy.
                "toxiproxy_internal": {r: f"http://{self.toxiproxy_ip(r, on=primary)}:{TOXIPROXY_API}"
                                       for r in self.topology.regions}}


def default_subnets(topology: Topology, used: set[str] | None = None, start: int = 0,
                    pool: str = DEFAULT_POOL) -> dict[str, str]:
    """The first free /24s of `pool` (skipping `used`), one per region, from `start`."""
    if topology.model.subnets:
        return dict(topology.model.subnets)
    used_nets = [ipaddress.ip_network(u) for u in (used or set())]
    candidates: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = list(
        ipaddress.ip_network(pool).subnets(new_prefix=24))
    out: dict[str, str] = {}
    regions = iter(topology.regions)
    region = next(regions, None)
    for k in range(len(candidates)):
        if region is None:
            break
        cand = candidates[(start + k) % len(candidates)]
        if any(cand.overlaps(u) for u in used_nets):
            continue
        out[region] = str(cand)
        region = next(regions, None)
    return out
