"""The gate's own verdicts, pure: probe steps as they `expect`, a workload that recorded
nothing, a playbook with nothing to judge by."""

from __future__ import annotations

from typing import Any

import pytest

from chaoskit.history import History, Op
from chaoskit.playbook import Playbook, ProbeStep
from chaoskit.runner._gate import (
    ProbeOutcome,
    evidence_verdict,
    gate_verdicts,
    probe_outcome,
    probe_verdict,
    workload_verdict,
)

HTTP = {"type": "http", "service": "cart", "region": "us-east-1", "path": "/health"}


def playbook(**parts: Any) -> Playbook:
    return Playbook.model_validate({"version": 1, "name": "gate", **parts})


def outcome(expect: str, ok: bool) -> ProbeOutcome:
    step = ProbeStep.model_validate({"probe": HTTP, "expect": expect})
    return probe_outcome("method", 1, step, "http cart", ok, "HTTP 503")


@pytest.mark.parametrize(
    ("expect", "ok", "held"),
    [
        ("pass", True, True),
        ("pass", False, False),
        ("fail", False, True),
        ("fail", True, False),
        ("any", False, True),
        ("any", True, True),
    ],
)
def test_a_probe_step_holds_only_as_it_expects(expect: str, ok: bool, held: bool) -> None:
    v = probe_verdict(outcome(expect, ok))
    assert v.passed is held
    assert v.name == "method probe 2: http cart"
    assert v.measured_text == ("0 failed probes" if ok else "1 failed probe")
    if not held:
        assert f"expected it to {expect}" in v.detail and "HTTP 503" in v.detail


def test_a_probe_step_expects_to_pass_by_default() -> None:
    assert ProbeStep.model_validate({"probe": HTTP}).expect == "pass"
    with pytest.raises(ValueError, match="expect"):
        ProbeStep.model_validate({"probe": HTTP, "expect": "maybe"})


def test_a_workload_that_recorded_nothing_fails() -> None:
    v = workload_verdict(History())
    assert not v.passed and v.measured == 0
    assert v.detail.startswith("cannot judge: the workload recorded no operations")
    h = History()
    h.record(Op(index=0, process="p0", kind="write", target="cart", start=0.1, end=0.2, outcome="fail"))
    assert workload_verdict(h).passed  # evidence, even of failure: the expectations judge it


def test_a_final_read_alone_is_no_workload() -> None:
    h = History()
    h.record(Op(index=0, process="p0", kind="final-read", target="cart", start=1, end=2, outcome="ok",
                value=[]))
    assert not workload_verdict(h).passed


def test_a_playbook_without_workload_or_probe_has_no_evidence() -> None:
    bare = playbook(method=[{"wait": "1s"}])
    v = evidence_verdict(bare)
    assert v is not None and not v.passed and v.detail.startswith("cannot judge")
    assert evidence_verdict(playbook(method=[{"probe": HTTP}])) is None
    assert evidence_verdict(playbook(method=[{"wait": "1s"}], steady_state=[HTTP])) is None


def test_gate_verdicts_of_a_probe_only_run_whose_probes_failed() -> None:
    pb = playbook(method=[{"probe": HTTP}, {"probe": HTTP, "expect": "any"}],
                  rollbacks=[{"probe": HTTP}])
    failed = [
        probe_outcome("method", 0, pb.method[0], "http cart", False, "HTTP 503"),  # type: ignore[arg-type]
        probe_outcome("method", 1, pb.method[1], "http cart", False, "HTTP 503"),  # type: ignore[arg-type]
        probe_outcome("rollback", 0, pb.rollbacks[0], "http cart", False, "HTTP 503"),  # type: ignore[arg-type]
    ]
    verdicts = gate_verdicts(pb, History(), failed)
    assert [(v.name, v.passed) for v in verdicts] == [
        ("method probe 1: http cart", False),
        ("method probe 2: http cart", True),
        ("rollback probe 1: http cart", False),
    ]


def test_gate_verdicts_add_the_workload_only_once_it_ran() -> None:
    pb = playbook(method=[{"wait": "1s"}], workload={"target": "kv", "rate": 5})
    assert [v.name for v in gate_verdicts(pb, History(), [])] == ["workload"]
    assert gate_verdicts(pb, History(), [], workload_ran=False) == []
