"""examples/kv-client: a workload through a team's own class (redis-py), judged like any service."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoskit.playbook import load_playbook
from chaoskit.region import World
from chaoskit.runner import Run

PLAYBOOK = Path(__file__).resolve().parents[2] / "examples" / "kv-client" / "playbook.yaml"

pytestmark = pytest.mark.world


def test_a_class_target_is_recorded_and_judged(world: World) -> None:
    run = Run(load_playbook(PLAYBOOK), world)
    result = run.execute()
    assert result.outcome == "passed", result.reason
    assert {v.name for v in result.verdicts} >= {"error_rate", "lost_writes"}
    ops = run.history.ops
    writes = [o for o in ops if o.kind == "write" and o.outcome == "ok"]
    [final] = [o for o in ops if o.kind == "final-read"]
    assert {o.target for o in ops} == {"kv_client:KvClient"}
    assert len(writes) > 50 and final.outcome == "ok"
    assert {o.key for o in writes} <= set(final.value)
    # The fault was felt through the class's own connections: writes to us-east-1's store slowed.
    during = [o for o in writes if o.latency > 0.2]
    assert during, "no write felt the 200 ms of added latency"
