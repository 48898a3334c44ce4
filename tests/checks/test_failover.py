from __future__ import annotations

import pytest

from chaoskit.checks import FaultWindow, fault_windows, impact, recovery

from .histories import Recorder


def flapping() -> Recorder:
    """Fault 10 s..30 s; an op every 0.5 s; failures, a one-op flap, a two-op flap, then success."""
    r = Recorder()
    r.fault("dns-1", 10.0, 30.0)
    r.traffic(0.0, 10.0, 0.5)
    r.traffic(10.0, 14.0, 0.5, "fail")
    r.traffic(14.0, 14.5, 0.5)  # one ok between failures: not a recovery
    r.traffic(14.5, 16.0, 0.5, "fail")
    r.traffic(16.0, 17.0, 0.5)  # two oks...
    r.traffic(17.0, 17.5, 0.5, "unknown")  # ...then an unknown: not a recovery either
    r.traffic(17.5, 40.0, 0.5)
    return r


def test_a_flapping_recovery_counts_only_from_the_first_sustained_run() -> None:
    result = impact(flapping().history, "dns-1")
    assert result.rto == 7.5
    assert result.during.recovered_at == 17.5
    assert result.time_to_detect == pytest.approx(0.25)
    assert result.time_to_recover == 0.0


def test_error_rate_and_counts_cover_ops_started_during_the_fault() -> None:
    result = impact(flapping().history, "dns-1")
    assert (result.ops, result.ok, result.fail, result.unknown) == (40, 28, 11, 1)
    assert result.error_rate == 12 / 40


def test_a_sustained_run_needs_the_minimum_number_of_ops() -> None:
    r = Recorder()
    r.fault("f", 10.0)
    r.traffic(10.0, 12.0, 0.5, "fail")
    r.traffic(12.0, 60.0, 2.0)  # one op every 2 s: at most 2 ops in any 3 s
    assert impact(r.history, "f").rto is None
    assert impact(r.history, "f", min_ops=2).rto == 2.0
    assert impact(r.history, "f", sustain=5.0, min_ops=3).rto == 2.0


def test_rto_is_none_when_the_service_never_recovers() -> None:
    r = Recorder()
    r.fault("f", 5.0, 15.0)
    r.traffic(0.0, 5.0, 0.5)
    r.traffic(5.0, 20.0, 0.5, "unknown")
    result = impact(r.history, "f")
    assert result.rto is None
    assert result.time_to_recover is None
    assert result.error_rate == 1.0


def test_success_cut_short_by_the_end_of_the_history_is_not_sustained() -> None:
    r = Recorder()
    r.fault("f", 5.0)
    r.traffic(5.0, 18.0, 0.5, "fail")
    r.traffic(18.0, 20.0, 0.5)  # 2 s of success, then the workload stops
    assert impact(r.history, "f").rto is None
    assert impact(r.history, "f", sustain=1.5).rto == 13.0


def test_rto_is_zero_when_the_service_never_degraded() -> None:
    r = Recorder()
    r.fault("f", 5.0, 10.0)
    r.traffic(0.0, 20.0, 0.5)
    result = impact(r.history, "f")
    assert result.rto == 0.0
    assert result.time_to_detect is None
    assert result.time_to_recover == 0.0
    assert result.error_rate == 0.0


def test_rto_counts_from_the_fault_even_when_degradation_comes_late() -> None:
    # DNS answers cached for 8 s: clients only fail once their cache expires.
    r = Recorder()
    r.fault("f", 10.0, 40.0)
    r.traffic(0.0, 18.0, 0.5)
    r.traffic(18.0, 25.0, 0.5, "fail")
    r.traffic(25.0, 45.0, 0.5)
    result = impact(r.history, "f")
    assert result.rto == 15.0
    assert result.time_to_detect == 8.25


def test_time_to_recover_is_measured_from_the_revert() -> None:
    r = Recorder()
    r.fault("f", 10.0, 20.0)
    r.traffic(0.0, 10.0, 0.5)
    r.traffic(10.0, 22.0, 0.5, "fail")  # fails on past the revert while clients fail back
    r.traffic(22.0, 30.0, 0.5)
    result = impact(r.history, "f")
    assert result.rto == 12.0
    assert result.time_to_recover == 2.0
    assert result.after_revert is not None and result.after_revert.degraded_at == 20.0


def test_failures_that_start_after_the_revert_do_not_count_against_rto() -> None:
    r = Recorder()
    r.fault("f", 10.0, 20.0)
    r.traffic(0.0, 21.0, 0.5)
    r.traffic(21.0, 22.0, 0.5, "fail")
    r.traffic(22.0, 30.0, 0.5)
    result = impact(r.history, "f")
    assert result.rto == 0.0
    assert result.time_to_recover == 2.0


def test_an_op_belongs_to_the_instant_it_started() -> None:
    r = Recorder()
    r.fault("f", 10.0, 20.0)
    r.traffic(0.0, 9.5, 0.5)
    r.op("read", 9.5, "unknown", latency=2.0)  # sent before the fault, times out during it
    r.traffic(10.25, 19.0, 0.5)
    r.op("read", 19.0, "unknown", latency=2.0)  # sent during the fault, times out after it
    r.traffic(20.25, 30.0, 0.5)
    assert recovery(r.history, 10.0, 20.0).degraded_at == 19.0
    result = impact(r.history, "f")
    assert result.time_to_detect == 11.0
    assert result.rto == 10.25
    assert result.time_to_recover == 0.0
    assert result.unknown == 1


def test_timings_resolve_below_window_sizes() -> None:
    r = Recorder()
    r.fault("f", 1.0)
    r.traffic(0.0, 1.0, 0.125)
    r.op("read", 1.0, "fail", latency=0.001)
    r.traffic(1.015625, 5.0, 0.125)
    result = impact(r.history, "f")
    assert result.rto == 0.015625
    assert result.time_to_detect == pytest.approx(0.001)


def test_final_reads_are_not_traffic() -> None:
    r = Recorder()
    r.fault("f", 1.0)
    r.traffic(1.0, 2.0, 0.5, "fail")
    r.final_read(2.0, [], latency=10.0)
    assert impact(r.history, "f").rto is None


def test_an_explicit_window_and_fault_names() -> None:
    r = flapping()
    assert fault_windows(r.history) == [FaultWindow("dns-1", 10.0, 30.0, "dns.nxdomain")]
    assert impact(r.history, FaultWindow("manual", 12.0, 13.0)).rto == 5.5


def test_an_unknown_fault_id_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="dns-1"):
        impact(flapping().history, "nope")
