"""The matrix's files: matrix.html (the heatmap), matrix.json, junit.xml (one case per cell), summary.md.

The page uses the run report's own stylesheet (`chaoskit.reports.report_style`)
and holds everything inline: it opens offline, and each cell links to its run's
report in the folder beside it.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from xml.etree import ElementTree as ET

from chaoskit.checks import format_measure
from chaoskit.reports import page_templates, report_style
from chaoskit.sweep._matrix import CellResult, Matrix

_environment = page_templates("chaoskit.sweep")


def pct(value: float | None) -> str:
    return format_measure(value, "%")


def secs(value: float | None) -> str:
    return format_measure(value, "s")


def heat(cell: CellResult) -> str:
    """How red a failed cell is: from its error rate (a cell with no figure is fully red)."""
    if cell.error_rate is None:
        return "0.55"
    return f"{0.18 + 0.5 * min(100.0, cell.error_rate) / 100:.2f}"


def render_matrix_html(matrix: Matrix) -> str:
    return _environment.get_template("matrix.html.j2").render(
        m=matrix, ran=matrix.ran, failing=matrix.failing, style=report_style(),
        pct=pct, secs=secs, heat=heat)


def render_matrix_markdown(matrix: Matrix) -> str:
    """A summary for a CI job page: the outcome, then the matrix as a table."""
    mark = {"passed": "✅", "failed": "❌", "aborted": "⚠️", "error": "❌", "not-run": "·",
            "not-applicable": "n/a"}
    lines = [f"## chaoskit sweep: {matrix.service} — {matrix.outcome.upper()}", ""]
    if matrix.why:
        lines += [matrix.why, ""]
    lines.append(f"World `{matrix.world}`, {len(matrix.ran)} cells in {matrix.seconds:.0f} s; "
                 "each cell: error rate in the fault window · RTO.")
    lines.append("")
    if matrix.cells:
        lines.append("| dependency | " + " | ".join(f"`{f}`" for f in matrix.faults) + " |")
        lines.append("|---|" + "---|" * len(matrix.faults))
        for dep in matrix.dependencies:
            row = []
            for fault in matrix.faults:
                c = matrix.cell(dep, fault)
                if c is None:
                    row.append("")
                elif c.ran:
                    row.append(f"{mark[c.status]} {pct(c.error_rate)} · {secs(c.rto)}")
                else:
                    row.append(mark[c.status])
            lines.append(f"| `{dep}` | " + " | ".join(row) + " |")
    if matrix.seen:
        seen = ", ".join(f"`{s['name']}` ({s['why']})" for s in matrix.seen)
        lines += ["", f"Also seen, not swept: {seen}"]
    return "\n".join(lines) + "\n"


def render_matrix_junit(matrix: Matrix) -> str:
    """One test case per cell that ran (or should have): a failed cell is a failed test."""
    cases = [c for c in matrix.cells if c.status != "not-applicable"]
    failures = sum(c.status == "failed" for c in cases)
    errors = sum(c.status in ("aborted", "error", "not-run") for c in cases) + (0 if cases else 1)
    suite_name = f"chaoskit.sweep.{matrix.service}"
    counts = {"tests": str(len(cases) or 1), "failures": str(failures), "errors": str(errors),
              "time": f"{matrix.seconds:.3f}"}
    root = ET.Element("testsuites", {"name": "chaoskit", **counts})
    suite = ET.SubElement(root, "testsuite", {
        "name": suite_name, "package": "chaoskit", "id": "0", "hostname": platform.node() or "localhost",
        "timestamp": matrix.started_at.replace("+00:00", "")[:19], "skipped": "0", **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("service", matrix.service), ("world", matrix.world), ("outcome", matrix.outcome)):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for c in cases:
        case = ET.SubElement(suite, "testcase", {"name": c.id, "classname": suite_name,
                                                 "time": f"{c.seconds:.3f}"})
        failed = [v for v in c.verdicts if not v.get("passed")]
        if c.status == "failed":
            node = ET.SubElement(case, "failure", {"message": c.reason[:500] or "an expectation failed",
                                                   "type": "ExpectationNotMet"})
            node.text = "\n".join(
                f"{v['name']}: expected {v['expected']}, measured {v['measured_text']} {v.get('detail', '')}"
                .rstrip() for v in failed) + f"\nreport: {c.report}"
        elif c.status != "passed":
            node = ET.SubElement(case, "error", {"message": c.reason[:500] or c.status, "type": c.status})
            node.text = c.reason or c.status
    if not cases:
        case = ET.SubElement(suite, "testcase", {"name": "sweep", "classname": suite_name, "time": "0"})
        ET.SubElement(case, "error", {"message": matrix.why or "no cell", "type": "nothing-judged"})
    ET.SubElement(suite, "system-out").text = "\n".join(
        [f"{c.id}: error rate {pct(c.error_rate)}, RTO {secs(c.rto)}" for c in matrix.ran]
        + [f"seen, not swept: {s['name']} ({s['why']})" for s in matrix.seen])
    ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_matrix(matrix: Matrix, directory: str | Path) -> dict[str, Path]:
    """Write matrix.json, matrix.html, junit.xml and summary.md; their paths by name."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, filename, text in (
        ("json", "matrix.json", json.dumps(matrix.to_dict(), indent=2, default=str) + "\n"),
        ("html", "matrix.html", render_matrix_html(matrix)),
        ("junit", "junit.xml", render_matrix_junit(matrix)),
        ("summary", "summary.md", render_matrix_markdown(matrix)),
    ):
        path = out / filename
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths
