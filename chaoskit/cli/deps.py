"""`chaoskit deps`: what a service was seen to depend on, from the world's own traffic."""

from __future__ import annotations

import time

import typer
from rich.markup import escape

from chaoskit.cli._app import JsonOpt, TopologyOpt, WorldOpt, app, console, emit_json, table
from chaoskit.errors import UserError


@app.command()
def deps(
    service: str = typer.Argument(..., help="a service of the world's topology, e.g. orders"),
    since: str = typer.Option(None, "--since", help="only what was seen in this last while "
                              "(e.g. 5m; default: since the world started)"),
    topology: str = TopologyOpt, world: str = WorldOpt, json_out: bool = JsonOpt,
) -> None:
    """The names a service asked its region's CoreDNS for, and the proxies that carried it.

    Per region, with query counts and answers; flags names outside the world and names that never resolved.
    """
    from chaoskit.discovery import observe
    from chaoskit.durations import parse_duration
    from chaoskit.engine import docker_client
    from chaoskit.world import World

    window: float | None = None
    if since is not None:
        try:
            window = parse_duration(since)
        except ValueError as exc:
            raise UserError(str(exc), where=f"--since {since[:40]!r}") from None
    w = World.open(world, topology)  # files only: the world's saved topology, else the given one
    problem = w.topology.service_problem(service)
    if problem:
        raise UserError(problem, where="SERVICE")
    if not w.info():
        raise UserError(f"world {w.project} is not up", hint="run `chaoskit up` first")
    docker_client()
    if not w.containers():
        raise UserError(f"world {w.project} is not up", hint="run `chaoskit up` first")
    now = time.time()
    found = observe(w, service, since=None if window is None else now - window, until=now)
    if json_out:
        emit_json({"world": w.project, **found.to_json()})
        return
    span = "since the world started" if window is None else f"in the last {since}"
    if not found.names and not found.proxies:
        console.print(f"no DNS question and no connection from {escape(service)} {span} "
                      f"in {w.project}: is its workload running?")
        return
    console.print(f"[bold]{escape(service)}[/] in {w.project}, {span}: uses "
                  f"{', '.join(found.endpoints()) or 'no endpoint of the world'}")
    for region in w.topology.regions:
        names = [n for n in found.names if n.region == region]
        proxies = [p for p in found.proxies if p.region == region]
        if not names and not proxies:
            continue
        console.print(f"\n[bold]{region}[/]")
        if names:
            t = table(show_edge=False)
            for col in ("name asked", "endpoint", "queries", "answers", ""):
                t.add_column(col)
            for n in names:
                flags = []
                if n.outside:
                    flags.append("[yellow]outside the world: would go to the internet[/]")
                elif not n.in_topology:
                    flags.append("[yellow]not in the topology[/]")
                if not n.resolved:
                    flags.append("[red]never resolved[/]")
                answers = ", ".join(f"{k} {v}" for k, v in n.rcodes.items())
                t.add_row(escape(n.name), n.endpoint or "-", str(n.queries), escape(answers),
                          "; ".join(flags))
            console.print(t)
        if proxies:
            t = table(show_edge=False)
            for col in ("proxy", "endpoint", "connections", "bytes in (all clients)",
                        "bytes out (all clients)"):
                t.add_column(col)
            for p in proxies:
                t.add_row(f"toxiproxy-{region}:{escape(p.proxy)}", p.endpoint or "-",
                          "-" if p.connections is None else str(p.connections),
                          f"{p.bytes_in:,}", f"{p.bytes_out:,}")
            console.print(t)
    if found.outside:
        console.print("\n[yellow]outside the world:[/] "
                      + escape(", ".join(sorted({n.name for n in found.outside}))))
    if found.unresolved:
        console.print("[red]never resolved:[/] "
                      + escape(", ".join(sorted({n.name for n in found.unresolved}))))
