from __future__ import annotations

import pytest

from chaoskit.workload import Schedule


def test_ops_are_due_at_n_over_rate() -> None:
    s = Schedule(rate=100, start=10.0, stop=11.0)
    assert s.due(0) == 10.0
    assert s.due(50) == pytest.approx(10.5)
    assert not s.finished(99)
    assert s.finished(100)


@pytest.mark.parametrize(("until", "planned"), [(None, 100), (10.0, 0), (10.005, 1), (10.5, 50), (99.0, 100)])
def test_planned(until: float | None, planned: int) -> None:
    assert Schedule(rate=100, start=10.0, stop=11.0).planned(until) == planned


def test_catch_up_skips_ops_more_than_catch_up_late() -> None:
    s = Schedule(rate=100, start=0.0, stop=10.0, catch_up=0.5)
    assert s.catch_up_to(10, 0.5) == (10, 0)  # 0.4 s late: started late, not skipped
    assert s.catch_up_to(10, 0.7) == (70, 60)  # 0.6 s late: jump to the op due now
    assert s.catch_up_to(10, 50.0) == (1000, 990)  # never past the stop time
    assert s.finished(1000)


@pytest.mark.parametrize(("rate", "start", "stop"), [(0, 0, 1), (-1, 0, 1), (10, 2, 1)])
def test_rejects_nonsense(rate: float, start: float, stop: float) -> None:
    with pytest.raises(ValueError):
        Schedule(rate, start, stop)


def test_rate_steps_change_when_ops_are_due() -> None:
    s = Schedule(rate=10, start=0.0, stop=10.0, steps=((5.0, 2.0),))
    assert s.due(49) == pytest.approx(4.9)
    assert s.due(50) == pytest.approx(5.0)
    assert s.due(51) == pytest.approx(5.5)  # 2 a second from 5 s on
    assert s.planned() == 60 and s.planned(5.0) == 50
    assert s.rate_at(4.0) == 10 and s.rate_at(6.0) == 2
    assert s.catch_up_to(0, 7.0) == (54, 54)
    assert s.finished(60) and not s.finished(59)


@pytest.mark.parametrize("steps", [((0.0, 5.0),), ((3.0, 5.0), (2.0, 1.0)), ((3.0, 0.0),)])
def test_rate_steps_in_order_and_positive(steps: tuple[tuple[float, float], ...]) -> None:
    with pytest.raises(ValueError):
        Schedule(10, 0.0, 10.0, steps=steps)
