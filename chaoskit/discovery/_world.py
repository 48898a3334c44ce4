"""Discovery on a running world: the query log, Toxiproxy's log and counters, read now.

Reads containers' logs with timestamps through the Docker SDK (``since``/``until`` in
seconds since the epoch), names each client address with `AddressBook`, and asks each
Toxiproxy's ``/metrics``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from chaoskit.discovery._clients import AddressBook
from chaoskit.discovery._model import Dependencies, names_seen, proxies_seen
from chaoskit.discovery._proxylog import Connection, parse_accept_line, parse_metrics
from chaoskit.discovery._querylog import parse_query_line, query_of
from chaoskit.errors import UserError, WorldError
from chaoskit.history import Query

if TYPE_CHECKING:
    from chaoskit.world import World

METRICS_TIMEOUT = 3.0


def _log_lines(world: World, service: str, since: float | None, until: float | None) -> list[str]:
    import docker.errors

    kwargs: dict[str, Any] = {"timestamps": True, "stdout": True, "stderr": True}
    if since is not None:
        kwargs["since"] = float(since)
    if until is not None:
        kwargs["until"] = float(until)
    try:
        raw: bytes = world.container(service).logs(**kwargs)
    except docker.errors.NotFound:
        raise WorldError(f"{service} of world {world.project} is gone; is the world up?") from None
    return raw.decode("utf-8", errors="replace").splitlines()


def queries(world: World, since: float | None = None, until: float | None = None) -> list[Query]:
    """Every DNS question the world's CoreDNS logged between `since` and `until` (seconds
    since the epoch; None: from the start / until now), every region, in time order.

    Each client address is named (`Query.client`, `Query.role`) from the world's address
    plan and its Docker networks. Raises `UserError` when the world is not up.
    """
    _ = world.plan  # raises UserError when the world is not up
    book = AddressBook.of(world)
    out: list[Query] = []
    for region in world.topology.regions:
        for line in _log_lines(world, f"coredns-{region}", since, until):
            parsed = parse_query_line(line, region)
            if parsed is None:
                continue
            when, fields = parsed
            holder = book[fields["remote"]]
            out.append(query_of(when, fields, region, holder.client, holder.role))
    out.sort(key=lambda q: q.time)
    return out


def connections(world: World, since: float | None = None,
                until: float | None = None) -> dict[str, list[Connection]]:
    """Region -> the connections its Toxiproxy accepted between `since` and `until`."""
    return {region: [c for line in _log_lines(world, f"toxiproxy-{region}", since, until)
                     if (c := parse_accept_line(line)) is not None]
            for region in world.topology.regions}


def proxy_bytes(world: World) -> dict[str, dict[str, tuple[int, int]]]:
    """Region -> proxy -> (bytes in, bytes out) from each Toxiproxy's ``/metrics``.

    Empty for a region whose Toxiproxy was started without ``-proxy-metrics`` (a world
    created before chaoskit turned it on: `chaoskit up` recreates it).
    """
    import httpx

    out: dict[str, dict[str, tuple[int, int]]] = {}
    for region in world.topology.regions:
        url = f"{world.toxiproxy_url(region)}/metrics"
        try:
            r = httpx.get(url, timeout=METRICS_TIMEOUT, headers={"User-Agent": "chaoskit"})
        except httpx.HTTPError:
            out[region] = {}
            continue
        out[region] = parse_metrics(r.text) if r.status_code == 200 else {}
    return out


def observe(world: World, service: str, since: float | None = None,
            until: float | None = None) -> Dependencies:
    """What `service` (in every region) was seen to depend on between `since` and `until`.

    Names: the DNS questions its containers asked. Proxies: the Toxiproxy listeners its
    containers connected through, with the proxies' byte counters. Raises `UserError` for
    a service the world's topology does not have, or a world that is not up.
    """
    problem = world.topology.service_problem(service)
    if problem:
        raise UserError(problem, where="service")
    until = time.time() if until is None else until
    asked = [q for q in queries(world, since, until) if q.role == "service" and q.client == service]
    book = AddressBook.of(world)
    mine = {ip for ip, h in book.holders.items() if h.role == "service" and h.client == service}
    return Dependencies(
        service=service,
        names=names_seen(asked, world.topology),
        proxies=proxies_seen(connections(world, since, until), proxy_bytes(world), mine,
                             world.topology),
        since=since, until=until)
