"""Targets of a team's own class (`package.module:Class`): loaded, checked and driven like any other."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from chaoskit.history import History
from chaoskit.workload import ClassTarget, ClientClassError, Result, Workload, load_client_class


class Memory:
    """A client of an in-memory 'service': ok, fail, unknown and exceptions on demand."""

    stored: set[str] = set()

    def __init__(self, addresses: Mapping[str, str], timeout: float) -> None:
        self.addresses = addresses
        self.timeout = timeout

    def write(self, region: str, key: str) -> Result | str:
        n = int(key.rsplit("-", 1)[1])
        if n % 4 == 1:
            return "fail"
        if n % 4 == 2:
            raise RuntimeError("client bug")
        if n % 4 == 3:
            return Result("unknown", error="timed out")
        Memory.stored.add(key)
        return "ok"

    def read(self, region: str, key: str) -> Result:
        return Result("ok", region, key if key in Memory.stored else None)

    def read_all(self, region: str) -> Result:
        return Result("ok", region, sorted(Memory.stored))


def test_a_class_is_driven_and_judged_like_any_target() -> None:
    Memory.stored = set()
    target = ClassTarget(Memory, {"a": "127.0.0.1:1", "b": "127.0.0.1:2"})
    history = History()
    workload = Workload(target, rate=200, mix=1.0, duration=0.2, concurrency=2, run_id="r")
    workload.start(history)
    workload.wait(5)
    workload.stop()
    [final] = workload.final_read(timeout=2)
    outcomes = {o.key: o.outcome for o in history.ops if o.kind == "write"}
    assert outcomes["r-0"] == "ok" and outcomes["r-1"] == "fail"
    assert outcomes["r-2"] == "unknown" and outcomes["r-3"] == "unknown"
    bug = next(o for o in history.ops if o.key == "r-2")
    assert bug.error is not None and "client bug" in bug.error
    assert final.outcome == "ok" and final.value == sorted(Memory.stored)
    assert target.name.endswith(":Memory")


def test_loading_says_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "team_clients.py").write_text(
        "class Good:\n"
        "    def __init__(self, addresses, timeout): pass\n"
        "    def write(self, region, key): return 'ok'\n"
        "    def read(self, region, key): return 'ok'\n"
        "class NoRead:\n"
        "    def write(self, region, key): return 'ok'\n"
        "not_a_class = 3\n"
    )
    (tmp_path / "broken_clients.py").write_text("import nowhere_to_be_found\n")
    assert load_client_class("team_clients:Good", [tmp_path]).__name__ == "Good"
    assert str(tmp_path) not in sys.path  # the folder is on the path only while importing
    cases = {
        "team_clients:NoRead": "has no read method",
        "team_clients:not_a_class": "has no class 'not_a_class'",
        "team_clients:Missing": "has no class 'Missing'",
        "broken_clients:Client": "cannot import 'broken_clients'.*nowhere_to_be_found",
        "no_such_module_here:Client": "cannot import 'no_such_module_here'",
        "team_clients": "is not package.module:Class",
        "team clients:Good": "is not package.module:Class",
    }
    for reference, message in cases.items():
        with pytest.raises(ClientClassError, match=message):
            load_client_class(reference, [tmp_path])


def test_a_class_without_read_all_is_read_id_by_id() -> None:
    class NoList(Memory):
        read_all = None  # type: ignore[assignment]

    Memory.stored = set()
    target = ClassTarget(NoList, {"a": "127.0.0.1:1"})
    history = History()
    workload = Workload(target, rate=100, mix=1.0, duration=0.1, concurrency=1, run_id="r")
    workload.start(history)
    workload.wait(5)
    [final] = workload.final_read(timeout=2)
    assert final.outcome == "ok" and final.value == sorted(Memory.stored) and final.value
