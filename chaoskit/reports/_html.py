"""report.html: one self-contained page (inline CSS, script and data) that opens offline."""

from __future__ import annotations

import json
from typing import Any

import jinja2
from markupsafe import Markup

from chaoskit.checks import dns_windows
from chaoskit.reports._figures import (
    dns_rows,
    fault_rows,
    headline_figures,
    promotion_rows,
    recovery_rows,
    replication_rows,
    run_time,
    seconds,
)
from chaoskit.reports._run import RunReport
from chaoskit.reports._timeline import chart_data, chart_json, timeline_script

# The page stays readable with a long game day's probe samples; journal.json has them all.
MAX_JOURNAL_ROWS = 2000



def page_templates(package: str) -> jinja2.Environment:
    """The templates of `package`'s ``templates/`` folder, as every chaoskit page renders them:
    autoescaped, strict about undefined names, blocks trimmed."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_environment = page_templates("chaoskit.reports")


def render_html(
    report: RunReport, summary: dict[str, Any] | None = None, *, window: float | None = None
) -> str:
    """The HTML report of `report`; `window` overrides the chart's window size in seconds."""
    if summary is None:
        summary = report.summary()
    data = chart_data(report.history, notes=report.notes, window=window, end=report.duration,
                      recoveries=summary.get("recovery_curves"))
    journal = sorted(report.journal, key=lambda e: _sort_time(e.get("time")))
    return _environment.get_template("report.html.j2").render(
        report=report,
        story=[p.strip() for p in report.story.strip().split("\n\n") if p.strip()],
        met=sum(v.passed for v in report.verdicts),
        verdicts=report.verdicts,
        figures=headline_figures(summary),
        faults=fault_rows(summary),
        dns=dns_rows(dns_windows(report.history)),
        replicas=replication_rows(summary),
        promotions=promotion_rows(summary),
        recoveries=recovery_rows(summary),
        notes=[(i + 1, run_time(n["time"]), n["text"]) for i, n in enumerate(data["notes"])],
        window=seconds(data["window"]),
        journal=[_journal_row(e) for e in journal[:MAX_JOURNAL_ROWS]],
        journal_more=max(0, len(journal) - MAX_JOURNAL_ROWS),
        chart_json=Markup(chart_json(data)),
        timeline_js=Markup(timeline_script()),
    )


def report_style() -> Markup:
    """The report's stylesheet (inline CSS), for other pages in the same style (a sweep's matrix)."""
    source = _environment.loader.get_source(_environment, "style.css")[0]  # type: ignore[union-attr]
    return Markup(source)


def _sort_time(t: Any) -> float:
    return float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else float("inf")


def _journal_row(entry: dict[str, Any]) -> dict[str, str]:
    rest = {k: v for k, v in entry.items() if k not in ("time", "kind", "type", "name")}
    return {
        "time": run_time(entry.get("time", "")),
        "kind": str(entry.get("kind", entry.get("type", ""))),
        "name": str(entry.get("name", "")),
        "detail": json.dumps(rest, ensure_ascii=False, default=str) if rest else "",
    }
