"""Asking a region's resolver (its CoreDNS) from the host, through the published port.

Faults confirm themselves with it and playbook probes observe with it; it is the
world's, so neither borrows the other's machinery to send a query. The question itself
is `inworld.protocol.dnsquery.ask`, the one the regions' agents ask from inside.
"""

from __future__ import annotations

import time
from typing import Any

from chaoskit.inworld.protocol.corefile import GENERATION_NAME
from chaoskit.inworld.protocol.dnsquery import ask
from chaoskit.world._world import World


def ask_resolver(world: World, region: str, name: str, qtype: str = "A", proto: str = "udp",
                 timeout: float = 1.0) -> dict[str, Any]:
    """One query to `region`'s CoreDNS: rcode, answers (name, type, ttl, value), tc, elapsed."""
    addr = world.dns_address(region, proto)
    return ask(name, addr.host, addr.port, qtype, proto, timeout)


def served_generation(world: World, region: str) -> int:
    """Which Corefile generation `region`'s CoreDNS serves now (-1: it does not say)."""
    r = ask_resolver(world, region, GENERATION_NAME, "TXT", timeout=0.5)
    for a in r["answers"]:
        value = a["value"].strip('"')
        if value.startswith("gen-"):
            return int(value[4:])
    return -1


def wait_for_generation(world: World, region: str, generation: int, timeout: float) -> bool:
    """Poll until `region`'s CoreDNS serves `generation` or later; False if `timeout` passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if served_generation(world, region) >= generation:
                return True
        except (OSError, ValueError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
