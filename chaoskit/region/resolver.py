"""Asking a region's resolver (its CoreDNS) from the host, through the published port.

Faults confirm themselves with it and playbook probes observe with it; it is the
world's, so neither borrows the other's machinery to send a query.
"""

from __future__ import annotations

import time
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

from chaoskit.region.world import World


def ask_resolver(world: World, region: str, name: str, qtype: str = "A", proto: str = "udp",
                 timeout: float = 1.0) -> dict[str, Any]:
    """One query to `region`'s CoreDNS: rcode, answers (name, type, ttl, value), tc, elapsed."""
    addr = world.dns_address(region, proto)
    q = dns.message.make_query(name, qtype)
    q.flags |= dns.flags.RD
    started = time.monotonic()
    try:
        if proto == "tcp":
            r = dns.query.tcp(q, addr.host, port=addr.port, timeout=timeout)
        else:
            r = dns.query.udp(q, addr.host, port=addr.port, timeout=timeout,
                              ignore_trailing=True)
    except dns.exception.Timeout:
        return {"rcode": "TIMEOUT", "answers": [], "tc": False,
                "elapsed": time.monotonic() - started}
    answers = [{"name": str(rr.name), "type": int(rr.rdtype), "ttl": rr.ttl, "value": str(item)}
               for rr in r.answer for item in rr]
    return {"rcode": dns.rcode.to_text(r.rcode()), "answers": answers,
            "tc": bool(r.flags & dns.flags.TC), "elapsed": time.monotonic() - started}
