"""A playbook's `services.<name>.load` and `workload.rate_steps`, each problem located."""

from __future__ import annotations

from chaoskit.playbook import load_playbook

from .playbooks import BASE, REPO, Check, places


def test_rate_steps_and_a_load_setting_validate(check: Check) -> None:
    text = BASE.replace("settle: 5s}", "settle: 5s, rate_steps: [{at: 3s, rate: 2}]}") + (
        "services:\n  orders: {load: naive}\n")
    assert check(text) == []


def test_a_rate_step_out_of_order_or_not_positive(check: Check) -> None:
    text = BASE.replace("settle: 5s}", "settle: 5s, rate_steps: [{at: 3s, rate: 2}, {at: 2s, rate: 1}]}")
    problems = check(text)
    assert places(problems)[0].startswith("3:")
    assert "rate_steps must be in order" in problems[0].message
    problems = check(BASE.replace("settle: 5s}", "settle: 5s, rate_steps: [{at: 3s, rate: 0}]}"))
    assert "greater than 0" in problems[0].message


def test_a_rate_step_after_the_workload_stops(check: Check) -> None:
    problems = check(BASE.replace("settle: 5s}", "settle: 5s, rate_steps: [{at: 30s, rate: 2}]}"))
    assert len(problems) == 1
    assert "this rate step comes at 30s, when the workload has stopped (at 11s" in problems[0].message
    assert places(problems) == ["3:68"]


def test_an_unknown_load_setting(check: Check) -> None:
    problems = check(BASE + "services:\n  orders: {load: sturdy}\n")
    assert len(problems) == 1 and "'naive'" in problems[0].message
    assert places(problems) == ["8:18"]


def test_the_long_tail_playbook() -> None:
    playbook = load_playbook(REPO / "playbooks" / "long-tail.yaml")
    assert playbook.services["orders"].load == "resilient"
    assert playbook.workload is not None and [(s.at, s.rate) for s in playbook.workload.rate_steps] == [
        (26.0, 2.0)]
    assert playbook.thresholds["time_to_recover"] == "10s"
