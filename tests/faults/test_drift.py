"""Trusting the fault engine on the real world: nothing left behind after SIGKILL whatever the
fault's family, the real reaper refusing a hand-edited entry next to a good one, the journal's
permissions, and drift (foreign toxics, deleted or disabled proxies, edited Corefiles, stopped
containers, faults whose effect vanished) shown by `status`/`faults`, refused by `run`,
repaired and reported by `reset`, reported by `up`.

Every fault and every repair is observed with clients that share no code with chaoskit:
dnspython, redis-py, plain HTTP (urllib) to Toxiproxy, toxiproxy-python, the Docker SDK.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rcode
import docker
import pytest
import redis

import chaoskit
from chaoskit.faults import Faults
from chaoskit.inworld.protocol import journal
from chaoskit.world import World

pytestmark = pytest.mark.world
PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "kv-dns-empty-record.yaml"


# --- outside clients -------------------------------------------------------------------------------

def http(world: World, region: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    req = urllib.request.Request(world.toxiproxy_url(region) + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"User-Agent": "test-outside-client"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


def answer(world: World, region: str, name: str) -> tuple[str, list[str]]:
    a = world.dns_address(region)
    r = dns.query.udp(dns.message.make_query(name, "A"), a.host, port=a.port, timeout=2)
    return dns.rcode.to_text(r.rcode()), [str(x) for rr in r.answer for x in rr]


def store_name(world: World) -> str:
    return f"kv.{world.topology.primary}.{world.topology.domain}"


def baseline_seen_from_outside(world: World) -> list[str]:
    """What an outside look finds off the baseline: DNS, every proxy, every container."""
    off = []
    for region in world.topology.regions:
        for e in world.topology.endpoints:
            rcode, got = answer(world, region, e.dns_name)
            want = world.plan.toxiproxy_ip(e.region, on=region)
            if (rcode, got) != ("NOERROR", [want]):
                off.append(f"{e.dns_name} from {region}: {rcode} {got}")
        status, listed = http(world, region, "GET", "/proxies")
        for name, proxy in (listed or {}).items():
            if proxy["toxics"] or not proxy["enabled"]:
                off.append(f"proxy {name} of {region}: {proxy}")
    engine = docker.from_env()
    for c in engine.containers.list(all=True, filters={
            "label": f"com.docker.compose.project={world.project}"}):
        if c.labels.get("io.chaoskit.role") != "tools" and c.status != "running":
            off.append(f"container {c.name} is {c.status}")
    return off


def this_checkout() -> dict[str, str]:
    """The environment of a child Python that imports this checkout's chaoskit, not another."""
    return {**os.environ, "PYTHONPATH": str(Path(chaoskit.__file__).resolve().parents[1])}


def cli(world: World, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**this_checkout(), "CHAOSKIT_WORLD": world.project.removeprefix("chaoskit-")}
    if (world.dir / "topology.yaml").exists():
        env["CHAOSKIT_TOPOLOGY"] = str(world.dir / "topology.yaml")
    return subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def drift(world: World, command: str = "faults") -> list[dict[str, Any]]:
    r = cli(world, command, "--json")
    assert r.returncode == 0, r.stderr
    return list(json.loads(r.stdout)["drift"])


@pytest.fixture
def clean(world: World) -> Any:
    """The world at its baseline before and after the test, whatever the test did to it."""
    Faults(world, detached=True).reset()
    yield
    world._ports.clear()  # a test may restart containers: their host ports change
    world._ids.clear()
    Faults(world, detached=True).reset()


# --- SIGKILL: nothing left after 15 s, for each fault family ----------------------------------------

RUNNER = """
import sys, time
from chaoskit.faults import Faults
from chaoskit.world import World
world = World.open(sys.argv[1], sys.argv[2] if sys.argv[2] != "-" else None)
with Faults(world) as faults:
    faults.inject(__import__("json").loads(sys.argv[3]))
    print("READY", flush=True)
    time.sleep(300)
"""


