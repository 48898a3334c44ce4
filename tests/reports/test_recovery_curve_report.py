"""The recovery curve in every report: journal.json, summary.md, report.html (table and timeline)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from chaoskit.reports import render_html, render_markdown, write_report

from .sample import outage_report


def test_the_journal_holds_the_curve(tmp_path: Path) -> None:
    paths = write_report(outage_report(), tmp_path)
    journal = json.loads(paths["journal"].read_text())
    (curve,) = journal["summary"]["recovery_curves"]
    assert curve["fault"] == "outage-a" and curve["since"] == 40.0
    assert curve["windows"] and curve["windows"][0]["after_revert"] == 0.0
    assert {"success_rate", "p50", "p99", "ok", "fail", "unknown"} <= set(curve["windows"][0])


def test_markdown_has_a_table_per_reverted_fault() -> None:
    text = render_markdown(outage_report())
    assert "### Recovery curve of `outage-a`" in text
    assert "From the revert at 40.00 s" in text
    assert "| After revert | Success rate | ok / ops | p50 | p99 |" in text
    assert re.search(r"\| \+0–[0-9.]+ s \| [0-9.]+ % \|", text), text


def test_html_has_the_table_and_marks_the_recovery_on_the_timeline() -> None:
    page = render_html(outage_report())
    assert "Recovery curve of <code>outage-a</code>" in page
    found = re.search(r'id="chaoskit-timeline-data">(.*?)</script>', page, re.S)
    assert found
    data = json.loads(found.group(1))
    (mark,) = data["recoveries"]
    assert mark["fault"] == "outage-a" and mark["since"] == 40.0 and mark["recovered_at"] >= 40.0
    assert "recovered " in page  # the timeline script labels the mark
