"""write_report: every file of a run's report directory, from one `RunReport`."""

from __future__ import annotations

from pathlib import Path

from chaoskit.reports._html import render_html
from chaoskit.reports._journal import write_journal
from chaoskit.reports._junit import render_junit
from chaoskit.reports._markdown import render_markdown
from chaoskit.reports._run import RunReport


def write_report(report: RunReport, directory: str | Path) -> dict[str, Path]:
    """Write journal.json, history.jsonl, summary.md, junit.xml and report.html.

    Creates `directory` if need be and overwrites the files it writes.
    Returns their paths by name: ``journal``, ``history``, ``summary``,
    ``junit``, ``html``.

    >>> paths = write_report(report, "runs/2024-05-01T12-00-00")
    >>> paths["html"]
    PosixPath('runs/2024-05-01T12-00-00/report.html')
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    # Computed once: every file shows the same figures.
    summary = report.summary()
    journal, history = write_journal(report, out, summary)
    paths = {"journal": journal, "history": history}
    for name, filename, text in (
        ("summary", "summary.md", render_markdown(report, summary)),
        ("junit", "junit.xml", render_junit(report)),
        ("html", "report.html", render_html(report, summary)),
    ):
        path = out / filename
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths
