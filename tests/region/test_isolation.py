"""Two worlds on one machine never clash, and `down` removes only its own world."""

from __future__ import annotations

import os
from pathlib import Path

import dns.message
import dns.query
import pytest

from chaoskit.engine import docker_client
from chaoskit.region import World

pytestmark = pytest.mark.world


def test_two_worlds_side_by_side(world: World, tmp_path: Path) -> None:
    topo = tmp_path / "small.yaml"
    topo.write_text("name: small\nregions: [eu-west-1]\nservices: {}\n")
    other = World.define(topo, f"side-{os.getpid()}")
    try:
        other.up()
        assert other.is_running() and world.is_running()
        mine = set(world.plan.subnets.values())
        theirs = set(other.plan.subnets.values())
        assert not mine & theirs
        a, b = world.dns_address(world.topology.primary), other.dns_address("eu-west-1")
        assert a.port != b.port
        q = dns.message.make_query("kv.eu-west-1.chaoskit.internal", "A")
        r = dns.query.udp(q, b.host, port=b.port, timeout=2)
        assert [str(x) for rr in r.answer for x in rr] == [other.plan.toxiproxy_ip("eu-west-1")]
        names = {c.name for c in world.containers()} & {c.name for c in other.containers()}
        assert not names
    finally:
        other.down()
    client = docker_client()
    flt = {"label": f"com.docker.compose.project={other.project}"}
    assert client.containers.list(all=True, filters=flt) == []
    assert client.networks.list(filters=flt) == []
    assert client.volumes.list(filters=flt) == []
    assert not other.dir.exists()
    world.wait_healthy(timeout=10)  # the first world is untouched
