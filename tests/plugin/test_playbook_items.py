"""A playbook file as test items, run once on the outer session's world (about 15 s)."""

from __future__ import annotations

import json

import pytest

from chaoskit.faults import Faults
from chaoskit.world import World

pytestmark = pytest.mark.world

# 2 s of traffic, 4 s of an empty record, 4 s to settle. p50_latency: 0s cannot hold.
TINY = """\
version: 1
name: tiny-failover
services:
  orders:
    exits: [failover, breaker, stale-cache, write-queue]
workload:
  target: orders
  rate: 20
  concurrency: 4
  timeout: 1s
  settle: 4s
method:
  - at: 2s
    inject:
      id: kv-empty
      fault: dns.nodata
      target: kv.{primary}.chaoskit.internal
      for: 4s
expectations:
  lost_writes: 0
  p50_latency: 0s
"""


def test_each_expectation_is_an_item_judged_from_one_run(
        pytester: pytest.Pytester, world: World, world_args: list[str]) -> None:
    pytester.makefile(".yaml", tiny=TINY.format(primary=world.topology.primary))
    reports = pytester.path / "reports"
    result = pytester.runpytest_inprocess(*world_args, "--chaoskit-report", str(reports), "-rA")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "PASSED tiny.yaml::workload",
        "PASSED tiny.yaml::lost_writes",
        "FAILED tiny.yaml::p50_latency*",
    ])
    result.stdout.fnmatch_lines([
        "*playbook tiny-failover: p50_latency*",
        "playbook tiny-failover: p50_latency did not hold",
        "  FAIL p50_latency: expected ≤ 0 s, measured * ms",
        "*fault kv-empty*",
        "  run failed: p50_latency: measured * ms, expected ≤ 0 s",
        f"  report: {reports}/tiny-failover/report.html",
    ])
    # One run for both items: one report folder, one run in its journal.
    assert [p.name for p in reports.iterdir()] == ["tiny-failover"]
    journal = json.loads((reports / "tiny-failover" / "journal.json").read_text())
    assert sum(1 for e in journal["journal"] if e["kind"] == "run" and e["state"] == "started") == 1
    assert Faults(world).listing() == []
