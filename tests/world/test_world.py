"""The two-region world, against the real engine, CoreDNS, Toxiproxy and Redis."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import dns.message
import dns.query
import dns.rcode
import pytest
import redis

from chaoskit.world import World

pytestmark = pytest.mark.world


def ask(world: World, region: str, name: str, proto: str = "udp") -> dns.message.Message:
    addr = world.dns_address(region, proto)
    q = dns.message.make_query(name, "A")
    fn = dns.query.tcp if proto == "tcp" else dns.query.udp
    return fn(q, addr.host, port=addr.port, timeout=2)


def test_every_container_is_running_and_healthy(world: World) -> None:
    status = world.status()
    assert status["running"]
    for region, r in status["regions"].items():
        roles = {name.removesuffix(f"-{region}") for name in r["services"]}
        assert {"coredns", "toxiproxy", "kv", "agent"} <= roles, region
        for name, s in r["services"].items():
            assert s["state"] == "running" and s["health"] == "healthy", (name, s)


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_names_resolve_through_each_region_to_its_proxy(world: World, proto: str) -> None:
    plan = world.plan
    for asking in world.topology.regions:
        for e in world.topology.endpoints:
            r = ask(world, asking, e.dns_name, proto)
            assert dns.rcode.to_text(r.rcode()) == "NOERROR"
            got = [str(x) for rr in r.answer for x in rr]
            # The address is the Toxiproxy of the endpoint's region, on the asker's network.
            assert got == [plan.toxiproxy_ip(e.region, on=asking)], (asking, e.dns_name)
            assert r.answer[0].ttl <= 5


def test_region_clients_get_their_own_network_addresses(world: World) -> None:
    plan = world.plan
    for r in world.topology.regions:
        for e in world.topology.endpoints:
            with urllib.request.urlopen(f"{world.agent_url(r)}/dns?name={e.dns_name}") as resp:
                body = json.loads(resp.read())
            assert body["rcode"] == "NOERROR"
            assert [a["value"] for a in body["answers"]] == [plan.toxiproxy_ip(e.region, on=r)]
            # ...and that address really reaches the endpoint from inside the region.
            ip = body["answers"][0]["value"]
            with urllib.request.urlopen(f"{world.agent_url(r)}/tcp?host={ip}&port={e.port}") as resp:
                assert json.loads(resp.read())["ok"], (r, e.dns_name)


def test_unknown_names_in_the_zone_are_nxdomain(world: World) -> None:
    r = ask(world, world.topology.primary, f"nothing.{world.topology.primary}.chaoskit.internal")
    assert dns.rcode.to_text(r.rcode()) == "NXDOMAIN"


def test_write_in_first_region_is_read_in_second_through_replication_proxy(world: World) -> None:
    first, second = world.topology.regions[:2]
    a = world.endpoint_address("kv", first)
    b = world.endpoint_address("kv", second)
    primary = redis.Redis(a.host, a.port, socket_timeout=2)
    replica = redis.Redis(b.host, b.port, socket_timeout=2)
    key, value = f"it-{uuid.uuid4().hex}", uuid.uuid4().hex
    primary.set(key, value)
    deadline = time.monotonic() + 10
    while replica.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert replica.get(key) == value.encode()
    info = replica.info("replication")
    assert info["role"] == "slave" and info["master_link_status"] == "up"
    # The replica's primary is its own region's Toxiproxy, not the primary directly.
    assert info["master_host"] == world.plan.toxiproxy_ip(second)
    assert int(info["master_port"]) == 16379
    with pytest.raises(redis.exceptions.ReadOnlyError):
        replica.set(key, "nope")


def test_an_order_round_trips_through_dns_proxy_and_store(world: World) -> None:
    if "orders" not in world.topology.services:
        pytest.skip("topology has no orders service")
    first, second = world.topology.regions[:2]
    oid = f"o-{uuid.uuid4().hex[:8]}"
    req = urllib.request.Request(f"{world.service_url('orders', first)}/orders",
                                 data=json.dumps({"id": oid, "item": "book"}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 201
        assert resp.headers["X-Served-From"] == first
    # The store has it under the key orders writes, read straight from the primary's proxy.
    a = world.endpoint_address("kv", first)
    stored = redis.Redis(a.host, a.port, socket_timeout=2).get(f"order:{oid}")
    assert stored is not None and b"book" in stored
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"{world.service_url('orders', second)}/orders/{oid}",
                                        timeout=5) as resp:
                body = json.loads(resp.read())
                break
        except urllib.error.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert body["id"] == oid and body["item"] == "book"
