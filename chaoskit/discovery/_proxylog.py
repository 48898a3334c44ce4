"""Toxiproxy's traffic, read back: connections from its log, bytes from its metrics.

Toxiproxy logs one JSON line ``{"name": <proxy>, "client": "<ip>:<port>", "message":
"Accepted client"}`` for every connection it accepts, and with ``-proxy-metrics`` it
counts bytes per proxy on ``/metrics`` (Prometheus text): received from clients
(``direction="upstream"``) and sent back to them (``direction="downstream"``). Toxiproxy
adds a connection's bytes when the connection closes, so a connection still open counts
none yet. Pure functions: tested without a world.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from chaoskit.discovery._querylog import parse_timestamp

ACCEPTED = "Accepted client"
_SAMPLE = re.compile(r'^(toxiproxy_proxy_(?:received|sent)_bytes_total)\{([^}]*)\}\s+(\S+)')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Connection:
    """One connection a Toxiproxy accepted: when, on which proxy, from which address."""

    time: float
    proxy: str
    client_ip: str


def parse_accept_line(line: str) -> Connection | None:
    """A `Connection` from one line of ``docker logs --timestamps`` of a Toxiproxy, or None."""
    stamp, _, rest = line.strip().partition(" ")
    if ACCEPTED not in rest:
        return None
    try:
        entry = json.loads(rest)
        when = parse_timestamp(stamp)
    except ValueError:
        return None
    if not isinstance(entry, dict) or entry.get("message") != ACCEPTED:
        return None
    proxy, client = entry.get("name"), entry.get("client")
    if not isinstance(proxy, str) or not isinstance(client, str):
        return None
    host = client.rsplit(":", 1)[0].strip("[]")
    return Connection(when, proxy, host)


def parse_metrics(text: str) -> dict[str, tuple[int, int]]:
    """Proxy -> (bytes received from clients, bytes sent back to them), from ``/metrics``.

    >>> parse_metrics('toxiproxy_proxy_received_bytes_total{direction="upstream",'
    ...               'listener="[::]:6379",proxy="kv",upstream="10.0.0.30:6379"} 42')
    {'kv': (42, 0)}
    """
    out: dict[str, list[int]] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m:
            continue
        metric, raw_labels, raw_value = m.groups()
        labels = dict(_LABEL.findall(raw_labels))
        try:
            value = int(float(raw_value))
        except ValueError:
            continue
        proxy = labels.get("proxy")
        if not proxy:
            continue
        pair = out.setdefault(proxy, [0, 0])
        # Bytes a client sent are received on the upstream link; bytes it got back are
        # sent on the downstream link.
        if metric.endswith("received_bytes_total") and labels.get("direction") == "upstream":
            pair[0] += value
        elif metric.endswith("sent_bytes_total") and labels.get("direction") == "downstream":
            pair[1] += value
    return {k: (v[0], v[1]) for k, v in out.items()}
