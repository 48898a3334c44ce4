"""Network faults on a real world: each seen by an independent client, then reverted.

The clients here are the tests' own (redis-py, http.client, raw sockets), through
each proxy's published port, not the faults' confirmation probes.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoskit.errors import FaultSpecError
from chaoskit.faults import Faults
from chaoskit.toxiproxy import ToxiproxyClient
from chaoskit.world import World

pytestmark = pytest.mark.world


# --- independent clients ---------------------------------------------------------------------

def kv(world: World, region: str, timeout: float = 2.0) -> redis.Redis:
    a = world.endpoint_address("kv", region)
    # No retries: each call is one observation.
    return redis.Redis(host=a.host, port=a.port, socket_timeout=timeout,
                       socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))


def ping_seconds(world: World, region: str, timeout: float = 3.0) -> float:
    """One PING's round trip on an open connection (the connection set up first)."""
    client = kv(world, region, timeout)
    try:
        client.ping()
        started = time.monotonic()
        client.ping()
        return time.monotonic() - started
    finally:
        client.close()


def echo_seconds(world: World, region: str, size: int, timeout: float = 5.0) -> float:
    client = kv(world, region, timeout)
    payload = b"y" * size
    try:
        client.ping()
        started = time.monotonic()
        assert client.echo(payload) == payload
        return time.monotonic() - started
    finally:
        client.close()


def half_close_seconds(world: World, endpoint: str, region: str) -> float:
    """Seconds between our half-close and the other side's close arriving."""
    a = world.endpoint_address(endpoint, region)
    with socket.create_connection((a.host, a.port), timeout=5) as sock:
        started = time.monotonic()
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass
        return time.monotonic() - started


def replication(world: World, region: str) -> dict[str, object]:
    client = kv(world, region, 1.0)
    try:
        return dict(client.info("replication"))
    finally:
        client.close()


def toxics(world: World, region: str, proxy: str) -> dict[str, dict[str, object]]:
    with ToxiproxyClient(world.toxiproxy_url(region)) as api:
        return {t.name: t.to_dict() for t in api.list_toxics(proxy)}


def proxy_enabled(world: World, region: str, proxy: str) -> bool:
    with ToxiproxyClient(world.toxiproxy_url(region)) as api:
        return api.get_proxy(proxy).enabled


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


@pytest.fixture(scope="module")
def regions(world: World) -> list[str]:
    return world.topology.regions


@pytest.fixture(scope="module")
def primary(world: World) -> str:
    return world.topology.primary


@pytest.fixture(scope="module")
def replica(world: World) -> str:
    if len(world.topology.regions) < 2:
        pytest.skip("a single-region world has no replica")
    return world.topology.regions[1]


@pytest.fixture(scope="module")
def service(world: World) -> tuple[str, str]:
    """(name, health path) of the topology's first service; skipped when there is none."""
    for name, svc in world.topology.services.items():
        return name, svc.health_path
    pytest.skip("the topology has no service (orders...)")


def get_seconds(world: World, service: str, path: str, region: str, timeout: float = 3.0
                ) -> tuple[int, float]:
    a = world.endpoint_address(service, region)
    conn = http.client.HTTPConnection(a.host, a.port, timeout=timeout)
    try:
        conn.connect()
        started = time.monotonic()
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.monotonic() - started
    finally:
        conn.close()


# --- toxics ----------------------------------------------------------------------------------

def test_latency_slows_kv_in_one_region_and_is_reverted(
        world: World, chaos: Faults, regions: list[str], primary: str) -> None:
    assert ping_seconds(world, primary) < 0.25
    with chaos.fault({"fault": "net.latency", "target": "kv", "region": primary,
                      "params": {"ms": 300}, "id": "lat"}) as active:
        assert set(toxics(world, primary, "kv")) == {"lat-latency-downstream"}
        assert ping_seconds(world, primary) >= 0.25
        for other in regions[1:]:
            assert ping_seconds(world, other) < 0.25  # only the named region
        assert "PING" in active.evidence
    assert toxics(world, primary, "kv") == {}
    assert ping_seconds(world, primary) < 0.25


