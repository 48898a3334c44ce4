"""The gate against the real world: probes that fail, and windows nothing was measured in,
fail the run; reports say why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chaoskit.faults import Faults
from chaoskit.playbook import Playbook
from chaoskit.region import World
from chaoskit.runner import Run

pytestmark = pytest.mark.world


def test_a_probe_only_playbook_whose_probes_fail_exits_1(world: World, tmp_path: Path) -> None:
    region = world.topology.primary
    name = f"kv.{region}.{world.topology.domain}"
    playbook = tmp_path / "probes-only.yaml"
    playbook.write_text(f"""
version: 1
name: probes-only
method:
  - inject: {{id: empty, fault: dns.nodata, target: {name}, for: 3s}}
  - probe: {{type: dns, title: the store still resolves, name: {name}, region: {region}}}
  - probe: {{type: dns, title: the record is empty, name: {name}, region: {region},
             expect_rcode: NOERROR}}
    expect: fail
  - probe: {{type: dns, title: tolerated, name: {name}, region: {region}}}
    expect: any
""")
    report = tmp_path / "report"
    r = subprocess.run(
        [sys.executable, "-m", "chaoskit", "run", str(playbook), "--world", world.project,
         "--report", str(report)],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    data = json.loads((report / "journal.json").read_text())
    assert data["outcome"] == "failed"
    verdicts = {v["name"]: v for v in data["verdicts"]}
    failed = verdicts["method probe 2: the store still resolves"]
    assert not failed["passed"] and "NODATA" in failed["detail"], failed
    assert verdicts["method probe 3: the record is empty"]["passed"]
    assert verdicts["method probe 4: tolerated"]["passed"]
    junit = (report / "junit.xml").read_text()
    assert junit.count("<failure") == 1 and "method probe 2: the store still resolves" in junit
    summary = (report / "summary.md").read_text()
    assert "| `method probe 2: the store still resolves` | passes | 1 failed probe | ❌ fail |" in summary
    assert "method probe 2: the store still resolves" in (report / "report.html").read_text()
    Faults(world, detached=True).confirm_baseline()


def test_a_fault_window_the_workload_never_saw_fails_as_cannot_judge(world: World, tmp_path: Path) -> None:
    # Validation refuses a fault after the workload stops; the model alone takes it, so the
    # run itself must refuse to pass on a window with no operations in it.
    region = world.topology.primary
    playbook = Playbook.model_validate(yaml.safe_load(f"""
version: 1
name: unseen-window
workload: {{target: kv, rate: 20, timeout: 1s, duration: 1s, final_read: false}}
method:
  - at: 2s
    inject: {{id: late, fault: dns.nodata, target: kv.{region}.{world.topology.domain}, for: 1s}}
expectations: {{rto: 10s, error_rate: 5%}}
"""))
    result = Run(playbook, world, report_dir=tmp_path / "r").execute()
    assert result.outcome == "failed", result.reason
    verdicts = {v.name: v for v in result.verdicts}
    assert verdicts["workload"].passed and verdicts["workload"].measured
    for name in ("rto", "error_rate"):
        assert not verdicts[name].passed
        assert verdicts[name].detail == "fault late: cannot judge: no operations in the fault window"
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "cannot judge: no operations in the fault window" in summary
    assert "RTO | **cannot judge**" in summary
