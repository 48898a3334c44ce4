"""`chaoskit sweep SERVICE`: break every dependency a service was seen using, with every fault class."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from chaoskit.cli._app import app, console, err_console
from chaoskit.errors import UserError


@app.command()
def sweep(
    service: str = typer.Argument(..., metavar="SERVICE", help="the service of the topology to sweep"),
    world: str = typer.Option(None, "--world", "-w", envvar="CHAOSKIT_WORLD", help="world name"),
    topology: str = typer.Option(None, "--topology", "-t", help="topology file (default: the "
                                 "--workload playbook's, else the built-in two regions)"),
    workload: str = typer.Option(None, "--workload", metavar="PLAYBOOK",
                                 help="a playbook whose workload drives SERVICE (orders needs none)"),
    faults: str = typer.Option(",".join(("dns.nxdomain", "dns.nodata", "dns.timeout", "net.latency",
                                         "net.down")), "--faults", help="fault classes, comma-separated"),
    dependencies: str = typer.Option(None, "--dependencies", help="only these of the dependencies seen "
                                     "(e.g. kv.us-east-1,kv.us-west-2)"),
    duration: str = typer.Option("20s", "--duration", help="how long each fault lasts"),
    steady: str = typer.Option("5s", "--steady", help="steady traffic before each fault"),
    settle: str = typer.Option("5s", "--settle", help="traffic after each fault is reverted"),
    warmup: str = typer.Option("5s", "--warmup", help="the warm-up that discovers the dependencies"),
    thresholds: str = typer.Option(None, "--thresholds", metavar="FILE.yaml",
                                   help="expectation -> bound for every cell (as a playbook's expectations)"),
    max_error_rate: str = typer.Option(None, "--max-error-rate", help="e.g. 5% (default 5%)"),
    max_rto: str = typer.Option(None, "--max-rto", help="e.g. 10s (default 10s)"),
    max_lost_writes: int = typer.Option(None, "--max-lost-writes", help="e.g. 0"),
    max_p99: str = typer.Option(None, "--max-p99-latency", help="e.g. 800ms"),
    max_time: str = typer.Option("10m", "--max-time", help="refuse a sweep estimated to take longer"),
    parallel: int = typer.Option(1, "--parallel", help="cells run at once when independent "
                                 "(different endpoints or regions); the world's capacity"),
    set_: list[str] = typer.Option([], "--set", help="service option for every cell, e.g. orders.exits=none"),
    report: Path = typer.Option(None, "--report", "-o", help="report directory "
                                "(default: reports/sweep-<service>-<time>)"),
    emit_playbooks: Path = typer.Option(None, "--emit-playbooks", metavar="DIR",
                                        help="write a playbook for each failing cell"),
    images: str = typer.Option(None, "--images", envvar="CHAOSKIT_IMAGES", help="auto, local or official"),
    keep: bool = typer.Option(False, "--keep", help="leave a world this sweep started running"),
    reset: bool = typer.Option(False, "--reset", help="restore the world's baseline first "
                               "(without it, a world off its baseline is refused)"),
    json_out: bool = typer.Option(False, "--json", help="print the matrix as JSON"),
) -> None:
    """Sweep a service: each dependency it uses x each fault class, judged like `chaoskit run`.

    Exit 0 when every cell passes, 1 when one fails, 130 when interrupted (the
    partial matrix is written), 2 for bad input (nothing touched).
    """
    from chaoskit.cli.playbooks import _overrides, world_for
    from chaoskit.playbook import load_playbook
    from chaoskit.sweep import Base, Sweep, SweepOptions, plan_sweep, read_thresholds
    from chaoskit.topology import default_topology, load_topology

    bounds = _bounds(thresholds, max_error_rate, max_rto, max_lost_writes, max_p99, read_thresholds)
    options = SweepOptions.parse(
        service=service, faults=[f.strip() for f in faults.split(",") if f.strip()],
        dependencies=[d.strip() for d in dependencies.split(",") if d.strip()] if dependencies else None,
        duration=duration, steady=steady, settle=settle, warmup=warmup, max_time=max_time,
        parallel=parallel, thresholds=bounds, exits=_overrides(set_))
    topology_path = Path(topology) if topology else None
    if workload is not None and topology_path is None:
        topology_path = load_playbook(workload).topology_path
    topo = load_topology(topology_path) if topology_path else default_topology()
    base = Base.for_service(options.service, topo, workload, topology_path)
    plan = plan_sweep(options, topo, base)  # every problem, and the estimated time: exit 2
    report_dir = report or Path("reports") / f"sweep-{options.service}-{time.strftime('%Y%m%d-%H%M%S')}"

    class _Where:  # what `world_for` reads of a playbook
        def __init__(self, path: Path | None) -> None:
            self.topology_path = path

    w, started = world_for(_Where(topology_path), world, images, keep,
                           lambda s: err_console.print(escape(s)), reset)
    try:
        view = Progress(plan) if (console.is_terminal and not json_out) else None
        listeners = [view.on_event] if view else ([] if json_out else [_print_event])
        runner = Sweep(plan, w, report_dir, emit_dir=emit_playbooks, listeners=listeners)
        if view:
            with view.attach(runner):
                matrix = runner.execute()
        else:
            matrix = runner.execute()
    finally:
        if started and not keep:
            w.down()
    if json_out:
        print(json.dumps({**matrix.to_dict(), "report": {k: str(v) for k, v in runner.files.items()}},
                         indent=2, default=str))
    else:
        _print_matrix(matrix, runner.files)
    if not matrix.passed:
        raise typer.Exit(130 if runner.interrupted else 1)


def _bounds(path: str | None, error_rate: str | None, rto: str | None, lost: int | None,
            p99: str | None, read: Any) -> dict[str, Any] | None:
    flags = {k: v for k, v in (("error_rate", error_rate), ("rto", rto), ("lost_writes", lost),
                               ("p99_latency", p99)) if v is not None}
    if path is not None and flags:
        raise UserError("give --thresholds FILE or --max-* flags, not both", where="--thresholds")
    if path is not None:
        return dict(read(path))
    if flags:
        from chaoskit.sweep import DEFAULT_THRESHOLDS

        return {**DEFAULT_THRESHOLDS, **flags}
    return None


def _print_event(event: dict[str, Any]) -> None:
    kind = event["kind"]
    if kind == "cell" and event["state"] == "finished":
        line = f"[{event['done']}/{event['total']}] {event['cell']}: {event['status']}"
    elif kind == "cell":
        line = f"[{event['done'] + 1}/{event['total']}] {event['cell']}: running"
    elif kind == "warmup":
        line = f"warm-up {event['state']}" + (f": {event['outcome']}" if "outcome" in event else "")
    elif kind == "discovered":
        line = "dependencies seen: " + (", ".join(event["dependencies"]) or "none")
    elif kind in ("interrupted", "baseline"):
        line = f"{kind}: {event.get('reason') or event.get('note')}"
    else:
        return
    console.print(f"{event['time']:7.1f}s {escape(line)}")


def _print_matrix(matrix: Any, files: dict[str, Path]) -> None:
    from chaoskit.cli._app import table
    from chaoskit.sweep._report import pct, secs

    t = table(show_edge=False, title=f"sweep of {matrix.service}", title_justify="left")
    t.add_column("dependency")
    for fault in matrix.faults:
        t.add_column(fault)
    colour = {"passed": "green", "failed": "red", "aborted": "yellow", "error": "red"}
    for dep in matrix.dependencies:
        row = []
        for fault in matrix.faults:
            c = matrix.cell(dep, fault)
            if c is None or not c.ran:
                na = c is not None and c.status == "not-applicable"
                row.append("[dim]n/a[/]" if na else "[dim]-[/]")
            else:
                row.append(f"[{colour[c.status]}]{c.status}[/] {pct(c.error_rate)} · {secs(c.rto)}")
        t.add_row(dep, *row)
    console.print(t)
    shown = "green" if matrix.passed else "red"
    why = f": {escape(matrix.why)}" if matrix.why else ""
    console.print(f"[bold {shown}]{matrix.outcome.upper()}[/]{why}")
    if files:
        console.print(f"matrix: {files['html']} (matrix.json, junit.xml, summary.md beside it)")
    emitted = [c.emitted for c in matrix.cells if c.emitted]
    if emitted:
        console.print(f"playbooks for the failing cells: {len(emitted)} in {Path(emitted[0]).parent}/")


class Progress:
    """Cells done, the current cell, elapsed and remaining time, as a Rich progress bar."""

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        self.sweep: Any = None
        self.progress: Any = None
        self.task: Any = None

    def on_event(self, event: dict[str, Any]) -> None:
        if self.progress is None or self.sweep is None:
            return
        kind = event["kind"]
        left = f"~{self.sweep.remaining():.0f} s left"
        if kind == "warmup":
            self.progress.update(self.task, description=f"warm-up ({event['state']})", left=left)
        elif kind == "cells":
            self.progress.update(self.task, total=event["total"], left=left)
        elif kind == "cell":
            what = event["cell"] if event["state"] == "started" else f"{event['cell']}: {event['status']}"
            self.progress.update(self.task, completed=event["done"], description=escape(what), left=left)
            if event["state"] == "finished":
                self.progress.console.print(f"  {escape(what)}")
        elif kind == "interrupted":
            self.progress.update(self.task, description="interrupted: reverting", left="")

    def attach(self, sweep: Any) -> Any:
        import contextlib

        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        @contextlib.contextmanager
        def attached() -> Any:
            self.sweep = sweep
            with RichProgress(TextColumn("[bold]sweep[/]"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), TextColumn("{task.fields[left]}"),
                              TextColumn("{task.description}"), console=console) as progress:
                self.progress = progress
                self.task = progress.add_task("starting", total=None, left="")
                yield
        return attached()
