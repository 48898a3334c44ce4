"""Every server block logs its questions: the baseline's and every DNS fault's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chaoskit.faults import build, kinds
from chaoskit.faults.context import Context
from chaoskit.faults.dns import DnsFault
from chaoskit.inworld.protocol.corefile import CONTROL_ZONE, QUERY_LOG, assemble
from chaoskit.render.compose import render_compose
from chaoskit.render.coredns import render_corefile
from chaoskit.render.plan import Plan, default_subnets
from chaoskit.topology import default_topology

TOPOLOGY = default_topology()
PLAN = Plan(TOPOLOGY, "chaoskit-test", default_subnets(TOPOLOGY))


def server_blocks(corefile: str) -> list[str]:
    """The top-level server blocks of a Corefile (comments dropped)."""
    text = "\n".join(line for line in corefile.splitlines() if not line.lstrip().startswith("#"))
    blocks, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "{":
            if depth == 0:
                start = text.rfind("\n", 0, i) + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                blocks.append(text[start:i + 1])
    return blocks


@pytest.mark.parametrize("region", TOPOLOGY.regions)
def test_every_baseline_block_logs(region: str) -> None:
    blocks = server_blocks(render_corefile(PLAN, region))
    assert len(blocks) > 5
    for block in blocks:
        assert block.count(QUERY_LOG) == 1, block


@pytest.mark.parametrize("name", sorted(n for n, c in kinds().items() if issubclass(c, DnsFault))
                         + ["region.outage"])
def test_every_dns_fault_block_logs(name: str) -> None:
    spec: dict[str, Any] = {"fault": name, "target": "kv.us-east-1.chaoskit.internal", "id": "t-1"}
    if name == "region.outage":
        spec["target"] = "us-east-1"
    ctx = Context(SimpleNamespace(topology=TOPOLOGY, plan=PLAN))  # type: ignore[arg-type]
    change = build(spec, TOPOLOGY).prepare(ctx)
    faulty = [b for bs in change.dns_blocks.values() for b in bs]
    assert faulty
    corefile = assemble(render_corefile(PLAN, "us-east-1"), faulty, 7)
    blocks = server_blocks(corefile)
    assert len(blocks) == 1 + len(faulty) + len(server_blocks(render_corefile(PLAN, "us-east-1")))
    for block in blocks:
        # chaoskit's own generation question is the one block left out (see corefile.py).
        assert block.count(QUERY_LOG) == (0 if block.startswith(CONTROL_ZONE) else 1), block
    assert "    view t-1-" in corefile


def test_toxiproxy_counts_bytes_per_proxy() -> None:
    compose = render_compose(PLAN)
    for region in TOPOLOGY.regions:
        assert "-proxy-metrics" in compose["services"][f"toxiproxy-{region}"]["command"]
