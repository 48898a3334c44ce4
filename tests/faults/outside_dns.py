"""A DNS client that shares no code with chaoskit: dnspython only, importable on its own.

`tests/faults/test_dns_world.py` runs it on the host and, with nsenter, inside
a region's network namespace (``python -m outside_dns SERVER NAME PROTO COUNT TIMEOUT``).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode


@dataclass(frozen=True)
class Seen:
    rcode: str  # NOERROR, NXDOMAIN... or TIMEOUT / CLOSED when nothing came back
    tc: bool = False
    a: tuple[str, ...] = ()
    ttls: tuple[int, ...] = ()
    seconds: float = 0.0


def ask(server: str, port: int, name: str, proto: str, timeout: float) -> Seen:
    q = dns.message.make_query(name, "A")
    started = time.monotonic()
    try:
        if proto == "tcp":
            r = dns.query.tcp(q, server, port=port, timeout=timeout)
        else:
            r = dns.query.udp(q, server, port=port, timeout=timeout)
    except dns.exception.Timeout:
        return Seen("TIMEOUT", seconds=time.monotonic() - started)
    except (EOFError, ConnectionError):
        return Seen("CLOSED", seconds=time.monotonic() - started)
    rrs = [(rr.ttl, str(item)) for rr in r.answer if rr.rdtype == 1 for item in rr]
    return Seen(dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.TC),
                tuple(v for _, v in rrs), tuple(t for t, _ in rrs), time.monotonic() - started)


if __name__ == "__main__":
    server, name, proto, count, timeout = sys.argv[1:6]
    print(json.dumps([asdict(ask(server, 53, name, proto, float(timeout)))
                      for _ in range(int(count))]))
