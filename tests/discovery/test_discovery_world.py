"""Discovery against a real world: CoreDNS's own query log, Toxiproxy's own log and counters.

Every figure is checked against a client that shares no code with chaoskit: dnspython
asking a CoreDNS N times must show up as exactly N questions; a Python one-liner inside a
container asks names outside the world; `cacher` (tests/discovery/conftest.py) resolves
once with the C library and never again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import dns.exception
import dns.message
import dns.query
import pytest

from chaoskit.checks import dns_windows
from chaoskit.discovery import Query, observe, queries
from chaoskit.history import History
from chaoskit.playbook import load_playbook
from chaoskit.runner import Run
from chaoskit.workload import Workload, choose_target
from chaoskit.world import World

pytestmark = pytest.mark.world

T = TypeVar("T")
KV_EAST = "kv.us-east-1.chaoskit.internal"


def eventually(fn: Callable[[], T | None], what: str, timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout:g}s: {what}")
        time.sleep(0.3)


def drive_orders(world: World, seconds: float, rate: float = 10) -> History:
    target = choose_target("orders", address=lambda e, r: str(world.endpoint_address(e, r)),
                           regions=world.topology.regions)
    history = History()
    workload = Workload(target, rate=rate, duration=seconds, timeout=1.0, concurrency=8)
    workload.start(history)
    time.sleep(seconds)
    workload.stop()
    return history


def in_container(world: World, service: str, code: str) -> str:
    result = world.container(service).exec_run(["python3", "-c", code])
    out = result.output.decode(errors="replace")
    assert result.exit_code == 0, out
    return out


def test_orders_uses_the_store_and_auth_seen_in_the_real_query_log(deps_world: World) -> None:
    since = time.time()
    history = drive_orders(deps_world, 6)
    assert sum(o.outcome == "ok" for o in history.ops) > 20, "the workload got no answers"

    def seen() -> object:
        deps = observe(deps_world, "orders", since=since)
        return deps if deps.endpoints() == ["auth", "kv"] else None

    deps = eventually(seen, "orders asking for kv and auth")
    names = {(n.region, n.name): n for n in deps.names}
    for region in deps_world.topology.regions:
        for endpoint in ("kv", "auth"):
            n = names[(region, f"{endpoint}.{region}.chaoskit.internal")]
            assert n.in_topology and n.endpoint == endpoint and not n.outside
            assert n.resolved and n.rcodes.get("NOERROR", 0) >= 1 and n.queries >= 2
    # orders asks for nothing outside the world, and only its region's CoreDNS is asked
    # as orders: the forwarded copies are the other CoreDNS's, not a service's.
    assert deps.outside == [] and deps.unresolved == []
    proxies = {(p.region, p.proxy): p for p in deps.proxies}
    kv = proxies[("us-east-1", "kv")]
    assert kv.endpoint == "kv" and kv.connections and kv.connections >= 2
    assert proxies[("us-east-1", "auth")].connections
    assert all(p.endpoint in ("kv", "auth") for p in deps.proxies)
    relayed = [q for q in queries(deps_world, since=since)
               if q.role == "coredns" and q.name == KV_EAST and q.region == "us-east-1"]
    assert relayed and {q.client for q in relayed} == {"coredns-us-west-2"}

    # The command line says the same.
    r = subprocess.run([sys.executable, "-m", "chaoskit", "deps", "orders", "--world",
                        deps_world.project, "--since", "2m", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["service"] == "orders" and doc["endpoints"] == ["auth", "kv"]
    assert doc["world"] == deps_world.project
    r = subprocess.run([sys.executable, "-m", "chaoskit", "deps", "orders", "--world",
                        deps_world.project], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    assert "uses auth, kv" in r.stdout and KV_EAST in r.stdout


def test_names_outside_the_world_and_names_that_never_resolve(deps_world: World) -> None:
    since = time.time()
    # The container's own resolver (Docker's, forwarding to its region's CoreDNS), as any
    # library would use it; dnspython only to bound the wait.
    in_container(deps_world, "cacher-us-east-1", """
import dns.resolver
r = dns.resolver.Resolver()
for name in ("deps-test.example.invalid", "nope.us-east-1.chaoskit.internal"):
    try:
        r.resolve(name, "A", lifetime=6, search=False)
    except Exception as exc:
        print(name, type(exc).__name__)
""")

    def seen() -> object:
        deps = observe(deps_world, "cacher", since=since)
        names = {n.name: n for n in deps.names}
        ok = {"deps-test.example.invalid", "nope.us-east-1.chaoskit.internal"} <= set(names)
        return (deps, names) if ok else None

    deps, names = eventually(seen, "cacher's questions in the log")
    outside = names["deps-test.example.invalid"]
    assert (outside.outside, outside.in_topology, outside.endpoint, outside.resolved) == (
        True, False, None, False), outside
    typo = names["nope.us-east-1.chaoskit.internal"]
    assert (typo.outside, typo.in_topology, typo.resolved, typo.rcodes) == (
        False, False, False, {"NXDOMAIN": typo.queries}), typo
    assert [n.name for n in deps.outside] == ["deps-test.example.invalid"]
    assert {n.name for n in deps.unresolved} == set(names) - {KV_EAST}
    r = subprocess.run([sys.executable, "-m", "chaoskit", "deps", "cacher", "--world",
                        deps_world.project, "--since", "1m"], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "COLUMNS": "250"})
    assert r.returncode == 0, r.stderr
    assert "outside the world: would go to the internet" in r.stdout
    assert "never resolved: deps-test.example.invalid, nope.us-east-1.chaoskit.internal" in r.stdout


def test_every_question_an_outside_client_asks_is_counted(deps_world: World) -> None:
    since = time.time()
    name = f"xcheck-{os.getpid()}.us-east-1.chaoskit.internal"
    address = deps_world.dns_address("us-east-1")
    for _ in range(7):  # dnspython on this machine, through the published port
        q = dns.message.make_query(name, "A")
        dns.query.udp(q, address.host, port=address.port, timeout=2)
    inside = name.replace("xcheck", "xcheck-agent")
    resolver = deps_world.plan.coredns_ip("us-east-1")
    # dnspython inside the region (the agent's container), straight at its CoreDNS.
    in_container(deps_world, "agent-us-east-1", f"""
