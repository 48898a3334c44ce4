from __future__ import annotations

import json
import re

from chaoskit.history import History
from chaoskit.reports import RunReport, chart_data, render_html

from .sample import outage_report

DATA = re.compile(r'<script type="application/json" id="chaoskit-timeline-data">(.*?)</script>', re.S)


def test_the_page_embeds_the_chart_data_and_the_script() -> None:
    report = outage_report()
    html = render_html(report)
    [embedded] = DATA.findall(html)
    data = json.loads(embedded)
    assert data == json.loads(json.dumps(chart_data(report.history, notes=report.notes, end=report.duration)))
    assert data["faults"][0]["id"] == "outage-a"
    assert len(data["notes"]) == 3
    assert "ChaoskitTimeline.mount(" in html
    assert "createElementNS" in html  # the SVG is drawn by the inline script
    assert '<div id="timeline">' in html


def test_the_page_is_self_contained() -> None:
    html = render_html(outage_report())
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "<script src" not in html


def test_the_page_shows_expectations_summary_faults_and_notes() -> None:
    html = render_html(outage_report())
    assert '<span class="badge failed">failed</span>' in html
    assert html.count('<span class="result fail">fail</span>') == 4
    assert html.count('<span class="result pass">pass</span>') == 2
    assert "2 of 367 acknowledged writes missing from the final read: o291, o297" in html
    assert "<code>outage-a</code>" in html
    assert "&lt;b&gt;region b&lt;/b&gt; took over" in html  # notes are escaped
    assert "<b>region b</b>" not in html
    assert "Journal <small>10 entries</small>" in html


def test_an_empty_run_still_renders() -> None:
    report = RunReport("empty", "Nothing ran", "2024-05-01T00:00:00Z", 0.0, History(), "error")
    html = render_html(report)
    assert "No expectations were judged." in html
    assert "No fault was injected." in html
    [embedded] = DATA.findall(html)
    series = json.loads(embedded)["series"]
    assert [(w["t"], w["ok"] + w["fail"] + w["unknown"]) for w in series] == [(0.0, 0)]
