"""What discovery found, as plain data: names a service asked for, proxies it went through.

Pure: built from `Query` records, `Connection` records and proxy byte counters, so the
aggregation is tested without a world.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chaoskit.discovery._proxylog import Connection
from chaoskit.history import Query
from chaoskit.topology import Topology

#: Answers that mean the name resolved; anything else (NXDOMAIN, SERVFAIL, REFUSED, a
#: dropped question) did not.
RESOLVED = frozenset({"NOERROR"})


@dataclass(frozen=True)
class NameSeen:
    """A name one service asked one region's CoreDNS for, aggregated over the queries.

    `in_topology`: the name is one of the world's endpoints (``kv.us-east-1.<domain>``,
    or a world-wide name such as ``kv.global.<domain>``); `endpoint` is then that endpoint
    (``kv``, ``auth``). `outside`: the name is not in the world's domain at all, so the
    world forwards it to the machine's resolver (on a real network: the internet).
    `resolved`: at least one answer was NOERROR. The query log holds the answer's code,
    not its records: an empty answer (NODATA) counts as resolved.
    """

    region: str
    name: str
    queries: int
    rcodes: dict[str, int]
    in_topology: bool
    endpoint: str | None
    outside: bool = False
    resolved: bool = True
    qtypes: dict[str, int] = field(default_factory=dict)
    first: float | None = None
    last: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "name": self.name, "queries": self.queries,
                "rcodes": dict(self.rcodes), "qtypes": dict(self.qtypes),
                "in_topology": self.in_topology, "endpoint": self.endpoint,
                "outside": self.outside, "resolved": self.resolved,
                "first": self.first, "last": self.last}


@dataclass(frozen=True)
class ProxySeen:
    """A Toxiproxy proxy (in `region`'s Toxiproxy) that carried a service's connections.

    `connections`: how many the service opened through it in the time asked about (None
    when Toxiproxy's log could not be read). `bytes_in` / `bytes_out`: what the proxy
    received from all its clients / sent back to them since it started, counted when
    each connection closed (Toxiproxy's counters are per proxy, not per client).
    """

    region: str
    proxy: str
    endpoint: str | None
    bytes_in: int
    bytes_out: int
    connections: int | None

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "proxy": self.proxy, "endpoint": self.endpoint,
                "bytes_in": self.bytes_in, "bytes_out": self.bytes_out,
                "connections": self.connections}


@dataclass(frozen=True)
class Dependencies:
    """What one service was seen to depend on: the names it asked for, the proxies it used."""

    service: str
    names: tuple[NameSeen, ...]
    proxies: tuple[ProxySeen, ...]
    since: float | None = None
    until: float | None = None

    def endpoints(self) -> list[str]:
        """The topology endpoints the service was seen to use (by name or by proxy), sorted."""
        seen = {n.endpoint for n in self.names if n.endpoint is not None}
        seen |= {p.endpoint for p in self.proxies if p.endpoint is not None and p.connections}
        return sorted(seen)

    @property
    def outside(self) -> list[NameSeen]:
        """Names outside the world's domain (they would have gone to the internet)."""
        return [n for n in self.names if n.outside]

    @property
    def unresolved(self) -> list[NameSeen]:
        """Names that never resolved (every answer NXDOMAIN, SERVFAIL, REFUSED or none)."""
        return [n for n in self.names if not n.resolved]

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "since": self.since, "until": self.until,
                "endpoints": self.endpoints(),
                "names": [n.to_json() for n in self.names],
                "proxies": [p.to_json() for p in self.proxies],
                "outside": sorted({n.name for n in self.outside}),
                "unresolved": sorted({n.name for n in self.unresolved})}


def endpoint_of(name: str, topology: Topology) -> str | None:
    """The endpoint a DNS name belongs to (``kv`` for ``kv.us-east-1.<domain>`` or
    ``kv.global.<domain>``), None when the world has no such name."""
    name = name.lower().rstrip(".")
    for e in topology.endpoints:
        if e.dns_name == name:
            return e.name
    for endpoint in topology.endpoint_names:
        if topology.write_name(endpoint) == name:
            return endpoint
    return None


def in_domain(name: str, topology: Topology) -> bool:
    name = name.lower().rstrip(".")
    return name == topology.domain or name.endswith("." + topology.domain)


def names_seen(queries: Iterable[Query], topology: Topology) -> tuple[NameSeen, ...]:
    """`queries` (of one client) aggregated by (region, name), sorted."""
    groups: dict[tuple[str, str], list[Query]] = {}
    for q in queries:
        groups.setdefault((q.region, q.name), []).append(q)
    out = []
    for (region, name), qs in sorted(groups.items()):
        rcodes = Counter(q.rcode for q in qs)
        endpoint = endpoint_of(name, topology)
        out.append(NameSeen(
            region=region, name=name, queries=len(qs), rcodes=dict(sorted(rcodes.items())),
            in_topology=endpoint is not None, endpoint=endpoint,
            outside=not in_domain(name, topology),
            resolved=any(r in RESOLVED for r in rcodes),
            qtypes=dict(sorted(Counter(q.qtype for q in qs).items())),
            first=min(q.time for q in qs), last=max(q.time for q in qs)))
    return tuple(out)


def proxies_seen(connections: Mapping[str, Iterable[Connection]] | None,
                 counters: Mapping[str, Mapping[str, tuple[int, int]]],
                 clients: set[str], topology: Topology) -> tuple[ProxySeen, ...]:
    """The proxies that carried connections from `clients` (addresses), per region.

    `connections`: region -> the connections that region's Toxiproxy accepted (None when
    its log could not be read: then every proxy with bytes is listed, connections None).
    `counters`: region -> proxy -> (bytes in, bytes out).
    """
    endpoints = set(topology.endpoint_names)
    out = []
    for region in topology.regions:
        bytes_by_proxy = counters.get(region, {})
        if connections is None:
            for proxy, (b_in, b_out) in sorted(bytes_by_proxy.items()):
                if b_in or b_out:
                    out.append(ProxySeen(region, proxy, proxy if proxy in endpoints else None,
                                         b_in, b_out, None))
            continue
        counts = Counter(c.proxy for c in connections.get(region, ()) if c.client_ip in clients)
        for proxy, n in sorted(counts.items()):
            b_in, b_out = bytes_by_proxy.get(proxy, (0, 0))
            out.append(ProxySeen(region, proxy, proxy if proxy in endpoints else None,
                                 b_in, b_out, n))
    return tuple(out)
