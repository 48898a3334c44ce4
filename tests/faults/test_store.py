"""kv.promote against the real world, observed with clients that share no code with chaoskit:
dnspython for the global name, redis-py for ROLE and writes, the Docker API from inside a region."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import pytest
import redis

from chaoskit.faults import Faults
from chaoskit.inworld.protocol import journal
from chaoskit.region import World

pytestmark = pytest.mark.world
ROOT = Path(__file__).resolve().parents[2]


def other(world: World) -> str:
    return next(r for r in world.topology.regions if r != world.topology.primary)


def global_answer(world: World, serving: str) -> list[str]:
    """kv.global as the host sees it through `serving`'s published CoreDNS port (dnspython)."""
    a = world.dns_address(serving)
    q = dns.message.make_query(world.topology.write_name("kv"), "A")
    r = dns.query.udp(q, a.host, port=a.port, timeout=2)
    return [item.address for rr in r.answer for item in rr]


def inside(world: World, region: str) -> str:
    """kv.global resolved by a process inside `region`, with that region's resolver (docker exec)."""
    name = world.topology.write_name("kv")
    code, out = world.container(f"agent-{region}").exec_run(
        ["python3", "-c", f"import socket; print(socket.gethostbyname({name!r}))"])
    assert code == 0, out
    return str(out.decode().strip())


def store(world: World, region: str) -> redis.Redis:
    """The store of `region`, through its region's published proxy port (redis-py)."""
    a = world.endpoint_address("kv", region)
    return redis.Redis(a.host, a.port, socket_timeout=3, socket_connect_timeout=3)


def role(world: World, region: str) -> str:
    return str(store(world, region).execute_command("ROLE")[0].decode())


def until(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (redis.RedisError, OSError) as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"{what}: not seen within {timeout}s (last: {last!r})")


def write_via_global_name(world: World, key: str) -> None:
    [address] = global_answer(world, world.topology.primary)
    client = redis.Redis(address, world.topology.model.kv.port, socket_timeout=3)
    assert client.set(key, "v") is True


def test_promotion_moves_writes_and_the_global_name_then_fails_back(world: World) -> None:
    primary, promoted = world.topology.primary, other(world)
    plan = world.plan
    before = {r: global_answer(world, r) for r in world.topology.regions}
    assert before == {r: [plan.toxiproxy_ip(primary, on=r)] for r in world.topology.regions}
    assert inside(world, promoted) == plan.toxiproxy_ip(primary, on=promoted)
    with pytest.raises(redis.ReadOnlyError):
        store(world, promoted).set("promote-probe", "x")

    with Faults(world) as faults:
        faults.inject({"fault": "kv.promote", "target": promoted, "id": "promote"})
        assert role(world, promoted) == "master"
        assert role(world, primary) == "slave"
        for r in world.topology.regions:
            assert global_answer(world, r) == [plan.toxiproxy_ip(promoted, on=r)]
            assert inside(world, r) == plan.toxiproxy_ip(promoted, on=r)
        key = f"promoted-{uuid.uuid4().hex[:8]}"
        write_via_global_name(world, key)
        assert store(world, promoted).get(key) == b"v"
        with pytest.raises(redis.ReadOnlyError):
            store(world, primary).set("demoted-probe", "x")
        until(lambda: store(world, primary).get(key) == b"v", "the old primary replicating the write")

    assert role(world, primary) == "master"
    assert role(world, promoted) == "slave"
    for r in world.topology.regions:
        assert global_answer(world, r) == [plan.toxiproxy_ip(primary, on=r)]
    assert store(world, primary).get(key) == b"v"  # replicated before the failback: kept
    until(lambda: store(world, promoted).get(key) == b"v", "the promoted store resynced")
    Faults(world, detached=True).confirm_baseline()


def test_an_old_primary_that_was_down_is_demoted_when_it_comes_back(world: World) -> None:
    primary, promoted = world.topology.primary, other(world)
    with Faults(world) as faults:
        faults.inject({"fault": "container.stop", "target": "kv", "region": primary, "id": "gone"})
        faults.inject({"fault": "kv.promote", "target": promoted, "id": "promote-2"})
        assert role(world, promoted) == "master"
        faults.revert("gone")  # it starts as a primary, from its command line
        until(lambda: role(world, primary) == "slave", "the old primary demoted by the reaper")
        key = f"after-return-{uuid.uuid4().hex[:8]}"
        write_via_global_name(world, key)
        until(lambda: store(world, primary).get(key) == b"v", "the returned store replicating")
    assert role(world, primary) == "master" and role(world, promoted) == "slave"


RUNNER = """
import sys, time
from chaoskit.faults import Faults
from chaoskit.region import World
world = World.open(sys.argv[1])
with Faults(world) as faults:
    faults.inject({"fault": "kv.promote", "target": sys.argv[2]})
    print("READY", flush=True)
    time.sleep(300)
"""


def test_the_reaper_fails_back_a_promotion_whose_runner_died(world: World, tmp_path: Path) -> None:
    primary, promoted = world.topology.primary, other(world)
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    # This checkout's chaoskit, whatever the environment installed.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), world.project, promoted],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read() if proc.stderr else line
    assert role(world, promoted) == "master"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    until(lambda: not journal.read(world.dir)["faults"], "the reaper reverting the promotion", 20)
    until(lambda: role(world, primary) == "master" and role(world, promoted) == "slave",
          "the original roles back", 20)
    until(lambda: global_answer(world, promoted) == [world.plan.toxiproxy_ip(primary, on=promoted)],
          "the global name back", 10)
    assert "lease" in journal.read(world.dir)["reaped"][-1]["reason"]


def test_reset_restores_the_original_primary(world: World) -> None:
    primary, promoted = world.topology.primary, other(world)
    faults = Faults(world, detached=True)
    faults.inject({"fault": "kv.promote", "target": promoted, "id": "left-behind"})
    assert role(world, promoted) == "master"
    faults.reset()
    assert role(world, primary) == "master" and role(world, promoted) == "slave"
    assert global_answer(world, primary) == [world.plan.toxiproxy_ip(primary, on=primary)]
