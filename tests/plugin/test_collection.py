"""The plugin without a world: options, marker, header, which YAML becomes items, invalid playbooks."""

from __future__ import annotations

import pytest

from chaoskit.history import History
from chaoskit.pytest_plugin import Chaoskit, looks_like_playbook

PLAYBOOK = """\
version: 1
name: tiny
workload: {target: orders, rate: 10, settle: 1s}
method:
  - at: 1s
    inject: {fault: dns.nodata, target: kv.us-east-1.chaoskit.internal, for: 1s}
expectations:
  lost_writes: 0
  rto: 10s
"""

INVALID = """\
version: 1
name: Not A Slug
method:
  - at: 1s
    inject: {fault: dns.bogus, target: kv.us-east-1.chaoskit.internal}
expectations:
  rto: fast
"""


def test_options_and_marker_are_registered(pytester: pytest.Pytester) -> None:
    help_ = pytester.runpytest("--help")
    for option in ("--chaoskit-topology", "--chaoskit-report", "--chaoskit-world", "--chaoskit-keep",
                   "--chaoskit-images"):
        help_.stdout.fnmatch_lines([f"*{option}*"])
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.chaos:*needs a running chaoskit world*"])


def test_header_names_the_world(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--chaoskit-world", "hdr", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["chaoskit: world chaoskit-hdr: attached to if running, else brought up"])
    result.assert_outcomes(passed=1)  # no world needed, none touched


def test_tests_using_chaoskit_fixtures_get_the_chaos_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_uses_the_world(chaoskit_world): pass
        def test_plain(): pass
    """)
    result = pytester.runpytest("-m", "not chaos", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, deselected=1)


def test_only_yaml_that_looks_like_a_playbook_is_collected(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", tiny=PLAYBOOK)
    pytester.makefile(".yaml", compose="services:\n  web: {image: nginx}\nversion: 1\n")
    pytester.makefile(".yml", settings="version: 1\nmethods: [a, b]\n")
    assert looks_like_playbook(pytester.path / "tiny.yaml")
    assert not looks_like_playbook(pytester.path / "compose.yaml")
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        ["tiny.yaml::workload", "tiny.yaml::lost_writes", "tiny.yaml::rto", "3 tests collected*"]
    )
    result.stdout.no_fnmatch_line("*compose.yaml*")
    result.stdout.no_fnmatch_line("*settings.yml*")


def test_an_invalid_playbook_is_one_failing_item_with_file_line_col(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", bad=INVALID)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "bad.yaml is not a valid playbook (4 problem(s)):",
        "  bad.yaml:2:7: name: 'Not A Slug' is not a name*",
        "  bad.yaml:5:21: unknown fault 'dns.bogus'*",
        "  bad.yaml:6:1: expectations are judged from the workload's history*",
        "  bad.yaml:7:8: expectations.rto: not a duration: 'fast'*",
        "FAILED bad.yaml::validate*",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_check_returns_verdicts_that_read_well_in_an_assertion() -> None:
    verdicts = Chaoskit.check(History(), rto="5s", lost_writes=0)
    assert [v.name for v in verdicts] == ["rto", "lost_writes"]
    assert not verdicts.passed
    assert repr(verdicts).splitlines()[0].startswith("FAIL rto: expected ≤ 5 s, measured —")
