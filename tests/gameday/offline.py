"""A small playbook, and a real `Run` on a stand-in world, for tests that need no world."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from chaoskit.history import Event, Op
from chaoskit.playbook import load_playbook
from chaoskit.runner import Run

REGIONS = ("us-east-1", "us-west-2")


def small_playbook(primary: str = "us-east-1", *, fault_for: str = "4s", manual_at: str = "") -> str:
    """About 15 s: a kv workload at 20 ops/s, one dns.nxdomain, a manual step, a timed probe."""
    name = f"kv.{primary}.chaoskit.internal"
    manual_at_line = f"\n    at: {manual_at}" if manual_at else ""
    return f"""\
version: 1
name: gd-small
title: The store's name disappears
workload: {{target: kv, rate: 20, timeout: 1s, settle: 2s}}
method:
  - note: the store's name disappears at 2 s
  - at: 2s
    inject: {{id: kv-nx, fault: dns.nxdomain, target: {name}, for: {fault_for}}}
  - manual: page the on-call and look at the dashboard{manual_at_line}
  - at: 8s
    probe: {{type: dns, name: {name}, region: {primary}}}
    expect: any  # observed for the timeline; the fault may still be in force on a slow machine
expectations: {{lost_writes: 0}}
"""


def offline_run(path: Path, *, ops_until: float = 6.0) -> Run:
    """A real `Run` that never executes, on a stand-in world, with a history of `ops_until` s."""
    world: Any = SimpleNamespace(project="chaoskit-offline",
                                 topology=SimpleNamespace(regions=list(REGIONS), services={}))
    run = Run(load_playbook(path, interactive=True), world)
    history = run.history
    for i in range(int(ops_until * 20)):
        t = i / 20
        region = REGIONS[i % 2]
        failing = region == "us-east-1" and 3.0 <= t < 4.5
        history.record(Op(i, f"{region}/w{i % 4}", "write" if i % 2 else "read", "kv", t, t + 0.004,
                          "fail" if failing else "ok", key=f"k{i}", region=region))
    history.event(Event(3.0, "fault-applied", "dns.nxdomain", id="kv-nx"))
    run.t0 -= ops_until  # the run "started" ops_until seconds ago
    return run
