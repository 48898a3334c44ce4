"""examples/cart: a team's Go service, built by `chaoskit up`, gated by playbooks and by pytest.

The naive configuration must fail the gate (exit 1) and the one with its emergency exits
must pass it (exit 0), against the real world: CoreDNS empties the store's record, the
service's own resolver sees it. About three minutes with the world's start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaoskit.faults import Faults
from chaoskit.region import World

CART = Path(__file__).resolve().parents[2] / "examples" / "cart"

pytestmark = pytest.mark.world


def run(playbook: str, world: World, report: Path) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "chaoskit", "run", str(CART / playbook), "--json",
         "--world", world.project.removeprefix("chaoskit-"), "--report", str(report)],
        capture_output=True, text=True, timeout=300, env=os.environ.copy(),
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_the_naive_cart_fails_the_gate_and_the_resilient_one_passes(
    cart_world: World, tmp_path: Path
) -> None:
    code, naive = run("cart-naive.yaml", cart_world, tmp_path / "naive")
    assert code == 1 and naive["outcome"] == "failed", naive
    failed = {v["name"] for v in naive["verdicts"] if not v["passed"]}  # type: ignore[attr-defined]
    assert "error_rate" in failed, naive

    code, resilient = run("cart-resilient.yaml", cart_world, tmp_path / "resilient")
    assert code == 0 and resilient["outcome"] == "passed", resilient
    measured = {v["name"]: v["measured"] for v in resilient["verdicts"]}  # type: ignore[attr-defined]
    assert measured["lost_writes"] == 0 and "rto" in measured

    # The workload's every operation went to cart through the world, and the final read
    # listed what was acknowledged.
    ops = [json.loads(line) for line in (tmp_path / "resilient" / "history.jsonl").read_text().splitlines()]
    ops = [o for o in ops if o.get("type") == "op"]
    writes = [o for o in ops if o["kind"] == "write" and o["outcome"] == "ok"]
    [final] = [o for o in ops if o["kind"] == "final-read"]
    assert writes and {o["target"] for o in ops} == {"cart"}
    assert final["outcome"] == "ok" and {o["key"] for o in writes} <= set(final["value"])
    assert Faults(cart_world).listing() == []


def test_the_cart_pytest_example_passes(
    cart_world: World, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSKIT_STATE", str(cart_world.dir.parent))
    pytester.makepyfile(test_cart=(CART / "test_cart.py").read_text())
    result = pytester.runpytest_inprocess(
        "--chaoskit-world", cart_world.project.removeprefix("chaoskit-"),
        "--chaoskit-topology", str(CART / "topology.yaml"), "-p", "no:cacheprovider", "-rA",
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    assert Faults(cart_world).listing() == []