import dns.message, dns.query
for _ in range(5):
    dns.query.udp(dns.message.make_query({inside!r}, "A"), {resolver!r}, timeout=2)
""")

    def counted() -> list[Query] | None:
        found = [q for q in queries(deps_world, since=since) if q.name in (name, inside)]
        return found if len(found) >= 12 else None

    found = eventually(counted, "12 questions")
    time.sleep(1)
    found = [q for q in queries(deps_world, since=since) if q.name in (name, inside)]
    host = [q for q in found if q.name == name]
    agent = [q for q in found if q.name == inside]
    assert len(host) == 7 and len(agent) == 5, found
    assert {(q.client, q.role, q.region, q.rcode, q.qtype, q.proto) for q in host} == {
        ("host", "host", "us-east-1", "NXDOMAIN", "A", "udp")}
    assert {(q.client, q.role, q.client_ip) for q in agent} == {
        ("agent-us-east-1", "agent", deps_world.plan.agent_ip("us-east-1"))}
    assert all(since <= q.time <= time.time() for q in found)
    assert queries(deps_world, since=time.time() + 60) == []


def test_a_dns_fault_reaches_orders_and_not_the_client_that_caches(deps_world: World,
                                                                   deps_topology: Path,
                                                                   tmp_path: Path) -> None:
    playbook = deps_topology.parent / "requery.yaml"
    playbook.write_text(f"""
version: 1
name: requery
topology: {deps_topology.name}
workload: {{target: orders, rate: 10, settle: 4s}}
method:
  - at: 3s
    inject: {{id: nx, fault: dns.nxdomain, target: {KV_EAST}, for: 8s}}
expectations: {{requeried_within: 5s}}
""")
    report = tmp_path / "report"
    result = Run(load_playbook(playbook), deps_world, report_dir=report).execute()
    [verdict] = [v for v in result.verdicts if v.name == "requeried_within"]
    assert not verdict.passed and verdict.measured is None, verdict
    assert "cacher@us-east-1 never asked kv.us-east-1.chaoskit.internal again" in verdict.detail
    assert "orders" not in verdict.detail

    history = History.load(report / "history.jsonl")
    [window] = dns_windows(history)
    assert window.fault == "nx" and window.names == (KV_EAST,)
    clients = {c.label: c for c in window.clients}
    # auth asks too (its health check pings the store); cacher@us-west-2 asks for its own
    # region's store, which the fault leaves alone.
    assert {"cacher@us-east-1", "orders@us-east-1", "orders@us-west-2"} <= set(clients), clients
    assert "cacher@us-west-2" not in clients
    assert [c.label for c in window.never_asked] == ["cacher@us-east-1"]
    cacher = clients["cacher@us-east-1"]
    # It resolved once, when its container started, before the run: that question is kept.
    assert (cacher.during, cacher.first, cacher.asked_again) == (0, None, False)
    assert cacher.before >= 1
    for label in ("orders@us-east-1", "orders@us-west-2"):
        orders = clients[label]
        assert orders.asked_again and orders.first is not None and orders.first <= 5, orders
        assert orders.rcodes.get("NXDOMAIN", 0) >= 1, orders  # the fault answered it
        assert orders.before >= 1
    # The reports say it, each in its own way.
    doc = json.loads((report / "journal.json").read_text())
    [dns] = doc["dns"]
    assert dns["never_asked"] == ["cacher@us-east-1"]
    summary = (report / "summary.md").read_text()
    assert "### Did the DNS faults reach the clients?" in summary
    assert "❌ never asked again" in summary and "| orders@us-east-1 |" in summary
    html = (report / "report.html").read_text()
    assert "Did the DNS faults reach the clients?" in html and "cacher@us-east-1" in html


def test_questions_are_logged_while_a_dns_fault_is_in_force(deps_world: World) -> None:
    from chaoskit.faults import Faults

    name = "auth.us-west-2.chaoskit.internal"
    address = deps_world.dns_address("us-east-1")
    with Faults(deps_world) as faults, faults.fault(
            {"fault": "dns.timeout", "target": name, "region": "us-east-1", "clients_of": "host",
             "id": "drop"}):
        since = time.time()
        for _ in range(3):  # dnspython: each question dropped, no answer comes
            with pytest.raises(dns.exception.Timeout):
                dns.query.udp(dns.message.make_query(name, "A"), address.host, port=address.port,
                              timeout=0.5)

        def dropped() -> list[Query] | None:
            found = [q for q in queries(deps_world, since=since) if q.name == name]
            return found if len(found) >= 3 else None

        found = eventually(dropped, "3 dropped questions")
    assert len(found) == 3
    assert {(q.client, q.region, q.rcode) for q in found} == {("host", "us-east-1", "NOANSWER")}