def test_two_network_faults_at_once_on_different_regions(
        world: World, chaos: Faults, primary: str, replica: str) -> None:
    slow = chaos.inject({"fault": "net.latency", "target": "kv", "region": primary,
                         "params": {"latency": 300}})
    held = chaos.inject({"fault": "net.timeout", "target": "kv", "region": replica,
                         "params": {"timeout": 0}})
    assert ping_seconds(world, primary) >= 0.25
    with pytest.raises(redis.TimeoutError):
        kv(world, replica, timeout=1.0).ping()
    chaos.revert(held.id)
    assert ping_seconds(world, replica) < 0.25
    assert ping_seconds(world, primary) >= 0.25  # the other one is still in force
    chaos.revert(slow.id)
    assert ping_seconds(world, primary) < 0.25


def test_both_streams_toxicity_and_faults_sharing_a_proxy(
        world: World, chaos: Faults, primary: str) -> None:
    with chaos.fault({"fault": "net.latency", "target": "kv", "region": primary, "id": "two",
                      "params": {"ms": 100, "stream": "both", "toxicity": 0.5}}), \
         chaos.fault({"fault": "net.bandwidth", "target": "kv", "region": primary,
                      "id": "thin", "params": {"rate": 10_000}}):
        listed = toxics(world, primary, "kv")
        assert set(listed) == {"two-latency-upstream", "two-latency-downstream",
                               "thin-bandwidth-downstream"}
        assert listed["two-latency-upstream"]["stream"] == "upstream"
        assert listed["two-latency-upstream"]["toxicity"] == 0.5
        assert listed["two-latency-downstream"]["attributes"] == {"latency": 100, "jitter": 0}
        assert listed["thin-bandwidth-downstream"]["attributes"] == {"rate": 10_000}
    assert toxics(world, primary, "kv") == {}


def test_down_cuts_the_endpoint(world: World, chaos: Faults, primary: str) -> None:
    with chaos.fault({"fault": "net.down", "target": "kv", "region": primary}):
        assert not proxy_enabled(world, primary, "kv")
        started = time.monotonic()
        with pytest.raises(redis.ConnectionError):
            kv(world, primary, timeout=2.0).ping()
        assert time.monotonic() - started < 1.0  # refused or reset, not a stall
    assert proxy_enabled(world, primary, "kv")
    assert kv(world, primary).ping() is True


def test_timeout_zero_holds_connections(world: World, chaos: Faults, primary: str) -> None:
    with chaos.fault({"fault": "net.timeout", "target": "kv", "region": primary}):
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            kv(world, primary, timeout=1.0).ping()
        assert time.monotonic() - started >= 0.9
    assert ping_seconds(world, primary) < 0.25


def test_reset_peer_resets_connections(world: World, chaos: Faults, primary: str) -> None:
    spec = {"fault": "net.reset-peer", "target": "kv", "region": primary,
            "params": {"timeout": 0, "stream": "upstream"}}
    with chaos.fault(spec), pytest.raises(redis.ConnectionError):
        kv(world, primary, timeout=2.0).ping()
    assert kv(world, primary).ping() is True


def test_bandwidth_throttles_transfers(world: World, chaos: Faults, primary: str) -> None:
    with chaos.fault({"fault": "net.bandwidth", "target": "kv", "region": primary,
                      "params": {"rate": 100}}):
        assert echo_seconds(world, primary, 50_000) >= 0.4  # 50 KB at 100 KB/s: 0.5 s
    assert echo_seconds(world, primary, 50_000) < 0.2


def test_slicer_delivers_intact_but_in_slow_pieces(world: World, chaos: Faults, primary: str) -> None:
    with chaos.fault({"fault": "net.slicer", "target": "kv", "region": primary,
                      "params": {"average_size": 100, "size_variation": 20, "delay": 5000}}):
        # 100 pieces of about 100 bytes, 5 ms apart; echo_seconds checks the payload.
        assert echo_seconds(world, primary, 10_000) >= 0.4
    assert echo_seconds(world, primary, 10_000) < 0.2


def test_limit_data_cuts_large_transfers(world: World, chaos: Faults, primary: str) -> None:
    with chaos.fault({"fault": "net.limit-data", "target": "kv", "region": primary,
                      "params": {"bytes": 2000}}):
        assert kv(world, primary).ping() is True  # small exchanges still pass
        with pytest.raises(redis.ConnectionError):
            echo_seconds(world, primary, 10_000)
    echo_seconds(world, primary, 10_000)  # whole again


def test_slow_close_holds_the_close(world: World, chaos: Faults, primary: str) -> None:
    with chaos.fault({"fault": "net.slow-close", "target": "kv", "region": primary,
                      "params": {"delay": 800}}):
        assert half_close_seconds(world, "kv", primary) >= 0.6
    assert half_close_seconds(world, "kv", primary) < 0.3


