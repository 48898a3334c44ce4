from __future__ import annotations

import pytest

import chaoskit.workload as workload
from chaoskit.workload import KvTarget, OrdersTarget, status_outcome


def test_all_is_sorted_and_complete() -> None:
    assert workload.__all__ == sorted(workload.__all__)
    # (pytest rewrites chaoskit, its plugin's distribution, adding "@py_builtins" and such)
    names = {n for n in vars(workload) if n.isidentifier() and not n.startswith("_")}
    public = names - {"annotations", "local"}
    assert public == set(workload.__all__)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (201, "ok"),
        (202, "ok"),
        (404, "ok"),
        (400, "fail"),
        (500, "fail"),
        (503, "fail"),
        (504, "unknown"),
        (408, "unknown"),
    ],
)
def test_status_outcome(status: int, outcome: str) -> None:
    assert status_outcome(status) == outcome


def test_targets_check_their_addresses() -> None:
    with pytest.raises(ValueError, match="http://"):
        OrdersTarget({"us-east-1": "127.0.0.1:8080"})
    with pytest.raises(ValueError, match="not among"):
        OrdersTarget({"us-east-1": "http://127.0.0.1:8080"}, write_regions=["mars"])
    with pytest.raises(ValueError, match="host:port"):
        KvTarget({"us-east-1": "127.0.0.1"})
    kv = KvTarget({"us-east-1": "127.0.0.1:1", "us-west-2": ("127.0.0.1", 2)})
    assert kv.write_regions == ("us-east-1",)  # the primary only
    assert kv.read_regions == ("us-east-1", "us-west-2")
