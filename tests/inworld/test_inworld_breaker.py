from __future__ import annotations

import pytest

from chaoskit.inworld.breaker import CLOSED, HALF_OPEN, OPEN, Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, changes: list[tuple[str, str, str]] | None = None) -> Breaker:
    return Breaker(
        "kv:6379",
        failures=3,
        cooldown=2.0,
        clock=clock,
        on_change=None if changes is None else (lambda *c: changes.append(c)),
    )


def test_opens_after_n_consecutive_failures(clock: Clock) -> None:
    changes: list[tuple[str, str, str]] = []
    b = make(clock, changes)
    for _ in range(2):
        b.failure()
        assert b.allow() and b.state == CLOSED
    b.failure()
    assert b.state == OPEN
    assert not b.allow()
    assert changes == [(CLOSED, OPEN, "3 consecutive failures")]


def test_a_success_resets_the_count(clock: Clock) -> None:
    b = make(clock)
    b.failure()
    b.failure()
    b.success()
    b.failure()
    b.failure()
    assert b.state == CLOSED


def test_half_open_after_cooldown_lets_one_trial_through(clock: Clock) -> None:
    b = make(clock)
    for _ in range(3):
        b.failure()
    clock.now += 1.9
    assert not b.allow()
    clock.now += 0.2
    assert b.state == HALF_OPEN
    assert b.allow()  # the trial
    assert not b.allow()  # nobody else while it runs


def test_trial_success_closes(clock: Clock) -> None:
    changes: list[tuple[str, str, str]] = []
    b = make(clock, changes)
    for _ in range(3):
        b.failure()
    clock.now += 2.0
    assert b.allow()
    b.success()
    assert b.state == CLOSED and b.allow()
    assert [c[:2] for c in changes] == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_trial_failure_reopens_for_another_cooldown(clock: Clock) -> None:
    b = make(clock)
    for _ in range(3):
        b.failure()
    clock.now += 2.0
    assert b.allow()
    b.failure()
    assert b.state == OPEN
    clock.now += 1.0
    assert not b.allow()
    clock.now += 1.0
    assert b.allow()


def test_a_trial_that_never_reports_is_given_up_after_a_cooldown(clock: Clock) -> None:
    b = make(clock)
    for _ in range(3):
        b.failure()
    clock.now += 2.0
    assert b.allow()
    clock.now += 2.0
    assert b.allow()


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Breaker("x", failures=0)
