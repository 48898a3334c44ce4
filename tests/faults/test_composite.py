"""Composite faults on a real world, and a reset after faults of every family.

Each composite is seen part by part by independent clients (DNS queries to each
region's CoreDNS, Redis clients through the proxies), then reverted.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import dns.message
import dns.query
import dns.rcode
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoskit.faults import Faults
from chaoskit.inworld.protocol import journal
from chaoskit.region import World
from chaoskit.toxiproxy import ToxiproxyClient

pytestmark = pytest.mark.world


def rcode(world: World, asked_in: str, name: str) -> str:
    addr = world.dns_address(asked_in)
    answer = dns.query.udp(dns.message.make_query(name, "A"), addr.host, port=addr.port,
                           timeout=2)
    return str(dns.rcode.to_text(answer.rcode()))


def kv(world: World, region: str, timeout: float = 1.0) -> redis.Redis:
    a = world.endpoint_address("kv", region)
    return redis.Redis(host=a.host, port=a.port, socket_timeout=timeout,
                       socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))


def ping(world: World, region: str) -> float:
    """Seconds of one PING once connected; raises if the store cannot be reached."""
    client = kv(world, region, timeout=2.0)
    try:
        client.ping()  # connects (and introduces the client) first
        started = time.monotonic()
        client.ping()
        return time.monotonic() - started
    finally:
        client.close()


def raw_ping(world: World, region: str) -> float:
    """Seconds of one PING on a new connection (a bare RESP exchange); raises if it fails."""
    a = world.endpoint_address("kv", region)
    with socket.create_connection((a.host, a.port), timeout=2) as sock:
        started = time.monotonic()
        sock.sendall(b"PING\r\n")
        if sock.recv(64) != b"+PONG\r\n":
            raise ConnectionError("no PONG")
        return time.monotonic() - started


def link_status(world: World, replica: str) -> str:
    return str(kv(world, replica).info("replication")["master_link_status"])


def proxies(world: World, region: str) -> dict[str, Any]:
    with ToxiproxyClient(world.toxiproxy_url(region)) as api:
        return api.list_proxies()


def test_region_outage_of_the_primary(world: World, chaos: Faults) -> None:
    topo = world.topology
    out, others = topo.primary, topo.regions[1:]
    with chaos.fault({"fault": "region.outage", "target": out, "id": "east"}) as active:
        for asked_in in topo.regions:  # its names fail in every region
            assert rcode(world, asked_in, f"kv.{out}.{topo.domain}") == "SERVFAIL"
        for other in others:  # the other regions' names still resolve
            assert rcode(world, other, f"kv.{other}.{topo.domain}") == "NOERROR"
        listed = proxies(world, out)
        assert all(not listed[e].enabled for e in topo.endpoint_names)
        with pytest.raises(redis.ConnectionError):
            ping(world, out)
        for other in others:
            assert ping(world, other) < 0.25
            assert not proxies(world, other)["replication"].enabled
            assert link_status(world, other) == "down"
        # Parts carry ids derived from the composite's.
        assert sorted(active.change.dns_blocks) == sorted(topo.regions)
        assert all("east-dns" in b for blocks in active.change.dns_blocks.values()
                   for b in blocks)
    for asked_in in topo.regions:
        assert rcode(world, asked_in, f"kv.{out}.{topo.domain}") == "NOERROR"
    assert ping(world, out) < 0.25
    for other in others:
        assert link_status(world, other) == "up"


def test_dependency_outage_with_dns(world: World, chaos: Faults) -> None:
    topo = world.topology
    with chaos.fault({"fault": "dependency.outage", "target": "kv", "params": {"dns": True}}):
        for region in topo.regions:
            with pytest.raises(redis.ConnectionError):
                ping(world, region)
            for asked_in in topo.regions:
                assert rcode(world, asked_in, f"kv.{region}.{topo.domain}") == "NXDOMAIN"
    for region in topo.regions:
        assert ping(world, region) < 0.25
        assert rcode(world, region, f"kv.{region}.{topo.domain}") == "NOERROR"


def test_brownout_is_slow_and_flaky(world: World, chaos: Faults) -> None:
    region = world.topology.primary
    with chaos.fault({"fault": "brownout", "target": "kv", "region": region, "id": "brown",
                      "params": {"ms": 300, "error_fraction": 0.5}}) as active:
        assert sorted(t["name"] for t in active.change.toxics) == [
            "brown-errors-reset_peer-upstream", "brown-slow-latency-downstream"]
        slow, failed = [], 0
        for _ in range(16):  # toxicity is drawn per connection: 16 new ones
            try:
                slow.append(raw_ping(world, region))
            except OSError:
                failed += 1
        assert 0 < failed < 16  # P(all or none of 16 reset) = 2 * 0.5**16
        assert min(slow) >= 0.25
    assert max(raw_ping(world, region) for _ in range(5)) < 0.25


def test_reset_after_faults_of_every_family(world: World, chaos: Faults) -> None:
    topo = world.topology
    first, last = topo.regions[0], topo.regions[-1]
    chaos.inject({"fault": "dns.nxdomain", "target": f"kv.{first}.{topo.domain}"})
    chaos.inject({"fault": "net.latency", "target": "kv", "region": first, "params": {"ms": 200}})
    chaos.inject({"fault": "net.down", "target": "kv", "region": last})
    chaos.inject({"fault": "container.pause", "target": f"agent-{last}"})
    chaos.inject({"fault": "container.disconnect", "target": f"kv-{last}"})
    chaos.inject({"fault": "brownout", "target": "kv", "region": first,
                  "params": {"ms": 100, "error_fraction": 0.3}})
    if len(topo.regions) > 1:
        chaos.inject({"fault": "net.partition", "target": "replication"})
    assert len(chaos.listing()) >= 6

    done = chaos.reset()

    assert chaos.listing() == [] and journal.read(world.dir)["faults"] == []
    assert "confirmed" in done
    for region in topo.regions:
        listed = proxies(world, region)
        assert all(p.enabled for p in listed.values()), region
        assert sum(len(p.toxics) for p in listed.values()) == 0, region
        assert ping(world, region) < 0.25
        assert rcode(world, region, f"kv.{first}.{topo.domain}") == "NOERROR"
    for container in world.containers():
        if container.labels.get("com.docker.compose.service") != "tools":
            assert container.status == "running", container.name
    kv_last = world.container(f"kv-{last}")
    kv_last.reload()
    assert f"{world.project}_net-{last}" in kv_last.attrs["NetworkSettings"]["Networks"]