# --- the replication link --------------------------------------------------------------------

@pytest.mark.parametrize("direction", ["both", "to-replica"])
def test_partition_takes_the_replica_link_down(
        world: World, chaos: Faults, replica: str, direction: str) -> None:
    assert wait_for(lambda: replication(world, replica)["master_link_status"] == "up")
    with chaos.fault({"fault": "net.partition", "target": "replication", "region": replica,
                      "params": {"direction": direction}}):
        # Confirmed already; an independent read agrees.
        assert replication(world, replica)["master_link_status"] == "down"
    # The revert is confirmed only once the link is up again.
    assert replication(world, replica)["master_link_status"] == "up"
    assert proxy_enabled(world, replica, "replication")
    assert toxics(world, replica, "replication") == {}


def test_partition_to_primary_stops_the_replicas_acks(
        world: World, chaos: Faults, primary: str, replica: str) -> None:
    replica_ip = world.plan.toxiproxy_ip(replica, on=primary)

    def lag() -> int | None:
        for key, value in replication(world, primary).items():
            if key.startswith("slave") and isinstance(value, dict) and value["ip"] == replica_ip:
                return int(value["lag"])
        return None  # the primary dropped it

    with chaos.fault({"fault": "net.partition", "target": "replication",
                      "params": {"direction": "to-primary"}}) as active:
        assert active.change.toxics[0]["stream"] == "upstream"
        seen = lag()
        assert seen is None or seen >= 2
    assert replication(world, replica)["master_link_status"] == "up"


# --- services --------------------------------------------------------------------------------

def test_service_latency_and_down(world: World, chaos: Faults, primary: str,
                                  service: tuple[str, str]) -> None:
    name, path = service
    assert get_seconds(world, name, path, primary)[1] < 0.25
    with chaos.fault({"fault": "net.latency", "target": name, "region": primary,
                      "params": {"ms": 300}}):
        assert get_seconds(world, name, path, primary)[1] >= 0.25
    assert get_seconds(world, name, path, primary)[1] < 0.25
    with chaos.fault({"fault": "net.down", "target": name}):
        for region in world.topology.regions:
            with pytest.raises((ConnectionError, http.client.HTTPException)):
                get_seconds(world, name, path, region)
    status, seconds = get_seconds(world, name, path, primary)
    assert status < 500 and seconds < 0.25


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "says"), [
    ({"fault": "net.latency", "target": "nope"}, "unknown endpoint 'nope'; known: kv"),
    ({"fault": "net.latency", "target": "kv", "params": {"ms": 60_001}}, "60000"),
    ({"fault": "net.latency", "target": "kv", "params": {"ms": 100, "jitter": 200}}, "jitter"),
    ({"fault": "net.latency", "target": "kv", "params": {"stream": "sideways"}}, "both"),
    ({"fault": "net.bandwidth", "target": "kv", "params": {"rate": 0}}, "rate"),
    ({"fault": "net.timeout", "target": "kv", "params": {"toxicity": 1.5}}, "toxicity"),
    ({"fault": "net.slicer", "target": "kv", "params": {"average_size": 10,
                                                        "size_variation": 10}}, "size_variation"),
    ({"fault": "net.limit-data", "target": "kv", "params": {"bytes": -1}}, "bytes"),
    ({"fault": "net.latency", "target": "kv", "region": "mars-1"}, "unknown region"),
    ({"fault": "net.latency", "target": "kv", "params": {"ms": 10, "latencyy": 1}}, "latencyy"),
    ({"fault": "net.down", "target": "replication"}, "net.partition"),
    ({"fault": "net.partition", "target": "kv"}, "'replication'"),
    ({"fault": "net.partition", "target": "replication", "params": {"direction": "up"}},
     "to-replica"),
])
def test_invalid_faults_are_refused_before_anything_is_journaled(
        world: World, chaos: Faults, spec: dict[str, object], says: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        chaos.inject(spec)
    assert says in str(info.value)
    assert chaos.listing() == []


def test_partition_refuses_the_primary_region(world: World, chaos: Faults, primary: str,
                                              replica: str) -> None:
    with pytest.raises(FaultSpecError, match="holds the primary"):
        chaos.inject({"fault": "net.partition", "target": "replication", "region": primary})
    assert chaos.listing() == []
