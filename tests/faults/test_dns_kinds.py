"""Each DNS kind is one unit: its block renders with defaults, its predicates judge canned
answers, and the docs' tables are the registry's. Pure: no world."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from chaoskit.faults import build, kinds
from chaoskit.faults.catalogue import DOCS, TABLES, refreshed
from chaoskit.faults.context import Context
from chaoskit.faults.dns import (
    DnsFault,
    Truth,
    chosen_ttl,
    correct,
    empty_answer,
    no_answer,
    promised_address,
    slow_and_correct,
    truncated,
)
from chaoskit.render.plan import Plan, default_subnets
from chaoskit.topology import default_topology

TOPOLOGY = default_topology()
DNS_KINDS = sorted(n for n, c in kinds().items() if issubclass(c, DnsFault))
RIGHT, WRONG = "10.1.0.21", "192.0.2.53"


def ctx() -> Context:
    plan = Plan(TOPOLOGY, "chaoskit-test", default_subnets(TOPOLOGY))
    # Rendering needs only the plan: a world that is nothing else.
    return Context(SimpleNamespace(topology=TOPOLOGY, plan=plan))  # type: ignore[arg-type]


def answer(rcode: str = "NOERROR", values: tuple[str, ...] = (RIGHT,), tc: bool = False,
           ttl: int = 5, elapsed: float = 0.01) -> dict[str, Any]:
    return {"rcode": rcode, "tc": tc, "elapsed": elapsed,
            "answers": [{"name": "kv.", "type": 1, "ttl": ttl, "value": v} for v in values]}


def test_every_dns_kind_is_listed() -> None:
    assert DNS_KINDS == ["dns.nodata", "dns.nxdomain", "dns.refused", "dns.servfail", "dns.slow",
                         "dns.timeout", "dns.truncate", "dns.ttl", "dns.wrong-answer"]


@pytest.mark.parametrize("name", DNS_KINDS)
@pytest.mark.parametrize("options", [{}, {"region": "us-west-2", "clients_of": "us-west-2",
                                          "fraction": 0.5}], ids=["plain", "options"])
def test_every_kind_renders_a_complete_block(name: str, options: dict[str, Any]) -> None:
    fault = build({"fault": name, "target": "*.us-east-1.chaoskit.internal", "id": "t-1",
                   **options}, TOPOLOGY)
    change = fault.prepare(ctx())
    blocks = [b for bs in change.dns_blocks.values() for b in bs]
    assert blocks
    for block in blocks:
        # Only CoreDNS's own template placeholder may be left; braces balance.
        assert re.sub(r"\{\{ \.Name \}\}", "", block).count("{{") == 0, block
        assert "{%" not in block and block.count("{") == block.count("}"), block
        assert block.startswith("# fault t-1: " + name.removeprefix("dns.")), block
        assert "us-east-1.chaoskit.internal:53 {" in block
        for term in type(fault).select:  # type: ignore[attr-defined]
            assert term in block
        if options:
            assert "id() % 1000 < 500" in block


def test_kinds_without_block_or_docstring_are_refused() -> None:
    with pytest.raises(TypeError, match="declares no block"):
        type("NoBlock", (DnsFault,), {"name": "dns.x", "__doc__": "X.", "expect": (1,)})
    with pytest.raises(TypeError, match="declares no expect"):
        type("NoExpect", (DnsFault,), {"name": "dns.y", "__doc__": "Y.", "block": "erratic"})
    with pytest.raises(TypeError, match="docstring"):
        type("NoDoc", (DnsFault,), {"name": "dns.z", "block": "erratic", "expect": (1,)})


def test_truncate_selects_udp_only_and_pads_past_512_bytes() -> None:
    fault = build({"fault": "dns.truncate", "target": "kv.us-east-1.chaoskit.internal",
                   "region": "us-east-1", "clients_of": "host", "id": "t"}, TOPOLOGY)
    [block] = fault.prepare(ctx()).dns_blocks["us-east-1"]
    assert "proto() == 'udp'" in block and "bufsize 512" in block and "erratic" not in block
    padding = sum(len(line) for line in block.splitlines() if "IN TXT" in line)
    assert padding > 1024


# --- predicates on canned answers --------------------------------------------------------------

TRUTH = Truth(RIGHT, SimpleNamespace(ms=500, ttl=3600), promised="10.1.0.250")


def test_truncated_demands_tc_and_no_wrong_address() -> None:
    assert truncated(answer(tc=True), TRUTH)
    assert truncated(answer(tc=True, values=()), TRUTH)
    assert not truncated(answer(tc=False), TRUTH), "no TC is no truncation"
    assert not truncated(answer(tc=True, values=(WRONG,)), TRUTH), "erratic's synthetic answer"
    assert not truncated(answer(tc=False, values=(WRONG,)), TRUTH)


def test_correct_and_slow() -> None:
    assert correct(answer(), TRUTH)
    assert not correct(answer(tc=True), TRUTH)
    assert not correct(answer(values=(WRONG,)), TRUTH)
    assert slow_and_correct(answer(elapsed=0.46), TRUTH)
    assert not slow_and_correct(answer(elapsed=0.2), TRUTH)
    assert not slow_and_correct(answer(values=(WRONG,), elapsed=0.6), TRUTH)


def test_empty_timeout_promised_ttl() -> None:
    assert empty_answer(answer(values=()), TRUTH)
    assert not empty_answer(answer(), TRUTH)
    assert not empty_answer(answer(rcode="NXDOMAIN", values=()), TRUTH)
    assert no_answer(answer(rcode="TIMEOUT", values=()), TRUTH)
    assert not no_answer(answer(rcode="SERVFAIL", values=()), TRUTH)
    assert promised_address(answer(values=("10.1.0.250",)), TRUTH)
    assert not promised_address(answer(), TRUTH)
    assert chosen_ttl(answer(ttl=3600), TRUTH)
    assert not chosen_ttl(answer(ttl=5), TRUTH)
    assert not chosen_ttl(answer(ttl=3600, values=(WRONG,)), TRUTH)


# --- the docs are the registry's ----------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_generated_kinds_tables_are_fresh(table: str) -> None:
    file, render = TABLES[table]
    text = (DOCS / file).read_text(encoding="utf-8")
    assert refreshed(text, table, render()) == text, \
        f"docs/{file}: stale kinds table: run python -m chaoskit.faults.catalogue"


def test_stale_table_is_detected() -> None:
    file, render = TABLES["all"]
    text = (DOCS / file).read_text(encoding="utf-8").replace("`dns.nxdomain`", "`dns.gone`", 1)
    assert refreshed(text, "all", render()) != text
