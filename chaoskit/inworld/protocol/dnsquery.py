"""One DNS question, asked with dnspython, answered as plain data.

The host asks a region's CoreDNS through its published port (`chaoskit.world.resolver`)
and each region's agent asks from inside the region, with this same function: rcode,
answers (name, type, TTL, value), the TC flag and the time taken. dnspython is installed
into the services image from a wheel built on the host (`chaoskit.images.build`).
"""

from __future__ import annotations

import time
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode


def ask(name: str, server: str, port: int = 53, qtype: str = "A", proto: str = "udp",
        timeout: float = 2.0) -> dict[str, Any]:
    """Ask `server` once; ``rcode: TIMEOUT`` when no answer comes within `timeout`.

    Raises `ValueError` for a name or record type that cannot be asked, `OSError` when
    the server cannot be reached at all (a TCP connection refused).
    """
    try:
        q = dns.message.make_query(name, qtype)
    except dns.exception.DNSException as exc:
        raise ValueError(f"cannot ask {name!r} {qtype!r}: {exc}") from None
    q.flags |= dns.flags.RD
    started = time.monotonic()
    try:
        if proto == "tcp":
            r = dns.query.tcp(q, server, port=port, timeout=timeout)
        else:
            r = dns.query.udp(q, server, port=port, timeout=timeout, ignore_trailing=True)
    except dns.exception.Timeout:
        return {"rcode": "TIMEOUT", "answers": [], "tc": False, "elapsed": time.monotonic() - started}
    answers = [{"name": str(rr.name), "type": int(rr.rdtype), "ttl": rr.ttl, "value": str(item)}
               for rr in r.answer for item in rr]
    return {"rcode": dns.rcode.to_text(r.rcode()), "answers": answers,
            "tc": bool(r.flags & dns.flags.TC), "elapsed": time.monotonic() - started}
