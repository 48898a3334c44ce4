"""Checks across the playbook: fault ids, the timeline, manual steps, expectations."""

from __future__ import annotations

from pathlib import Path

from chaoskit.playbook import InjectStep, Playbook, WaitStep, load_playbook

from .playbooks import BASE, Check, places

HEAD = """\
version: 1
name: t
workload: {target: orders, rate: 10, settle: 5s}
method:
"""


def test_revert_before_its_inject(check: Check) -> None:
    problems = check(
        HEAD
        + "  - revert: f\n"
        + "  - inject: {id: f, fault: dns.nodata, target: kv.us-east-1.chaoskit.internal}\n"
    )
    assert places(problems) == ["5:13"]
    assert problems[0].message == "revert of 'f' comes before its inject (line 6)"


def test_revert_of_unknown_id_suggests_known_ones(check: Check) -> None:
    problems = check(BASE + "  - revert: g\n  - revert: all\nrollbacks:\n  - revert: ff\n")
    assert places(problems) == ["7:13", "10:13"]
    assert problems[0].message == "revert of unknown fault id 'g'"
    assert problems[0].hint == "known: all, f"
    assert problems[1].hint == "did you mean 'f'?"


def test_two_injects_with_the_same_id(check: Check) -> None:
    problems = check(
        BASE + "  - inject: {id: f, fault: dns.servfail, target: kv.us-west-2.chaoskit.internal}\n"
    )
    assert places(problems) == ["7:18"]
    assert problems[0].message == "fault id 'f' is already used by the inject at line 5"


def test_all_is_not_a_fault_id(check: Check) -> None:
    problems = check(BASE.replace("id: f", "id: all"))
    assert places(problems) == ["6:18"]
    assert "reserved" in problems[0].message


def test_steps_out_of_order(check: Check) -> None:
    problems = check(BASE + "  - at: 10s\n    note: a\n  - at: 3s\n    note: b\n")
    assert places(problems) == ["9:9"]
    assert problems[0].message == "at 3s comes before the step above it (at 10s)"


def test_step_after_the_declared_workload_duration(check: Check) -> None:
    text = BASE.replace("settle: 5s", "duration: 20s") + "  - at: 30s\n    note: too late\n"
    problems = check(text)
    assert places(problems) == ["7:9"]
    assert "after the workload stops (workload.duration 20s)" in problems[0].message


def test_sequential_waits_count_towards_the_timeline(check: Check) -> None:
    text = BASE.replace("settle: 5s", "duration: 20s") + "  - wait: 25s\n  - note: at 26s\n"
    problems = check(text)
    assert places(problems) == ["8:5"]
    assert "starts at 26s" in problems[0].message


def test_fault_that_outlasts_the_workload(check: Check) -> None:
    text = BASE.replace("settle: 5s", "duration: 4s")
    problems = check(text)
    assert places(problems) == ["6:85"]
    assert problems[0].message == (
        "fault 'f' lasts until 6s, after the workload stops (workload.duration 4s)"
    )


def test_settle_and_duration_are_exclusive(check: Check) -> None:
    problems = check(BASE.replace("settle: 5s", "settle: 5s, duration: 30s"))
    assert places(problems) == ["3:1"]
    assert "not both" in problems[0].message


def test_during_names_an_injected_fault(check: Check) -> None:
    problems = check(BASE + "expectations: {rto: 10s, during: g}\n")
    assert places(problems) == ["7:34"]
    assert problems[0].message == "during: no fault has id 'g'"


def test_fault_timings_need_a_fault(check: Check) -> None:
    text = HEAD + "  - wait: 5s\nexpectations: {rto: 10s, error_rate: 5%}\n"
    problems = check(text)
    assert places(problems) == ["6:21"]
    assert problems[0].message == "rto is measured from a fault, and the method injects none"


def test_recovery_needs_the_workload_to_outlive_the_fault(check: Check) -> None:
    text = BASE.replace(", settle: 5s", "") + "expectations: {time_to_recover: 10s}\n"
    problems = check(text)
    assert places(problems) == ["7:33"]
    assert "recovery cannot be observed" in problems[0].message
    assert check(BASE + "expectations: {time_to_recover: 10s}\n") == []


def test_required_manual_step_only_interactively(check: Check) -> None:
    text = BASE + "  - manual: Check the dashboard.\n    required: true\n  - manual: Optional.\n"
    problems = check(text)
    assert places(problems) == ["7:13"]
    assert "non-interactive" in problems[0].message
    assert check(text, interactive=True) == []


def test_rollbacks_cannot_inject_or_be_timed(check: Check) -> None:
    text = BASE + (
        "rollbacks:\n  - at: 1s\n    revert: all\n"
        "  - inject: {fault: dns.ttl, target: kv.us-east-1.chaoskit.internal}\n"
    )
    problems = check(text)
    assert places(problems) == ["8:9", "10:5"]


def test_faults_get_ids_and_the_judged_fault_defaults_to_the_first(check: Check, tmp_path: Path) -> None:
    text = (
        HEAD
        + "  - inject: {fault: dns.nodata, target: kv.us-east-1.chaoskit.internal, for: 5s}\n"
        + "  - inject: {id: dns-1, fault: dns.ttl, target: kv.us-west-2.chaoskit.internal}\n"
        + "  - inject: {fault: dns.servfail, target: kv.us-west-2.chaoskit.internal, for: 1s}\n"
        + "expectations: {rto: 10s}\n"
    )
    assert check(text) == []
    playbook = load_playbook(tmp_path / "pb.yaml")
    assert [f.id for f in playbook.faults] == ["dns-2", "dns-1", "dns-3"]
    assert playbook.judged_fault == "dns-2"
    assert playbook.thresholds == {"rto": "10s"}
    assert playbook.path == tmp_path / "pb.yaml"
    assert playbook.topology_path is None
    assert isinstance(playbook.method[0], InjectStep)
    assert playbook.method[0].inject.duration == 5.0


def test_python_construction_works_without_a_file() -> None:
    playbook = Playbook.model_validate(
        {"version": 1, "name": "p", "method": [{"wait": "1s"}, {"at": 2, "note": "n"}]}
    )
    step = playbook.method[0]
    assert isinstance(step, WaitStep) and step.wait == 1.0
    assert playbook.judged_fault is None
