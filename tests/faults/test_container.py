"""Container faults on a real world: seen in docker inspect (and by a client), then reverted.

The target is the key-value store of the last region (the replica in a two-region
world): it restarts in about a second and nothing else depends on it at start.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
import yaml
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoskit.errors import FaultSpecError
from chaoskit.faults import Faults
from chaoskit.world import World

pytestmark = pytest.mark.world


@pytest.fixture(scope="module")
def region(world: World) -> str:
    return world.topology.regions[-1]


@pytest.fixture(scope="module")
def target(region: str) -> str:
    return f"kv-{region}"


def inspect(world: World, service: str) -> dict[str, Any]:
    container = world.container(service)
    container.reload()
    return dict(container.attrs)


def ping(world: World, region: str, timeout: float = 1.0) -> bool:
    a = world.endpoint_address("kv", region)
    client = redis.Redis(host=a.host, port=a.port, socket_timeout=timeout,
                         socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
    try:
        return bool(client.ping())
    finally:
        client.close()


def assert_running_and_healthy(world: World, service: str) -> None:
    state = inspect(world, service)["State"]
    assert state["Status"] == "running"
    assert state["Health"]["Status"] == "healthy"


def test_pause_freezes_the_container(world: World, chaos: Faults, target: str,
                                     region: str) -> None:
    with chaos.fault({"fault": "container.pause", "target": target}) as active:
        assert active.change.containers == [
            {"service": target, "action": "pause", "undo": "unpause"}]
        assert inspect(world, target)["State"]["Status"] == "paused"
        with pytest.raises(redis.TimeoutError):  # the proxy connects; nothing answers
            ping(world, region)
    assert_running_and_healthy(world, target)
    assert ping(world, region)


def test_stop_by_endpoint_name_and_region(world: World, chaos: Faults, target: str,
                                          region: str) -> None:
    with chaos.fault({"fault": "container.stop", "target": "kv", "region": region,
                      "params": {"timeout": 1}}) as active:
        assert active.change.containers[0]["service"] == target
        state = inspect(world, target)["State"]
        assert state["Status"] == "exited"
        assert not state["Running"]
        with pytest.raises(redis.RedisError):  # its address is gone: a stall or a close
            ping(world, region)
    assert_running_and_healthy(world, target)
    assert ping(world, region)


def test_kill_sends_sigkill_by_default(world: World, chaos: Faults, target: str) -> None:
    with chaos.fault({"fault": "container.kill", "target": target}) as active:
        assert active.change.containers[0]["signal"] == "SIGKILL"
        state = inspect(world, target)["State"]
        assert state["Status"] == "exited"
        assert state["ExitCode"] == 137  # 128 + SIGKILL
    assert_running_and_healthy(world, target)


def test_kill_with_a_chosen_signal(world: World, chaos: Faults, target: str) -> None:
    # The store shuts down cleanly on SIGTERM: exit code 0, not 143.
    with chaos.fault({"fault": "container.kill", "target": target,
                      "params": {"signal": "term"}}) as active:
        assert active.change.containers[0]["signal"] == "SIGTERM"
        assert inspect(world, target)["State"]["ExitCode"] == 0
    assert_running_and_healthy(world, target)


def test_restart_starts_the_container_again(world: World, chaos: Faults, target: str,
                                            region: str) -> None:
    before = inspect(world, target)["State"]["StartedAt"]
    with chaos.fault({"fault": "container.restart", "target": target}):
        state = inspect(world, target)["State"]
        assert state["StartedAt"] != before
        assert state["Status"] == "running"
    assert_running_and_healthy(world, target)
    assert ping(world, region)


def test_disconnect_and_reconnect_with_the_same_address(world: World, chaos: Faults,
                                                        target: str, region: str) -> None:
    network = f"{world.project}_net-{region}"
    compose = yaml.safe_load(world.compose_file.read_text())
    address = compose["services"][target]["networks"][f"net-{region}"]["ipv4_address"]
    assert inspect(world, target)["NetworkSettings"]["Networks"][network]["IPAddress"] == address
    with chaos.fault({"fault": "container.disconnect", "target": target}) as active:
        entry = active.change.containers[0]
        assert entry["network"] == network and entry["ipv4_address"] == address
        assert network not in inspect(world, target)["NetworkSettings"]["Networks"]
        with pytest.raises(redis.RedisError):  # its region's Toxiproxy cannot reach it
            ping(world, region)
    assert inspect(world, target)["NetworkSettings"]["Networks"][network]["IPAddress"] == address
    assert_running_and_healthy(world, target)
    deadline = time.monotonic() + 5
    while True:  # the proxy's next connection reaches it again
        try:
            assert ping(world, region)
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_container_held_by_one_fault_is_refused_to_another(
        world: World, chaos: Faults, target: str) -> None:
    first = chaos.inject({"fault": "container.pause", "target": target})
    with pytest.raises(FaultSpecError, match=f"already the target of fault {first.id}"):
        chaos.inject({"fault": "container.stop", "target": target})
    assert [f["id"] for f in chaos.listing()] == [first.id]
    assert inspect(world, target)["State"]["Status"] == "paused"  # the first still holds
    chaos.revert(first.id)
    assert_running_and_healthy(world, target)


@pytest.mark.parametrize(("spec", "says"), [
    ({"fault": "container.stop", "target": "reaper"}, "dead man's switch"),
    ({"fault": "container.kill", "target": "tools"}, "cannot be a fault's target"),
    ({"fault": "container.pause", "target": "nope"}, "unknown container 'nope'"),
    ({"fault": "container.kill", "target": "kv", "params": {"signal": "SIGFOO"}},
     "unknown signal"),
    ({"fault": "container.stop", "target": "kv", "region": "mars-1"}, "unknown region"),
    ({"fault": "container.disconnect", "target": "kv", "params": {"network": "mars-1"}},
     "not a region"),
    ({"fault": "container.stop", "target": "kv", "params": {"timeout": 600}}, "timeout"),
])
def test_invalid_container_faults_are_refused(world: World, chaos: Faults,
                                              spec: dict[str, object], says: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        chaos.inject(spec)
    assert says in str(info.value)
    assert chaos.listing() == []


def test_a_region_mismatch_and_a_foreign_network_are_refused(world: World, chaos: Faults) -> None:
    regions = world.topology.regions
    if len(regions) < 2:
        pytest.skip("needs two regions")
    first, other = regions[0], regions[1]
    with pytest.raises(FaultSpecError, match=f"is in {first}, not {other}"):
        chaos.inject({"fault": "container.pause", "target": f"kv-{first}", "region": other})
    with pytest.raises(FaultSpecError, match=f"only on {first}'s network"):
        chaos.inject({"fault": "container.disconnect", "target": f"kv-{first}",
                      "params": {"network": other}})
    assert chaos.listing() == []
