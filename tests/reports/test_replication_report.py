"""The replication lag in the reports: the chart's series and promotions, the tables, the panel."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from chaoskit.history import Event, History, Sample
from chaoskit.reports import RunReport, chart_data, render_html, render_markdown, write_report

CHROMIUM = Path("/usr/bin/chromium")


def lag_history() -> History:
    """Lag rises to 1.5 s, the primary is lost at 12 s, the replica promoted at 14 s."""
    h = History()
    for i in range(64):
        t = i * 0.25
        seconds = min(1.5, t / 4) if t < 12 else None
        values = {"primary": "us-east-1" if seconds is not None else None, "link": "up",
                  "seconds": seconds, "bytes": None if seconds is None else int(1000 * seconds),
                  "error": None if seconds is not None else "no primary reached"}
        h.sample(Sample(t, "replication", "us-west-2", values))
    h.event(Event(14.0, "fault-applied", "kv.promote", id="promote", detail={"target": "us-west-2"}))
    return h


def report() -> RunReport:
    return RunReport("replication-lag", "Lag", "2026-01-01T00:00:00Z", 16.0, lag_history(), "passed")


def test_chart_data_holds_the_lag_series_and_the_promotion() -> None:
    data = chart_data(lag_history())
    points = data["replication"]["points"]
    assert len(points) == 64 and points[0] == {"t": 0.0, "region": "us-west-2", "seconds": 0.0, "bytes": 0.0}
    assert points[-1]["seconds"] is None
    (promotion,) = data["replication"]["promotions"]
    assert promotion["promoted"] == "us-west-2" and promotion["seconds"] == 1.5
    assert promotion["measured_at"] == 11.75
    assert data["end"] >= 15.75


def test_a_run_without_samples_has_an_empty_series() -> None:
    assert chart_data(History())["replication"] == {"points": [], "promotions": []}
    assert "Replication lag" not in render_markdown(
        RunReport("p", "P", "2026-01-01T00:00:00Z", 1.0, History(), "passed"))


def test_markdown_has_the_lag_table_and_the_promotion_row() -> None:
    md = render_markdown(report())
    assert "### Replication lag" in md
    assert "| us-west-2 | 48 measured · 16 not | 1.5 s | 1.5 s | 1500 bytes | 1500 bytes |" in md
    assert ("| `promote` | us-west-2 | 14.00 s | 1.5 s · 1500 bytes (measured 2.25 s before) "
            "| cannot judge | cannot judge |") in md


def test_html_has_the_section_and_embeds_the_series() -> None:
    page = render_html(report())
    assert "<h2>Replication lag" in page
    assert "1.5 s · 1500 bytes (measured 2.25 s before)" in page
    raw = page.split('id="chaoskit-timeline-data">', 1)[1].split("</script>", 1)[0]
    assert len(json.loads(raw)["replication"]["points"]) == 64


def test_journal_summary_carries_the_replication_figures(tmp_path: Path) -> None:
    paths = write_report(report(), tmp_path)
    journal = json.loads(paths["journal"].read_text())
    assert journal["summary"]["replication"]["promotions"][0]["seconds"] == 1.5
    assert '"type": "sample"' in paths["history"].read_text()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_the_timeline_draws_a_lag_panel_with_the_promotion(tmp_path: Path) -> None:
    paths = write_report(report(), tmp_path / "run")
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", paths["html"].as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    dom = result.stdout
    assert "panel-lag" in dom, result.stderr[-2000:]
    assert dom.count('class="lag-line"') == 1
    assert "promote us-west-2: lag 1.50 s" in dom
