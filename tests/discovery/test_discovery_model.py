"""Discovery's aggregation, from hand-made records: names per service, proxies, endpoints."""

from __future__ import annotations

from chaoskit.discovery import Connection, Dependencies, endpoint_of, names_seen, proxies_seen
from chaoskit.history import Query
from chaoskit.topology.model import parse_topology

TOPOLOGY = parse_topology("""\
name: t
regions: [us-east-1, us-west-2]
services:
  orders: {port: 8080, uses: [kv, auth]}
  auth: {port: 8081, uses: [kv]}
""")


def q(t: float, name: str, rcode: str = "NOERROR", region: str = "us-east-1",
      qtype: str = "A") -> Query:
    return Query(t, region, "orders", "10.0.0.40", name, qtype, rcode)


def test_names_belong_to_endpoints_or_to_nothing() -> None:
    assert endpoint_of("kv.us-east-1.chaoskit.internal", TOPOLOGY) == "kv"
    assert endpoint_of("AUTH.us-west-2.chaoskit.internal.", TOPOLOGY) == "auth"
    assert endpoint_of("kv.global.chaoskit.internal", TOPOLOGY) == "kv"
    assert endpoint_of("kv.eu-west-1.chaoskit.internal", TOPOLOGY) is None
    assert endpoint_of("example.com", TOPOLOGY) is None


def test_names_are_counted_per_region_with_their_answers() -> None:
    seen = names_seen([
        q(1, "kv.us-east-1.chaoskit.internal"), q(2, "kv.us-east-1.chaoskit.internal", qtype="AAAA"),
        q(3, "kv.us-east-1.chaoskit.internal", "NXDOMAIN"),
        q(4, "kv.us-east-1.chaoskit.internal", region="us-west-2"),
        q(5, "metrics.example.com", "SERVFAIL"), q(6, "metrics.example.com", "NOANSWER"),
        q(7, "typo.us-east-1.chaoskit.internal", "NXDOMAIN"),
    ], TOPOLOGY)
    by = {(n.region, n.name): n for n in seen}
    kv = by[("us-east-1", "kv.us-east-1.chaoskit.internal")]
    assert (kv.queries, kv.rcodes, kv.qtypes) == (3, {"NOERROR": 2, "NXDOMAIN": 1}, {"A": 2, "AAAA": 1})
    assert (kv.in_topology, kv.endpoint, kv.outside, kv.resolved, kv.first, kv.last) == (
        True, "kv", False, True, 1, 3)
    assert by[("us-west-2", "kv.us-east-1.chaoskit.internal")].queries == 1
    outside = by[("us-east-1", "metrics.example.com")]
    assert (outside.in_topology, outside.endpoint, outside.outside, outside.resolved) == (
        False, None, True, False)
    typo = by[("us-east-1", "typo.us-east-1.chaoskit.internal")]
    assert (typo.in_topology, typo.outside, typo.resolved) == (False, False, False)


def test_proxies_count_the_services_own_connections_and_the_proxies_bytes() -> None:
    conns = {"us-east-1": [Connection(1, "kv", "10.0.0.40"), Connection(2, "kv", "10.0.0.40"),
                           Connection(3, "kv", "10.0.0.41"), Connection(4, "auth", "10.0.0.40"),
                           Connection(5, "dns-us-east-1", "10.0.0.10")],
             "us-west-2": [Connection(1, "replication", "10.0.1.30")]}
    counters = {"us-east-1": {"kv": (100, 200), "auth": (5, 6)}, "us-west-2": {"replication": (9, 9)}}
    seen = proxies_seen(conns, counters, {"10.0.0.40"}, TOPOLOGY)
    assert [(p.region, p.proxy, p.endpoint, p.connections, p.bytes_in, p.bytes_out) for p in seen] == [
        ("us-east-1", "auth", "auth", 1, 5, 6), ("us-east-1", "kv", "kv", 2, 100, 200)]
    # Without Toxiproxy's log: every proxy with bytes, connections unknown.
    blind = proxies_seen(None, counters, {"10.0.0.40"}, TOPOLOGY)
    assert {(p.proxy, p.endpoint, p.connections) for p in blind} == {
        ("kv", "kv", None), ("auth", "auth", None), ("replication", None, None)}


def test_endpoints_are_what_the_service_was_seen_to_use() -> None:
    names = names_seen([q(1, "kv.us-east-1.chaoskit.internal"), q(2, "example.com", "NXDOMAIN")],
                       TOPOLOGY)
    proxies = proxies_seen({"us-east-1": [Connection(1, "auth", "10.0.0.40")]}, {}, {"10.0.0.40"},
                           TOPOLOGY)
    deps = Dependencies("orders", names, proxies, since=0.0, until=10.0)
    assert deps.endpoints() == ["auth", "kv"]
    doc = deps.to_json()
    assert doc["endpoints"] == ["auth", "kv"]
    assert doc["outside"] == ["example.com"] and doc["unresolved"] == ["example.com"]
    assert doc["names"][0]["name"] in ("example.com", "kv.us-east-1.chaoskit.internal")
    assert Dependencies("orders", (), ()).endpoints() == []


def test_service_names_are_checked_with_a_did_you_mean() -> None:
    assert TOPOLOGY.service_problem("orders") is None
    assert TOPOLOGY.service_problem("orderz") == "unknown service 'orderz'; did you mean 'orders'?"
    assert "known: auth, orders" in str(TOPOLOGY.service_problem("zzz"))
    assert "..." in str(TOPOLOGY.service_problem("x" * 500))
