"""The recovery curve: success rate and latency per bucket from a fault's revert on."""

from __future__ import annotations

import pytest

from chaoskit.checks import bucket_for, impact, recovery_curve, summary

from .histories import Recorder


def _long_tail() -> Recorder:
    """Reverted at 10 s; fails until 14 s, then half of it until 16 s, then all ok to 22 s."""
    r = Recorder()
    r.fault("dns-1", 5.0, 10.0)
    r.traffic(0.0, 5.0, 0.1)
    r.traffic(5.0, 14.0, 0.1, "fail")
    t = 14.0
    while t < 16.0 - 1e-9:
        r.op("read", t, "ok" if round(t * 10) % 2 == 0 else "unknown", latency=0.8)
        t += 0.1
    r.traffic(16.0, 22.0, 0.1)
    return r


def test_the_curve_starts_at_the_revert_and_agrees_with_time_to_recover() -> None:
    h = _long_tail().history
    curve = recovery_curve(h, "dns-1", bucket=2.0)
    assert curve is not None
    assert curve.since == 10.0 and curve.bucket == 2.0
    assert [w.start for w in curve.windows] == [10.0, 12.0, 14.0, 16.0, 18.0, 20.0]
    rates = [w.success_rate for w in curve.windows]
    assert rates[:2] == [0.0, 0.0]
    assert rates[2] == pytest.approx(0.5)
    assert rates[3:] == [1.0, 1.0, 1.0]
    assert curve.windows[2].p50 == pytest.approx(0.8)  # latency of the ok ops only
    assert curve.degraded and curve.recovered_at == pytest.approx(16.0)
    assert curve.time_to_recover == impact(h, "dns-1").time_to_recover == pytest.approx(6.0)
    d = curve.to_dict()
    assert d["windows"][2]["after_revert"] == pytest.approx(4.0)
    assert d["time_to_recover"] == pytest.approx(6.0)


def test_a_service_that_never_came_back_has_no_recovery_point() -> None:
    r = Recorder()
    r.fault("dns-1", 1.0, 3.0)
    r.traffic(0.0, 10.0, 0.1, "fail")
    curve = recovery_curve(r.history, "dns-1")
    assert curve is not None
    assert curve.degraded and curve.recovered_at is None and curve.time_to_recover is None
    assert all(w.success_rate == 0.0 for w in curve.windows)


def test_a_clean_recovery_is_not_degraded() -> None:
    r = Recorder()
    r.fault("dns-1", 1.0, 3.0)
    r.traffic(0.0, 8.0, 0.1)
    curve = recovery_curve(r.history, "dns-1")
    assert curve is not None and not curve.degraded and curve.time_to_recover == 0.0


def test_a_fault_never_reverted_has_no_curve() -> None:
    r = Recorder()
    r.fault("dns-1", 1.0)
    r.traffic(0.0, 5.0, 0.1)
    assert recovery_curve(r.history, "dns-1") is None


def test_idle_buckets_are_kept_with_no_success_rate() -> None:
    r = Recorder()
    r.fault("dns-1", 0.0, 1.0)
    r.op("read", 1.5, "ok")
    r.op("read", 4.5, "ok")
    curve = recovery_curve(r.history, "dns-1", bucket=1.0)
    assert curve is not None
    assert [w.success_rate for w in curve.windows] == [1.0, None, None, 1.0]


@pytest.mark.parametrize(("span", "bucket"), [(5.0, 0.25), (10.0, 0.5), (30.0, 1.0), (45.0, 2.0),
                                              (3600.0, 120.0), (1e9, 600.0)])
def test_the_default_bucket_is_round_and_gives_about_30(span: float, bucket: float) -> None:
    assert bucket_for(span) == bucket


def test_the_summary_holds_one_curve_per_reverted_fault() -> None:
    r = _long_tail()
    r.fault("net-1", 17.0)  # never reverted: no curve
    curves = summary(r.history)["recovery_curves"]
    assert [c["fault"] for c in curves] == ["dns-1"]
    assert curves[0]["recovered_at"] == pytest.approx(16.0)
