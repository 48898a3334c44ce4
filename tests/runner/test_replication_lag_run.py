"""The replication-lag playbook on the real world: the lag builds under cross-region latency, the
primary's region is lost, the replica promoted; the report carries the series and the promotion's RPO."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chaoskit.playbook import load_playbook
from chaoskit.runner import Run, RunResult
from chaoskit.world import World

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "replication-lag.yaml"
DELAY = 1.5  # the playbook's latency on the replication link, seconds

pytestmark = pytest.mark.world


@pytest.fixture(scope="module")
def run(world: World, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    if "orders" not in world.topology.services:
        pytest.skip("needs the orders service")
    return Run(load_playbook(PLAYBOOK), world, report_dir=tmp_path_factory.mktemp("lag")).execute()


def journal(run: RunResult) -> dict[str, Any]:
    assert run.report_dir is not None
    return dict(json.loads((run.report_dir / "journal.json").read_text()))


def test_the_playbook_passes_with_its_lag_and_rpo_judged(run: RunResult) -> None:
    verdicts = {v.name: v for v in run.verdicts}
    for name in ("replication_lag_p99", "replication_lag_max", "rpo", "rto"):
        assert name in verdicts
    lag = verdicts["replication_lag_p99"]
    # The lag built to about the link's delay: measured, and not a trivial figure.
    assert lag.measured is not None and 0.8 * DELAY <= lag.measured <= 3.0, lag
    assert run.outcome == "passed", run.reason


def test_the_report_carries_the_series_and_the_promotions_rpo(run: RunResult) -> None:
    doc = journal(run)
    events = {e["id"]: e for e in doc["events"] if e["kind"] == "fault-applied"}
    cut, promote = events["link-lost"]["time"], events["promote"]["time"]
    replication = doc["summary"]["replication"]
    (west,) = [r for r in replication["replicas"] if r["region"] == "us-west-2"]
    assert west["measured"] >= 20 and west["max_seconds"] >= 0.8 * DELAY
    # The promotion inherited the lag last measured before the primary was out of reach:
    # after the region's link to the replica was cut, before the promotion.
    (promotion,) = replication["promotions"]
    assert promotion["promoted"] == "us-west-2" and promotion["time"] == promote
    assert promotion["measured_at"] is not None and cut - 1.0 <= promotion["measured_at"] <= promote
    assert promotion["seconds"] >= 0.8 * DELAY and promotion["bytes"] > 0
    # ... and cost the writes acknowledged in that lag: lost, and spanning no more than it.
    assert promotion["lost_writes"] is not None and promotion["lost_writes"] > 0
    assert promotion["rpo"] is not None and promotion["rpo"] <= promotion["seconds"] + 1.0
    assert promotion["lost_writes"] == doc["summary"]["lost_writes"]

    assert run.report_dir is not None
    summary_md = (run.report_dir / "summary.md").read_text()
    assert "### Replication lag" in summary_md and "| `promote` | us-west-2 |" in summary_md
    html = (run.report_dir / "report.html").read_text()
    assert "<h2>Replication lag" in html
    history = (run.report_dir / "history.jsonl").read_text()
    assert history.count('"type": "sample"') == sum(
        r["measured"] + r["unmeasured"] for r in replication["replicas"])
