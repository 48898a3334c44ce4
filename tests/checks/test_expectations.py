from __future__ import annotations

import pytest

from chaoskit.checks import FaultWindow, Verdict, evaluate, known_expectations, parse_expectations
from chaoskit.errors import PlaybookError

from .histories import Recorder

SPEC = {
    "rto": "10s",
    "error_rate": "5%",
    "lost_writes": 0,
    "p99_latency": "500ms",
    "stale_reads": 0,
    "rpo": "0s",
}


def failover(rto_ops_failing_until: float, lose: bool = False) -> Recorder:
    """A fault 10 s..30 s over reads every 0.5 s; writes o1..o3; a final read."""
    r = Recorder()
    r.fault("region-1", 10.0, 30.0)
    r.traffic(0.0, 10.0, 0.5)
    r.traffic(10.0, rto_ops_failing_until, 0.5, "fail")
    r.traffic(rto_ops_failing_until, 40.0, 0.5)
    r.write(2.0, "o1")
    r.write(11.0, "o2")
    r.write(12.0, "o3")
    r.read(15.0, "o1", {"id": "o1"})
    r.final_read(41.0, ["o1", "o3"] if lose else ["o1", "o2", "o3"])
    return r


def by_name(verdicts: list[Verdict]) -> dict[str, Verdict]:
    return {v.name: v for v in verdicts}


def test_a_clean_failover_meets_every_expectation() -> None:
    verdicts = evaluate(failover(11.0).history, SPEC)
    assert [v.name for v in verdicts] == list(SPEC)
    v = by_name(verdicts)
    assert all(x.passed for x in verdicts), verdicts
    assert (v["rto"].measured, v["rto"].unit, v["rto"].expected) == (1.0, "s", "≤ 10 s")
    # 2 failed of 40 + 1 reads and 2 writes started in [10, 30)
    assert v["error_rate"].measured == pytest.approx(100 * 2 / 43)
    assert v["error_rate"].expected == "≤ 5 %"
    assert v["p99_latency"].measured == 0.25
    assert v["p99_latency"].measured_text == "250 ms"
    assert v["lost_writes"].measured == 0
    assert v["stale_reads"].measured == 0
    assert v["rpo"].measured == 0


def test_a_slow_lossy_failover_fails_with_exact_figures() -> None:
    v = by_name(evaluate(failover(22.0, lose=True).history, SPEC))
    assert v["rto"].measured == 12.0 and not v["rto"].passed
    assert v["error_rate"].measured == pytest.approx(100 * 24 / 43) and not v["error_rate"].passed
    assert v["lost_writes"].measured == 1 and not v["lost_writes"].passed
    assert "o2" in v["lost_writes"].detail
    assert v["rpo"].measured == 0.0 and v["rpo"].passed  # one lost write spans no time
    assert v["p99_latency"].passed and v["stale_reads"].passed


def test_a_bound_is_inclusive_despite_floating_point_noise() -> None:
    r = Recorder()
    r.fault("f", 0.1)
    r.traffic(0.1, 0.3, 0.1, "fail")
    r.traffic(0.3, 10.0, 0.1)
    [v] = evaluate(r.history, {"rto": "200ms"})
    assert v.passed, v
    assert v.measured == 0.2


def test_unmeasurable_figures_fail() -> None:
    r = Recorder()
    r.fault("f", 5.0)
    r.traffic(0.0, 5.0, 0.5)
    r.traffic(5.0, 20.0, 0.5, "fail")
    r.write(1.0, "o1")
    verdicts = by_name(evaluate(r.history, {"rto": "1m", "lost_writes": 0, "rpo": "1s", "p99_latency": "1s"}))
    assert verdicts["rto"].measured is None and not verdicts["rto"].passed
    assert "never recovered" in verdicts["rto"].detail
    assert verdicts["lost_writes"].measured is None and not verdicts["lost_writes"].passed
    assert "no successful final read" in verdicts["lost_writes"].detail
    assert verdicts["rpo"].measured is None and not verdicts["rpo"].passed
    assert verdicts["p99_latency"].measured is None and not verdicts["p99_latency"].passed
    assert verdicts["rto"].measured_text == "—"


