"""Does the orders service fail over when its store's DNS record goes empty? Two tests that say.

The key-value store's endpoint in the primary region answers NOERROR with no
address (the DynamoDB DNS outage of October 2025) for 8 s, while clients in
both regions place and read orders. Configured with its emergency exits, the
orders service must recover within 5 s and lose no acknowledged write;
without them, the same checks must catch it failing.

    pytest examples/ --chaoskit-world demo      # attach to a running world, or bring one up

The fixtures come from chaoskit's pytest plugin (installed with chaoskit):
`chaos` reverts every fault and confirms the world's baseline after each test,
`chaoskit_workload` records a history, `chaoskit_exits` sets the service's
runtime switch and puts it back, `chaoskit.check` judges the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from chaoskit.faults import Faults
from chaoskit.pytest_plugin import Chaoskit

RESILIENT = ["failover", "breaker", "stale-cache", "write-queue"]
STEADY_S = 3.0  # traffic before the fault, so the checks see a steady state
FAULT_S = 8.0
RECOVER_S = 5.0  # traffic after the record is back


def empty_record_for_the_store(
    chaos: Faults, chaoskit: Chaoskit, chaoskit_workload: Callable[..., Any]
) -> Any:
    """Run the workload around an 8 s empty DNS record of the primary region's store; the history."""
    world = chaoskit.world
    store = f"kv.{world.topology.primary}.{world.topology.domain}"
    with chaoskit_workload("orders", rate=20, concurrency=4, timeout=1.0) as history:
        time.sleep(STEADY_S)
        with chaos.fault({"fault": "dns.nodata", "target": store, "id": "kv-dns-empty"}):
            time.sleep(FAULT_S)
        time.sleep(RECOVER_S)
    return history  # leaving the `with` stopped the workload and read the whole set once


@pytest.mark.chaos
def test_resilient_orders_fail_over_within_5s_without_losing_writes(
    chaos: Faults, chaoskit: Chaoskit, chaoskit_exits: Callable[..., None],
    chaoskit_workload: Callable[..., Any],
) -> None:
    chaoskit_exits("orders", RESILIENT)
    history = empty_record_for_the_store(chaos, chaoskit, chaoskit_workload)
    verdicts = chaoskit.check(history, fault="kv-dns-empty", rto="5s", lost_writes=0, error_rate="10%")
    assert verdicts.passed, verdicts


@pytest.mark.chaos
def test_naive_orders_are_caught_failing(
    chaos: Faults, chaoskit: Chaoskit, chaoskit_exits: Callable[..., None],
    chaoskit_workload: Callable[..., Any],
) -> None:
    # The same checks must fail when the exits are off: a check that cannot fail proves nothing.
    chaoskit_exits("orders", "none")
    history = empty_record_for_the_store(chaos, chaoskit, chaoskit_workload)
    verdicts = chaoskit.check(history, fault="kv-dns-empty", rto="5s", error_rate="10%")
    assert not verdicts.passed, verdicts
