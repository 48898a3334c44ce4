"""`chaoskit runtimes`: how each client runtime's DNS cache changes failover, measured."""

from __future__ import annotations

import time

import typer
from rich.markup import escape

from chaoskit.cli._app import JsonOpt, TopologyOpt, WorldOpt, app, console, emit_json, err_console, table

OnlyOpt = typer.Option(None, "--only", help="comma-separated runtimes (default: all of glibc, musl, "
                       "go, jvm, node)")


@app.command()
def runtimes(world: str = WorldOpt, topology: str = TopologyOpt, only: str = OnlyOpt,
             json_out: bool = JsonOpt) -> None:
    """Measure, per client runtime, how long it keeps the old answer after a DNS failover and
    keeps failing after an empty record is repaired (docs/dns-caching.md)."""
    from chaoskit.cli.world import _world
    from chaoskit.engine import docker_client
    from chaoskit.runtimes import measure, parse_only

    names = parse_only(only)
    w = _world(topology, world)
    docker_client()
    started = time.monotonic()

    def log(line: str) -> None:
        if not json_out:
            err_console.print(escape(line))

    matrix = measure(w, names, log=log)
    if json_out:
        emit_json({**matrix.to_json(), "seconds": round(time.monotonic() - started, 1)})
        return
    t = table(title=f"{matrix.name} from {matrix.region} (record TTL {matrix.record_ttl_s}s, "
                    f"empty answer's negative TTL {matrix.negative_ttl_s}s, one request every "
                    f"{matrix.interval_ms} ms)", title_justify="left", show_edge=False)
    for column in ("runtime", "version", "stale after flip (s)", "failing after repair (s)", "notes"):
        t.add_column(column)
    for row in matrix.results:
        t.add_row(row.runtime, escape(row.version), _seconds(row.stale_after_flip_s, matrix.max_wait_s),
                  _seconds(row.failing_after_repair_s, matrix.max_wait_s), escape(row.notes))
    console.print(t)
    console.print(f"measured in {time.monotonic() - started:.1f}s on {matrix.world}")


def _seconds(value: float | None, max_wait: float) -> str:
    return f"> {max_wait:.0f}" if value is None else f"{value:.1f}"
