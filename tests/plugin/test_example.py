"""The example suite (examples/) passes against the real world, as a team would run it (about 45 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.faults import Faults
from chaoskit.region import World
from chaoskit.region.exits import get_exits

pytestmark = pytest.mark.world

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "test_orders_failover.py"


def test_the_failover_example_passes(pytester: pytest.Pytester, world: World, world_args: list[str]) -> None:
    if "orders" not in world.topology.services:
        pytest.skip("needs the orders service")
    before = get_exits(world, "orders")
    pytester.makepyfile(**{EXAMPLE.stem: EXAMPLE.read_text()})
    result = pytester.runpytest_inprocess(*world_args, "-rA")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 resets by the chaos fixture*"])
    assert get_exits(world, "orders") == before
    assert Faults(world).listing() == []
