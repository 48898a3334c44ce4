"""Nothing left behind: a runner stopped by SIGINT, SIGTERM or SIGKILL, maximum durations,
reset, the journal, and a team's toxiproxy-python code against a region's Toxiproxy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

import chaoskit
from chaoskit.faults import Faults
from chaoskit.inworld.protocol import journal
from chaoskit.world import World

pytestmark = pytest.mark.world

RUNNER = """
import sys, time
from chaoskit.faults import Faults, revert_on_signals
from chaoskit.world import World
world = World.open(sys.argv[1], sys.argv[2] if sys.argv[2] != "-" else None)
primary = world.topology.primary
with revert_on_signals(), Faults(world) as faults:
    faults.inject({"fault": "dns.nxdomain", "target": f"kv.{primary}.chaoskit.internal"})
    faults.inject({"fault": "net.latency", "target": "kv", "region": primary, "params": {"ms": 400}})
    print("READY", flush=True)
    time.sleep(300)
"""


def _name(world: World) -> str:
    return world.project.removeprefix("chaoskit-")


def start_runner(world: World, tmp_path: Path) -> subprocess.Popen[str]:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    topo = str(world.dir / "topology.yaml") if (world.dir / "topology.yaml").exists() else "-"
    # The script lives outside the checkout: point it at this checkout's chaoskit.
    env = {**os.environ, "PYTHONPATH": str(Path(chaoskit.__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, str(script), _name(world), topo],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read() if proc.stderr else line
    return proc


def faulty_now(world: World) -> bool:
    """An independent client sees both faults: NXDOMAIN, and a slow PING through the proxy."""
    import dns.message
    import dns.query
    import dns.rcode

    primary = world.topology.primary
    a = world.dns_address(primary)
    r = dns.query.udp(dns.message.make_query(f"kv.{primary}.chaoskit.internal", "A"), a.host,
                      port=a.port, timeout=2)
    kv = world.endpoint_address("kv", primary)
    client = redis.Redis(kv.host, kv.port, socket_timeout=3)
    started = time.monotonic()
    client.ping()
    slow = time.monotonic() - started >= 0.35
    return dns.rcode.to_text(r.rcode()) == "NXDOMAIN" and slow


def wait_baseline(world: World, bound: float) -> float:
    started = time.monotonic()
    faults = Faults(world, detached=True)
    while True:
        try:
            if not journal.read(world.dir)["faults"]:
                faults.confirm_baseline()
                return time.monotonic() - started
        except Exception:
            pass
        if time.monotonic() - started > bound:
            raise AssertionError(f"baseline not back within {bound}s: {journal.read(world.dir)['faults']}")
        time.sleep(0.2)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_runner_stopped_by_signal_reverts_itself(world: World, tmp_path: Path, sig: int) -> None:
    proc = start_runner(world, tmp_path)
    try:
        assert faulty_now(world)
        proc.send_signal(sig)
        proc.wait(timeout=20)
    finally:
        proc.kill()
    took = wait_baseline(world, 5)
    assert took < 5


def test_runner_killed_by_sigkill_is_reverted_by_the_reaper(world: World, tmp_path: Path) -> None:
    proc = start_runner(world, tmp_path)
    assert faulty_now(world)
    killed = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert journal.read(world.dir)["faults"], "the faults are still there right after the kill"
    took = wait_baseline(world, 20)
    assert time.monotonic() - killed <= 15.5, f"reaper took {took:.1f}s"
    reaped = journal.read(world.dir)["reaped"]
    assert any("lease" in r["reason"] for r in reaped[-2:])


def test_maximum_duration_is_enforced_while_the_runner_lives(world: World) -> None:
    primary = world.topology.primary
    with Faults(world) as faults:
        active = faults.inject({"fault": "dns.servfail", "target": f"kv.{primary}.chaoskit.internal",
                                "max_duration": 4})
        # Journaled before it was applied (on a loaded machine the reaper may have reaped it already).
        state = journal.read(world.dir)
        assert active.id in [f["id"] for f in state["faults"]] + [r["id"] for r in state["reaped"]]
        wait_baseline(world, 30)
        reaped = journal.read(world.dir)["reaped"][-1]
        assert (reaped["id"], reaped["reason"]) == (active.id, "maximum duration reached")
        # Reaped at its maximum duration, not before (both are wall-clock times in the journal).
        assert reaped["at"] - active.applied_at >= 4
        faults.active.clear()  # the reaper reverted it; nothing of ours is left to revert


def test_reset_restores_everything_and_is_idempotent(world: World) -> None:
    primary = world.topology.primary
    detached = Faults(world, detached=True)
    detached.inject({"fault": "dns.nodata", "target": f"kv.{primary}.chaoskit.internal"})
    detached.inject({"fault": "net.down", "target": "kv", "region": primary})
    assert len(detached.listing()) == 2
    first = detached.reset()
    assert len(first["faults_dropped"]) == 2
    second = Faults(world, detached=True).reset()
    assert second["faults_dropped"] == [] and "DNS baseline" in second["confirmed"]


def test_cli_faults_lists_and_reverts(world: World) -> None:
    env = {**os.environ, "CHAOSKIT_WORLD": _name(world)}
    if (world.dir / "topology.yaml").exists():
        env["CHAOSKIT_TOPOLOGY"] = str(world.dir / "topology.yaml")
    primary = world.topology.primary

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True,
                              text=True, env=env, timeout=120)

    r = cli("inject", "dns", "refused", f"kv.{primary}.chaoskit.internal", "--id", "cli-one",
            "--max", "60s", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["id"] == "cli-one"
    listed = json.loads(cli("faults", "--json").stdout)["faults"]
    assert [f["id"] for f in listed] == ["cli-one"] and listed[0]["holder"] == "detached"
    assert listed[0]["expires_at"] - listed[0]["applied_at"] == pytest.approx(60, abs=1)
    assert cli("revert", "cli-one").returncode == 0
    assert json.loads(cli("faults", "--json").stdout)["faults"] == []
    assert cli("revert", "cli-one").returncode == 2  # unknown now


def test_toxiproxy_python_code_works_against_a_region(world: World) -> None:
    """A team's existing toxiproxy-python code, pointed at a region's Toxiproxy."""
    from toxiproxy import Toxiproxy
    from toxiproxy.api import APIConsumer

    primary = world.topology.primary
    api = world.toxiproxy_url(primary).removeprefix("http://")
    host, port = api.split(":")
    APIConsumer.host, APIConsumer.port = host, int(port)
    server = Toxiproxy()
    proxy = server.get_proxy("kv")
    assert proxy is not None and proxy.enabled
    kv = world.endpoint_address("kv", primary)
    client = redis.Redis(kv.host, kv.port, socket_timeout=3)
    proxy.add_toxic(type="latency", name="team_latency", attributes={"latency": 300})
    try:
        started = time.monotonic()
        client.ping()
        assert time.monotonic() - started >= 0.25
        # chaoskit's own client sees the team's toxic...
        from chaoskit.toxiproxy import ToxiproxyClient

        ours = ToxiproxyClient(world.toxiproxy_url(primary))
        assert [t.name for t in ours.list_toxics("kv")] == ["team_latency"]
    finally:
        proxy.destroy_toxic("team_latency")
    started = time.monotonic()
    client.ping()
    assert time.monotonic() - started < 0.25
