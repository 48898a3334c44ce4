"""summary.md: the run in a few tables, sized for a CI job summary."""

from __future__ import annotations

from typing import Any

from chaoskit.checks import dns_windows
from chaoskit.reports._figures import (
    dns_rows,
    fault_rows,
    headline_figures,
    promotion_rows,
    recovery_rows,
    replication_rows,
    run_time,
)
from chaoskit.reports._run import RunReport

_OUTCOME_MARK = {"passed": "✅", "failed": "❌", "aborted": "⚠️", "error": "💥"}


def _cell(text: str) -> str:
    # A pipe or a newline would break the table row; a job summary renders raw HTML.
    return (
        text.replace("&", "&amp;")
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\n", " ")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def render_markdown(report: RunReport, summary: dict[str, Any] | None = None) -> str:
    """The Markdown summary of `report`."""
    if summary is None:
        summary = report.summary()
    met = sum(v.passed for v in report.verdicts)
    lines = [
        f"## {_OUTCOME_MARK[report.outcome]} {_cell(report.title)}: {report.outcome}",
        "",
        f"Playbook `{report.playbook}` · started {report.started_at} · "
        f"ran {report.duration:.1f} s · {met} of {len(report.verdicts)} expectations met",
        "",
    ]
    if report.story.strip():
        lines += ["> " + line if line else ">" for line in report.story.strip().splitlines()]
        lines.append("")
    lines += ["### Expectations", ""]
    if report.verdicts:
        lines += [
            "| Expectation | Expected | Measured | Result | Detail |",
            "|---|---|---|---|---|",
        ]
        for v in report.verdicts:
            result = "✅ pass" if v.passed else "❌ fail"
            lines.append(
                f"| `{v.name}` | {_cell(v.expected)} | {_cell(v.measured_text)} | {result} "
                f"| {_cell(v.detail)} |"
            )
    else:
        lines.append("No expectations were judged.")
    lines += ["", "### Fault windows", ""]
    rows = fault_rows(summary)
    if rows:
        lines += [
            "| Fault | Kind | Applied | Reverted | Detected after | RTO | Recovered after revert "
            "| Error rate | p99 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| `{_cell(r['id'])}` | {_cell(r['name'])} | {r['applied']} | {r['reverted']} "
                f"| {r['detect']} | {r['rto']} | {r['recover']} | {r['error_rate']} | {r['p99']} |"
            )
    else:
        lines.append("No fault was injected.")
    dns = dns_rows(dns_windows(report.history))
    if dns:
        lines += ["", "### Did the DNS faults reach the clients?", "",
                  "| Fault | Names | Client | Asked before | Asked during | First asked after "
                  "| Answers during | |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in dns:
            mark = "❌ " if r["bad"] else "✅ "
            lines.append(
                f"| `{_cell(r['id'])}` | {_cell(r['names'])} | {_cell(r['client'])} | {r['before']} "
                f"| {r['during']} | {r['first']} | {_cell(r['rcodes'])} | {mark}{_cell(r['flag'])} |")
    lines += _replication(summary)
    for curve in recovery_rows(summary):
        lines += ["", f"### Recovery curve of `{_cell(curve['fault'])}`", "",
                  f"From the revert at {curve['since']}, in {curve['bucket']} buckets; "
                  f"recovered (sustained success): {curve['recovered']}.", ""]
        if curve["rows"]:
            lines += ["| After revert | Success rate | ok / ops | p50 | p99 |", "|---|---|---|---|---|"]
            lines += [f"| {r['after']} | {r['success']} | {r['ops']} | {r['p50']} | {r['p99']} |"
                      for r in curve["rows"]]
        else:
            lines.append("No operation after the revert.")
    lines += ["", "### Headline figures", "", "| Figure | Value | |", "|---|---|---|"]
    for f in headline_figures(summary):
        lines.append(f"| {f.label} | **{_cell(f.value)}** | {_cell(f.sub)} |")
    if report.notes:
        lines += ["", "### Notes", ""]
        lines += [f"- **{run_time(t)}** {_cell(text)}" for t, text in sorted(report.notes)]
    lines += ["", "Details: `report.html`, `journal.json`, `history.jsonl`.", ""]
    return "\n".join(lines)


def _replication(summary: dict[str, Any]) -> list[str]:
    replicas = replication_rows(summary)
    if not replicas:
        return []
    lines = [
        "",
        "### Replication lag",
        "",
        "| Replica | Samples | p99 | max | p99 bytes | max bytes | Not measured because |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in replicas:
        lines.append(
            f"| {_cell(r['region'])} | {r['samples']} | {r['p99']} | {r['max']} | {r['p99_bytes']} "
            f"| {r['max_bytes']} | {_cell(r['why']) or '—'} |"
        )
    promotions = promotion_rows(summary)
    if promotions:
        lines += [
            "",
            "| Promotion | Promoted | At | Lag it inherited | Lost writes | RPO | |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in promotions:
            lines.append(
                f"| `{_cell(p['id'])}` | {_cell(p['promoted'])} | {p['at']} | {_cell(p['lag'])} "
                f"| {p['lost']} | {p['rpo']} | {_cell(p['why'])} |"
            )
    return lines
