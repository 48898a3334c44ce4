"""Reports: the files a run leaves behind, for people and for CI.

`write_report` turns a judged run (`RunReport`) into a directory holding
``journal.json`` (everything, for machines), ``history.jsonl`` (the ops),
``summary.md`` (for a CI job summary), ``junit.xml`` (one test case per
expectation) and ``report.html`` (one self-contained page with the timeline).

The timeline is drawn in the browser from `chart_data` by `timeline_script`,
so a live game-day page can draw the same chart from a history still being
recorded:

```python
from chaoskit.reports import RunReport, chart_data, chart_json, write_report

paths = write_report(
    RunReport(playbook="region-outage", title="Region A goes dark",
              started_at="2024-05-01T12:00:00Z", duration=60.0,
              history=history, outcome="passed", verdicts=verdicts),
    "runs/latest",
)
live = chart_json(chart_data(history, notes=[(12.5, "region b took over")]))
```
"""

from chaoskit.reports._html import page_templates, render_html, report_style
from chaoskit.reports._journal import journal_document
from chaoskit.reports._junit import render_junit
from chaoskit.reports._markdown import render_markdown
from chaoskit.reports._run import RUN_OUTCOMES, RunOutcome, RunReport
from chaoskit.reports._timeline import chart_data, chart_json, timeline_script, window_for
from chaoskit.reports._writer import write_report

__all__ = [
    "RUN_OUTCOMES",
    "RunOutcome",
    "RunReport",
    "chart_data",
    "chart_json",
    "journal_document",
    "page_templates",
    "render_html",
    "render_junit",
    "render_markdown",
    "report_style",
    "timeline_script",
    "window_for",
    "write_report",
]
