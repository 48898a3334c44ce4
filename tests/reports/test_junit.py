from __future__ import annotations

from xml.etree import ElementTree as ET

from chaoskit.history import History
from chaoskit.reports import RunReport, render_junit

from .junit_schema import XSD, Subset, validate, validator_name
from .sample import outage_report


def test_junit_validates_against_the_schema() -> None:
    xml = render_junit(outage_report())
    assert validate(xml) == [], validator_name()


def test_one_test_case_per_expectation_and_failures_say_expected_and_measured() -> None:
    report = outage_report()
    root = ET.fromstring(render_junit(report))
    assert root.tag == "testsuites"
    [suite] = root
    assert suite.get("name") == "chaoskit.region-outage"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("6", "4", "0")
    assert suite.get("timestamp") == "2024-05-01T10:00:00"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [v.name for v in report.verdicts]
    failed = {c.get("name", ""): c.find("failure") for c in cases if c.find("failure") is not None}
    assert sorted(failed) == ["error_rate", "lost_writes", "rpo", "stale_reads"]
    lost = failed["lost_writes"]
    assert lost is not None
    assert lost.get("message") == "expected ≤ 0 writes, measured 2 writes"
    assert "o291, o297" in (lost.text or "")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["outcome"] == "failed"


def test_an_aborted_run_is_an_error_and_still_valid() -> None:
    report = RunReport("empty", "Nothing ran", "not a date", 0.0, History(), "aborted")
    xml = render_junit(report)
    assert validate(xml) == []
    [suite] = ET.fromstring(xml)
    assert (suite.get("tests"), suite.get("errors")) == ("1", "1")
    assert suite.get("timestamp") == "not a date"
    error = suite.find("testcase/error")
    assert error is not None and error.get("type") == "aborted"


def test_the_fallback_validator_catches_what_the_schema_forbids() -> None:
    # Runs whatever validator is installed, so the fallback itself is tested too.
    subset = Subset(XSD)
    assert subset.validate(ET.fromstring(render_junit(outage_report()))) == []
    errors = subset.validate(
        ET.fromstring(
            '<testsuites><testsuite tests="1" colour="red">'
            "<testcase name='a'><failure/><skipped/></testcase><properties/>"
            "</testsuite></testsuites>"
        )
    )
    assert errors == [
        "/testsuites/testsuite[0]: missing required attribute 'name'",
        "/testsuites/testsuite[0]: attribute 'colour' not allowed",
        "/testsuites/testsuite[0]/testcase[0]: unexpected <skipped> here",
        "/testsuites/testsuite[0]: unexpected <properties> here",
    ]
