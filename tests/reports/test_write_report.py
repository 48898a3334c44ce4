from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from chaoskit.history import History
from chaoskit.reports import RunReport, journal_document, write_report

from .sample import outage_report


def test_every_file_is_written(tmp_path: Path) -> None:
    paths = write_report(outage_report(), tmp_path / "run")
    assert sorted(paths) == ["history", "html", "journal", "junit", "summary"]
    assert {p.name for p in paths.values()} == {
        "journal.json",
        "history.jsonl",
        "summary.md",
        "junit.xml",
        "report.html",
    }
    for p in paths.values():
        assert p.parent == tmp_path / "run"
        assert p.stat().st_size > 0


def test_the_journal_holds_everything_and_is_strict_json(tmp_path: Path) -> None:
    report = outage_report()
    report.journal.append({"time": 30.0, "kind": "probe", "name": "latency", "value": math.inf})
    paths = write_report(report, tmp_path)
    text = paths["journal"].read_text(encoding="utf-8")
    journal = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert journal["format"] == "chaoskit-journal"
    assert journal["outcome"] == "failed"
    assert [v["name"] for v in journal["verdicts"]] == [v.name for v in report.verdicts]
    assert journal["summary"]["lost_writes"] == 2
    assert journal["summary"]["stale_reads"] == 4
    assert journal["faults"] == [{"id": "outage-a", "name": "region.outage", "start": 15.0, "end": 40.0}]
    assert journal["notes"][1] == {"time": 21.0, "text": "<b>region b</b> took over"}
    assert [e["kind"] for e in journal["events"]] == ["step", "fault-applied", "fault-reverted"]
    times = [e["time"] for e in journal["journal"]]
    assert times == sorted(times)
    [probe] = [e for e in journal["journal"] if e.get("name") == "latency"]
    assert probe["value"] is None
    assert journal["history"] == "history.jsonl"


def test_history_jsonl_reloads_to_the_same_ops(tmp_path: Path) -> None:
    report = outage_report()
    paths = write_report(report, tmp_path)
    again = History.load(paths["history"])
    assert sorted(again.ops, key=lambda o: o.index) == sorted(report.history.ops, key=lambda o: o.index)
    assert again.events == report.history.events


def test_the_journal_document_matches_the_report() -> None:
    report = outage_report()
    document = journal_document(report)
    assert document["summary"] == json.loads(json.dumps(report.summary()))
    assert document["duration"] == 61.5


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="passed, failed, aborted, error"):
        RunReport("p", "t", "2024-05-01T00:00:00Z", 1.0, History(), "maybe")  # type: ignore[arg-type]
