"""A sweep of a team's own service (examples/cart, Go, driven by its declared operations).

cart-naive resolves its store's name on every request: the sweep must find both regional
store endpoints in the real query logs and mark the primary's DNS cell red.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaoskit.world import World

CART = Path(__file__).resolve().parents[2] / "examples" / "cart"

pytestmark = pytest.mark.world


def test_a_sweep_of_the_naive_cart_finds_its_store_and_breaks_it(cart_world: World,
                                                                 chaoskit_sweep: Any) -> None:
    matrix = chaoskit_sweep("cart-naive", workload=CART / "cart-naive.yaml", faults=["dns.nxdomain"],
                            duration="4s", steady="2s", settle="4s", warmup="3s")
    assert matrix.world == cart_world.project
    assert matrix.dependencies == ["kv.us-east-1", "kv.us-west-2"]
    primary = matrix.cell("kv.us-east-1", "dns.nxdomain")
    assert primary is not None and primary.status == "failed", primary
    assert primary.error_rate is not None and primary.error_rate > 5
    assert not matrix.passed
