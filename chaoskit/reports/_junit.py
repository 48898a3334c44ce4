"""junit.xml: one test case per expectation, so CI shows a failed expectation as a failed test.

Written to validate against the Jenkins/Ant junit-10 schema (a copy is in
tests/reports/junit.xsd). Details of passed expectations and the notes go to
the suite's system-out rather than the test cases', as some readers only
accept failure or error inside a test case.
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from chaoskit.reports._run import RunReport


def _timestamp(started_at: str) -> str:
    # The Ant schema wants yyyy-mm-ddThh:mm:ss with no zone: express it in UTC.
    try:
        moment = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    except ValueError:
        return started_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def render_junit(report: RunReport) -> str:
    """The JUnit XML of `report`: a `testsuites` root holding one `testsuite`."""
    failures = sum(not v.passed for v in report.verdicts)
    errors = 1 if report.outcome in ("aborted", "error") else 0
    tests = len(report.verdicts) + errors
    suite_name = f"chaoskit.{report.playbook}"
    counts = {
        "tests": str(tests),
        "failures": str(failures),
        "errors": str(errors),
        "time": f"{report.duration:.3f}",
    }
    root = ET.Element("testsuites", {"name": "chaoskit", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": suite_name,
            "package": "chaoskit",
            "id": "0",
            "hostname": platform.node() or "localhost",
            "timestamp": _timestamp(report.started_at),
            "skipped": "0",
            **counts,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("playbook", report.playbook),
        ("title", report.title),
        ("outcome", report.outcome),
        ("started_at", report.started_at),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for v in report.verdicts:
        case = ET.SubElement(suite, "testcase", {"name": v.name, "classname": suite_name, "time": "0"})
        if not v.passed:
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": f"expected {v.expected}, measured {v.measured_text}",
                    "type": "ExpectationNotMet",
                },
            )
            failure.text = f"{v.name}: expected {v.expected}, measured {v.measured_text}\n{v.detail}".rstrip()
    if errors:
        case = ET.SubElement(suite, "testcase", {"name": "run", "classname": suite_name, "time": "0"})
        error = ET.SubElement(
            case,
            "error",
            {
                "message": f"the run was {report.outcome} before it could be fully judged",
                "type": report.outcome,
            },
        )
        error.text = "See journal.json for the events that led to it."
    ET.SubElement(suite, "system-out").text = "\n".join(
        [f"{v.name}: {v.detail}" for v in report.verdicts if v.detail]
        + [f"note at {t:.2f} s: {text}" for t, text in sorted(report.notes)]
    )
    ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
