"""Does our cart service survive an empty DNS record of its store? Two tests that say.

The key-value store's name in us-east-1 answers NOERROR with no address for 8 s while
clients in both regions fill and read carts. `cart` (with its emergency exits) must
meet the bounds of its playbook (cart-resilient.yaml): recover within 10 s, fail at
most 5 % of requests, lose no acknowledged write; `cart-naive` must be caught failing
the same checks.

    ./build.sh
    pytest test_cart.py --chaoskit-topology topology.yaml     # brings a world up (and down)

The workload drives cart by its declared operations, as a playbook's `workload:` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from chaoskit.faults import Faults
from chaoskit.pytest_plugin import Chaoskit

CART_OPERATIONS = {
    "write": {"method": "PUT", "path": "/carts/{id}", "body": '{"item": "{id}", "from": "{region}"}',
              "ok": [201]},
    "read": {"method": "GET", "path": "/carts/{id}", "ok": [200], "not_found": [404]},
    "list": {"method": "GET", "path": "/carts", "ids": "ids", "ok": [200]},
    "served_by": "X-Served-From",
}
BOUNDS = {"rto": "10s", "error_rate": "5%", "lost_writes": 0}  # as in cart-resilient.yaml
STEADY_S = 3.0
FAULT_S = 8.0
RECOVER_S = 5.0


def empty_record_for_the_store(
    service: str, chaos: Faults, chaoskit: Chaoskit, chaoskit_workload: Callable[..., Any]
) -> Any:
    """Drive `service` around an 8 s empty DNS record of us-east-1's store; the history."""
    world = chaoskit.world
    store = f"kv.{world.topology.primary}.{world.topology.domain}"
    workload = chaoskit_workload(service, operations=CART_OPERATIONS, rate=20, concurrency=4, timeout=1.0)
    with workload as history:
        time.sleep(STEADY_S)
        with chaos.fault({"fault": "dns.nodata", "target": store, "id": "kv-dns-empty"}):
            time.sleep(FAULT_S)
        time.sleep(RECOVER_S)
    return history  # leaving the `with` stopped the workload and read every cart id once


@pytest.mark.chaos
def test_cart_keeps_serving_without_losing_writes(
    chaos: Faults, chaoskit: Chaoskit, chaoskit_workload: Callable[..., Any]
) -> None:
    history = empty_record_for_the_store("cart", chaos, chaoskit, chaoskit_workload)
    verdicts = chaoskit.check(history, fault="kv-dns-empty", **BOUNDS)
    assert verdicts.passed, verdicts


@pytest.mark.chaos
def test_naive_cart_is_caught_failing(
    chaos: Faults, chaoskit: Chaoskit, chaoskit_workload: Callable[..., Any]
) -> None:
    # The same checks must fail without the exits: a check that cannot fail proves nothing.
    history = empty_record_for_the_store("cart-naive", chaos, chaoskit, chaoskit_workload)
    verdicts = chaoskit.check(history, fault="kv-dns-empty", **BOUNDS)
    assert not verdicts.passed, verdicts