def family_faults(world: World) -> dict[str, dict[str, Any]]:
    primary = world.topology.primary
    return {
        "dns": {"fault": "dns.nxdomain", "target": store_name(world), "id": "killed-dns"},
        "toxic": {"fault": "net.latency", "target": "kv", "region": primary, "id": "killed-toxic",
                  "params": {"ms": 400}},
        "container": {"fault": "container.pause", "target": "kv", "region": world.topology.regions[-1],
                      "id": "killed-container"},
    }


@pytest.mark.parametrize("family", ["dns", "toxic", "container"])
def test_sigkill_of_a_runner_leaves_nothing_after_15_s(world: World, tmp_path: Path, clean: Any,
                                                       family: str) -> None:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    topo = str(world.dir / "topology.yaml") if (world.dir / "topology.yaml").exists() else "-"
    spec = family_faults(world)[family]
    proc = subprocess.Popen([sys.executable, str(script), world.project.removeprefix("chaoskit-"),
                             topo, json.dumps(spec)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=this_checkout())
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "READY", proc.stderr.read() if proc.stderr else line
    assert baseline_seen_from_outside(world), "the fault is in force before the kill"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(15)
    assert journal.read(world.dir)["faults"] == []
    assert baseline_seen_from_outside(world) == []
    assert any(r["id"] == spec["id"] and "lease" in r["reason"] and not r["errors"]
               for r in journal.read(world.dir)["reaped"])


# --- the real reaper, the journal's permissions ---------------------------------------------------

def test_the_journal_and_the_worlds_directory_are_the_owners_only(world: World, clean: Any) -> None:
    with Faults(world) as faults:
        faults.inject({"fault": "net.latency", "target": "kv", "region": world.topology.primary,
                       "params": {"ms": 50}})
        assert stat.S_IMODE(os.stat(world.dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(world.dir / journal.JOURNAL).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(world.dir / journal.LOCK).st_mode) == 0o600


def test_the_reaper_reverts_a_good_entry_next_to_a_bad_one(world: World, clean: Any) -> None:
    primary = world.topology.primary
    # A toxic named as an older chaoskit named it from an id holding '#' and a space.
    status, _ = http(world, primary, "POST", "/proxies/kv/toxics",
                     {"name": "old#id latency", "type": "latency", "attributes": {"latency": 300}})
    assert status == 200
    past = time.time() - 1
    good = {"id": "hand-edited", "expires_at": past, "spec": {"fault": "net.latency"},
            "toxics": [{"region": primary, "proxy": "kv", "name": "old#id latency"}]}
    bad = {"id": "bad id", "expires_at": past,
           "containers": [{"service": "reaper", "action": "stop", "undo": "start"}]}
    with journal.locked(world.dir) as data:
        data["faults"] += [bad, good]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(journal.read(world.dir)["faults"]) > 1:
        time.sleep(0.5)
    data = journal.read(world.dir)
    assert data["faults"] == [bad]
    assert http(world, primary, "GET", "/proxies/kv/toxics")[1] == []
    assert any(r["id"] == "bad id" for r in data["refused"])
    shown = drift(world)
    assert any(f["kind"] == "journal" and "'bad id' cannot be trusted" in f["what"] for f in shown)
    r = cli(world, "reset")
    assert r.returncode == 0, r.stderr
    assert "dropped journal entry 'bad id' without acting on it" in " ".join(r.stdout.split())


# --- drift: shown, refused, repaired and reported ----------------------------------------------------

def test_a_foreign_toxic_is_shown_blocks_a_run_and_is_removed_by_reset(world: World, clean: Any) -> None:
    from toxiproxy import Toxiproxy
    from toxiproxy.api import APIConsumer

    region = world.topology.regions[-1]
    host, port = world.toxiproxy_url(region).removeprefix("http://").split(":")
    APIConsumer.host, APIConsumer.port = host, int(port)
    Toxiproxy().get_proxy("kv").add_toxic(type="latency", name="team_latency",
                                          attributes={"latency": 300})
    for command in ("faults", "status"):
        assert any(f["kind"] == "foreign" and "toxic team_latency (latency, downstream) on proxy kv"
                   in f["what"] for f in drift(world, command)), command

    refused = cli(world, "run", str(PLAYBOOK), "--world", world.project.removeprefix("chaoskit-"))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    said = " ".join(refused.stderr.split())
    assert "is off its baseline" in said and "toxic team_latency" in said and "--reset" in said
    assert "Traceback" not in refused.stderr
    gameday = cli(world, "gameday", str(PLAYBOOK), "--no-dashboard", "--auto")
    assert gameday.returncode == 2, gameday.stdout + gameday.stderr
    assert "toxic team_latency" in " ".join(gameday.stderr.split())

    r = cli(world, "reset")
    assert r.returncode == 0, r.stderr
    assert f"removed toxic team_latency (latency, downstream) from proxy kv of {region}" in " ".join(
        r.stdout.split())
    assert http(world, region, "GET", "/proxies/kv/toxics")[1] == []
    assert drift(world) == []


def test_reset_restores_a_deleted_and_a_disabled_proxy(world: World, clean: Any) -> None:
    primary, other = world.topology.primary, world.topology.regions[-1]
    assert http(world, primary, "DELETE", "/proxies/kv")[0] == 204
    assert http(world, other, "PATCH", "/proxies/kv", {"enabled": False})[0] == 200
    shown = {f["what"] for f in drift(world, "status")}
    assert f"proxy kv of {primary} is missing (deleted by another tool?)" in shown
    assert f"proxy kv of {other} is disabled, by no chaoskit fault" in shown

    r = cli(world, "reset")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert f"restored proxy kv of {primary} (it was missing)" in out
    assert f"enabled proxy kv of {other}" in out
    for region in (primary, other):
        kv = world.endpoint_address("kv", region)
        assert redis.Redis(kv.host, kv.port, socket_timeout=3).ping()
    assert drift(world) == []


def test_an_edited_corefile_and_a_stopped_container_are_shown_and_repaired(
        world: World, clean: Any) -> None:
    region = world.topology.regions[-1]
    corefile = world.dir / "regions" / region / "coredns" / "Corefile"
    corefile.write_text(corefile.read_text() + "# edited by hand\n")
    engine = docker.from_env()
    orders = engine.containers.get(world.container_id(f"orders-{region}"))
    orders.stop(timeout=1)
    shown = {f["what"] for f in drift(world, "status")}
    assert any(w.startswith(f"Corefile of {region} was changed") for w in shown), shown
    assert f"container orders-{region} is exited, by no chaoskit fault" in shown

    r = cli(world, "reset")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert f"Corefile of {region} rewritten from its baseline" in out
    assert f"container orders-{region}: started" in out
    assert "# edited by hand" not in corefile.read_text()
    orders.reload()
    assert orders.status == "running"
    assert drift(world) == []


def test_a_fault_whose_effect_vanished_is_shown_and_up_reports_it_lost(
        world: World, clean: Any) -> None:
    primary = world.topology.primary
    detached = Faults(world, detached=True)
    detached.inject({"fault": "dns.nodata", "target": store_name(world), "id": "vanishing"})
    assert answer(world, primary, store_name(world)) == ("NOERROR", [])
    assert drift(world) == []

    # Behind chaoskit's back: the Corefile put back to its baseline, CoreDNS reloaded.
    coredns = world.dir / "regions" / primary / "coredns"
    text = (coredns / "Corefile").read_text()
    start = text.index("# fault vanishing")
    end = text.index("\n}\n", text.rindex("# fault vanishing")) + 3
    (coredns / "Corefile").write_text(text[:start] + text[end:])
    docker.from_env().containers.get(world.container_id(f"coredns-{primary}")).kill("SIGUSR1")
    deadline = time.monotonic() + 10
    while answer(world, primary, store_name(world))[1] == [] and time.monotonic() < deadline:
        time.sleep(0.2)
    listed = json.loads(cli(world, "faults", "--json").stdout)
    assert [f["state"] for f in listed["faults"]] == ["effect gone"]
    assert any(f["kind"] == "lost" and f["fault"] == "vanishing" for f in listed["drift"])

    # An engine restart, as far as this world can tell: its CoreDNS stops, and `up` renders again.
    docker.from_env().containers.get(world.container_id(f"coredns-{primary}")).stop(timeout=1)
    r = cli(world, "up", timeout=300)
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "fault vanishing (dns.nodata" in out and "was lost" in out
    assert journal.read(world.dir)["faults"] == []
    world._ports.clear()
    assert baseline_seen_from_outside(world) == []
