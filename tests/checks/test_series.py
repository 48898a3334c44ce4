from __future__ import annotations

import pytest

from chaoskit.checks import latency_of, percentile, series

from .histories import Recorder


def test_percentiles_are_nearest_rank() -> None:
    hundred = [float(i) for i in range(100, 0, -1)]
    assert percentile(hundred, 50) == 50.0
    assert percentile(hundred, 95) == 95.0
    assert percentile(hundred, 99) == 99.0
    assert percentile(hundred, 100) == 100.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0, 10.0], 99) == 10.0
    assert percentile([7.0], 1) == 7.0
    assert percentile([], 50) is None


@pytest.mark.parametrize("p", [0, -1, 100.5])
def test_a_percentile_out_of_range_is_refused(p: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], p)


def test_latency_counts_only_ok_ops() -> None:
    r = Recorder()
    for i, latency in enumerate([0.010, 0.020, 0.030, 0.040]):
        r.op("read", float(i), latency=latency)
    r.op("read", 5.0, "unknown", latency=5.0)
    lat = latency_of(r.history.ops)
    assert lat.count == 4
    assert lat.p50 == pytest.approx(0.020)
    assert lat.p99 == pytest.approx(0.040)


def test_fifty_millisecond_windows() -> None:
    r = Recorder()
    r.op("read", 0.0, latency=0.004)
    r.op("read", 0.02, latency=0.002)
    r.op("write", 0.05, "fail", key="o1", value="o1")
    r.op("read", 0.1, "unknown")
    r.op("read", 0.3, latency=0.008)
    r.final_read(0.32, ["o1"])  # not traffic
    windows = series(r.history, 0.05)
    assert [(w.ok, w.fail, w.unknown) for w in windows] == [
        (2, 0, 0),
        (0, 1, 0),
        (0, 0, 1),
        (0, 0, 0),
        (0, 0, 0),
        (0, 0, 0),
        (1, 0, 0),
    ]
    assert [w.success_rate for w in windows] == [1.0, 0.0, 0.0, None, None, None, 1.0]
    assert windows[0].p50 == pytest.approx(0.002)
    assert windows[0].p99 == pytest.approx(0.004)
    assert windows[1].p50 is None
    assert windows[6].start == pytest.approx(0.3)
    assert windows[6].end == pytest.approx(0.35)


def test_one_second_windows_by_default_run_until_the_last_event() -> None:
    r = Recorder()
    r.traffic(0.0, 3.0, 0.5)
    r.fault("f", 1.0, 4.5)
    windows = series(r.history)
    assert [w.total for w in windows] == [2, 2, 2, 0, 0]
    assert windows[-1].start == 4.0


def test_windows_of_one_target() -> None:
    r = Recorder()
    r.op("read", 0.1, target="orders")
    r.op("read", 0.2, "fail", target="kv")
    assert [w.errors for w in series(r.history, target="kv")] == [1]
    assert [w.errors for w in series(r.history, target="orders")] == [0]


def test_an_empty_history_has_no_windows_and_absurd_windows_are_refused() -> None:
    r = Recorder()
    assert series(r.history) == []
    r.traffic(0.0, 3600.0, 600.0)
    with pytest.raises(ValueError, match="too many"):
        series(r.history, 0.000001)
    with pytest.raises(ValueError, match="positive"):
        series(r.history, 0)
