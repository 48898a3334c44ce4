"""CoreDNS's query log, read back: one logged line -> one `Query`.

Every server block logs with `chaoskit.inworld.protocol.corefile.QUERY_LOG`: a mark, then
the fields of `QUERY_LOG_FIELDS` separated by single spaces. Docker adds a timestamp in
front of each line (``docker logs --timestamps``). Pure functions: tested without a world.
"""

from __future__ import annotations

import datetime as dt
import re

from chaoskit.history import Query
from chaoskit.inworld.protocol.corefile import QUERY_LOG_FIELDS, QUERY_LOG_MARK

NO_ANSWER = "NOANSWER"
_FIELDS = {f.lstrip(">"): i for i, f in enumerate(QUERY_LOG_FIELDS)}
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def parse_timestamp(text: str) -> float:
    """Docker's RFC 3339 timestamp (nanoseconds, ``Z``) as seconds since the epoch.

    >>> parse_timestamp("2026-12-02T14:50:00.250000000Z")
    1796223000.25
    """
    m = _STAMP.match(text)
    if not m:
        raise ValueError(f"not a timestamp: {text[:40]!r}")
    base, frac, zone = m.groups()
    when = dt.datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    return when.timestamp() + (float("0." + frac) if frac else 0.0)


def parse_query_line(line: str, region: str) -> tuple[float, dict[str, str]] | None:
    """(time, fields) of one line of ``docker logs --timestamps`` from `region`'s CoreDNS,
    or None for a line that is not a query log entry (start-up messages, errors, reloads).

    The fields are `QUERY_LOG_FIELDS` without their ``>``: remote, port, id, type, name,
    proto, rcode, rflags, rsize, duration.
    """
    stamp, _, rest = line.strip().partition(" ")
    at = rest.find(QUERY_LOG_MARK + " ")
    if at < 0:
        return None
    parts = rest[at + len(QUERY_LOG_MARK) + 1:].split(" ")
    if len(parts) != len(QUERY_LOG_FIELDS):
        return None
    try:
        when = parse_timestamp(stamp)
    except ValueError:
        return None
    return when, {name: parts[i] for name, i in _FIELDS.items()}


def query_of(when: float, fields: dict[str, str], region: str, client: str, role: str) -> Query:
    """A `Query` from parsed fields; `client` and `role` name who has ``fields["remote"]``.

    A response of 0 bytes means CoreDNS sent nothing back (a dropped question, as
    ``dns.timeout`` does): its rcode is ``NOANSWER``, whatever the log's code says.
    """
    rcode = fields["rcode"]
    if fields["rsize"] in ("0", "-"):
        rcode = NO_ANSWER
    return Query(time=when, region=region, client=client, client_ip=fields["remote"],
                 name=fields["name"].lower().rstrip("."), qtype=fields["type"].upper(),
                 rcode=rcode.upper(), role=role, proto=fields["proto"].lower())
