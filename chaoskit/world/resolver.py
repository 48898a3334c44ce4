"""Asking a region's resolver (its CoreDNS) from the host, through the published port.

Faults confirm themselves with it and playbook probes observe with it; it is the
world's, so neither borrows the other's machinery to send a query. The question itself
is `inworld.protocol.dnsquery.ask`, the one the regions' agents ask from inside.
"""

from __future__ import annotations

from typing import Any

from chaoskit.inworld.protocol.dnsquery import ask
from chaoskit.world._world import World


def ask_resolver(world: World, region: str, name: str, qtype: str = "A", proto: str = "udp",
                 timeout: float = 1.0) -> dict[str, Any]:
    """One query to `region`'s CoreDNS: rcode, answers (name, type, ttl, value), tc, elapsed."""
    addr = world.dns_address(region, proto)
    return ask(name, addr.host, addr.port, qtype, proto, timeout)
