from __future__ import annotations

from chaoskit.checks import check_set, rpo
from chaoskit.history import Op

from .histories import Recorder


def keys(ops: tuple[Op, ...]) -> list[str | None]:
    return [o.key for o in ops]


def anomalies() -> Recorder:
    r = Recorder()
    r.write(1.0, "o1")  # acknowledged, present
    r.write(2.0, "o2")  # acknowledged, lost
    r.write(3.0, "o3", "unknown")  # outcome unknown, landed
    r.write(4.0, "o4", "unknown")  # outcome unknown, did not land
    r.write(5.0, "o5", "fail")  # reported failed, yet applied
    r.write(6.0, "o6", "fail")  # failed, not applied: fine
    r.write(7.0, "o7", "fail")  # failed, then retried and acknowledged
    r.write(7.5, "o7")
    r.write(8.0, "o8")  # acknowledged, lost
    r.final_read(19.0, ["o1"], "fail")  # a failed final read is no evidence
    r.final_read(20.0, ["o1", "o3", "o5", "o7", "zz"])
    r.write(21.0, "o9")  # after the final read began: cannot be judged
    return r


def test_every_kind_of_outcome_is_classified() -> None:
    [check] = check_set(anomalies().history)
    assert check.target == "orders"
    assert check.judged
    assert keys(check.acknowledged) == ["o1", "o2", "o7", "o8"]
    assert keys(check.lost) == ["o2", "o8"]
    assert keys(check.unknown_landed) == ["o3"]
    assert keys(check.unknown_missing) == ["o4"]
    assert keys(check.failed_landed) == ["o5"]
    assert check.unexpected == ("zz",)
    assert keys(check.late) == ["o9"]
    assert check.valid is False
    assert check.final_read is not None and check.final_read.start == 20.0


def test_nothing_lost_is_valid() -> None:
    r = Recorder()
    r.write(1.0, "a")
    r.write(2.0, "b", "unknown")
    r.final_read(3.0, ["a"])
    [check] = check_set(r.history)
    assert check.valid is True
    assert check.lost == ()
    assert rpo(r.history).seconds == 0.0


def test_without_a_final_read_the_check_cannot_judge() -> None:
    r = Recorder()
    r.write(1.0, "a")
    r.final_read(3.0, ["a"], "unknown")
    [check] = check_set(r.history)
    assert not check.judged
    assert check.valid is None
    assert "no successful final read" in check.reason
    result = rpo(r.history)
    assert result.seconds is None
    assert "'orders'" in result.reason


def test_targets_are_checked_apart() -> None:
    r = Recorder()
    r.write(1.0, "a", target="orders")
    r.write(1.0, "a", target="kv")
    r.final_read(3.0, ["a"], target="orders")
    r.final_read(3.0, [], target="kv")
    kv, orders = check_set(r.history)
    assert (kv.target, keys(kv.lost)) == ("kv", ["a"])
    assert (orders.target, orders.lost) == ("orders", ())
    assert [c.target for c in check_set(r.history, "orders")] == ["orders"]


def test_elements_are_compared_by_value_whatever_their_shape() -> None:
    r = Recorder()
    r.op("write", 1.0, key="o1", value={"id": "o1", "items": [1, 2]})
    r.final_read(2.0, [{"items": [1, 2], "id": "o1"}])
    [check] = check_set(r.history)
    assert check.valid is True


def test_rpo_spans_the_starts_of_lost_acknowledged_writes() -> None:
    r = Recorder()
    r.write(3.0, "a")
    r.write(4.5, "b")
    r.write(5.0, "c")
    r.write(7.25, "d")
    r.write(7.5, "e", "unknown")  # unknown and missing: not a lost acknowledged write
    r.final_read(10.0, ["c"])
    result = rpo(r.history)
    assert result.seconds == 4.25
    assert keys(result.lost) == ["a", "b", "d"]
    assert rpo(anomalies().history).seconds == 6.0