def test_the_worst_fault_is_reported_or_the_one_asked_for() -> None:
    r = Recorder()
    r.fault("a", 10.0, 20.0)
    r.fault("b", 30.0, 40.0)
    r.traffic(0.0, 10.0, 0.5)
    r.traffic(10.0, 12.0, 0.5, "fail")
    r.traffic(12.0, 30.0, 0.5)
    r.traffic(30.0, 35.0, 0.5, "fail")
    r.traffic(35.0, 50.0, 0.5)
    [worst] = evaluate(r.history, {"rto": "3s"})
    assert (worst.measured, worst.passed) == (5.0, False)
    assert "fault b (worst of 2 faults)" in worst.detail
    [a] = evaluate(r.history, {"rto": "3s"}, fault="a")
    assert (a.measured, a.passed) == (2.0, True)
    [manual] = evaluate(r.history, {"rto": "3s"}, fault=FaultWindow("manual", 11.0, 12.0))
    assert manual.measured == 1.0
    with pytest.raises(PlaybookError, match="no fault 'c'"):
        evaluate(r.history, {"rto": "3s"}, fault="c")


def test_without_a_fault_rates_cover_the_whole_run_and_timings_fail() -> None:
    r = Recorder()
    r.traffic(0.0, 10.0, 0.5)
    r.traffic(10.0, 11.0, 0.5, "unknown")
    v = by_name(evaluate(r.history, {"error_rate": 0.1, "rto": "5s"}))
    assert v["error_rate"].measured == pytest.approx(100 * 2 / 22)
    assert v["error_rate"].passed
    assert not v["rto"].passed
    assert v["rto"].detail == "no fault in the history to measure from"


def test_parsing_bounds() -> None:
    limits = parse_expectations(
        {"rto": "1.5s", "error_rate": "2.5%", "time_to_recover": 3, "rpo": "0ms", "stale_reads": 2}
    )
    assert limits == {
        "rto": 1.5,
        "error_rate": 0.025,
        "time_to_recover": 3.0,
        "rpo": 0.0,
        "stale_reads": 2.0,
    }
    assert parse_expectations({"error_rate": 0.05, "p99_latency": "500ms"}) == {
        "error_rate": 0.05,
        "p99_latency": 0.5,
    }


def test_every_bad_bound_is_reported_at_once() -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_expectations({"rto": "soon", "error_rate": 5, "lost_writes": True, "stale_reads": -1})
    wheres = [p.where for p in caught.value.problems]
    assert wheres == [
        "expectations.rto",
        "expectations.error_rate",
        "expectations.lost_writes",
        "expectations.stale_reads",
    ]
    assert "5% or 0.05" in str(caught.value)


def test_an_unknown_expectation_is_named_with_the_known_ones() -> None:
    with pytest.raises(PlaybookError) as caught:
        evaluate(Recorder().history, {"rto": "1s", "uptime": "99%"})
    [problem] = caught.value.problems
    assert problem.message == "unknown expectation 'uptime'"
    assert problem.where == "expectations.uptime"
    for name in known_expectations():
        assert name in problem.hint


def test_known_expectations() -> None:
    names = known_expectations()
    assert names == sorted(names)
    assert set(SPEC) <= set(names)
    assert {"time_to_recover", "time_to_detect", "p50_latency", "p95_latency"} <= set(names)


def test_verdicts_serialise() -> None:
    [v] = evaluate(failover(11.0).history, {"rto": "10s"})
    assert v.to_dict() == {
        "name": "rto",
        "expected": "≤ 10 s",
        "measured": 1.0,
        "unit": "s",
        "measured_text": "1 s",
        "passed": True,
        "detail": "fault region-1",
    }


def test_a_fault_window_without_operations_cannot_be_judged() -> None:
    # The workload drove nothing while the fault was in force: "RTO 0 s" would be no evidence.
    r = Recorder()
    r.traffic(0.0, 5.0, 0.5)
    r.fault("quiet", 10.0, 20.0)
    r.traffic(25.0, 40.0, 0.5)
    spec = {"rto": "10s", "error_rate": "5%", "p99_latency": "1s", "time_to_detect": "5s"}
    v = by_name(evaluate(r.history, spec))
    for name in spec:
        assert v[name].measured is None and not v[name].passed, v[name]
        assert v[name].detail == "fault quiet: cannot judge: no operations in the fault window"


def test_recovery_after_a_revert_without_operations_cannot_be_judged() -> None:
    r = Recorder()
    r.fault("cut", 5.0, 20.0)
    r.traffic(0.0, 20.0, 0.5)
    [v] = evaluate(r.history, {"time_to_recover": "10s"})
    assert v.measured is None and not v.passed
    assert v.detail == "fault cut: cannot judge: no operations after the revert"
    r.traffic(20.0, 30.0, 0.5)
    [v] = evaluate(r.history, {"time_to_recover": "10s"})
    assert (v.measured, v.passed) == (0.0, True)


def test_an_empty_history_judges_nothing() -> None:
    verdicts = evaluate(Recorder().history, {"error_rate": "5%", "p99_latency": "1s", "lost_writes": 0})
    assert not any(v.passed for v in verdicts), verdicts
    assert by_name(verdicts)["error_rate"].detail == "cannot judge: no operations in the history"
