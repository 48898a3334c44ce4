"""Commands about playbooks: validate and run."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from chaoskit.cli._app import app, console, err_console, table
from chaoskit.errors import UserError
from chaoskit.runner._events import describe_event


def _is_topology(path: Path) -> bool:
    """Told apart by shape: a file that reads as a topology rather than a playbook."""
    from chaoskit.topology import looks_like_topology
    from chaoskit.yamlsource import read_yaml

    if not path.is_file():
        return False
    try:
        src, problems = read_yaml(path)
    except Exception:  # unreadable: the playbook validator reports it with its place
        return False
    return not problems and looks_like_topology(src.data)


@app.command()
def validate(
    paths: list[str] = typer.Argument(..., help="playbook or topology files (told apart by shape)"),
    topology: bool = typer.Option(False, "--topology", help="treat every file as a topology"),
) -> None:
    """Check playbooks and topologies; report every problem with file:line:column."""
    from chaoskit.errors import PlaybookError, Problem, TopologyError
    from chaoskit.playbook import validate_paths
    from chaoskit.topology import validate_topology

    topologies = [p for p in paths if topology or _is_topology(Path(p))]
    playbooks = [p for p in paths if p not in topologies]
    problems: list[Problem] = []
    for path in topologies:
        if Path(path).is_dir():
            problems.append(Problem("is a directory, not a topology file", path))
        elif not Path(path).is_file():
            problems.append(Problem("no such topology file", path))
        else:
            problems.extend(validate_topology(path))
    if playbooks:
        problems.extend(validate_paths(playbooks)[1])
    if problems:
        raise (TopologyError if not playbooks else PlaybookError)(problems)
    counts = [f"{len(playbooks)} playbook(s)"] if playbooks else []
    counts += [f"{len(topologies)} topology file(s)"] if topologies else []
    console.print(f"{' and '.join(counts)} valid")


def _overrides(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """--set orders.exits=none  /  --set orders.exits=failover,write-queue  /  --set orders.load=naive"""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        service, dot, option = key.partition(".")
        if sep and dot and option == "load":
            loads = ("default", "naive", "resilient")
            if value.strip() not in loads:
                raise UserError(f"--set {pair!r}: unknown load setting {value.strip()!r}",
                                hint=f"known: {', '.join(loads)}")
            out.setdefault(service, {})["load"] = value.strip()
            continue
        if not sep or not dot or option != "exits":
            raise UserError(f"--set {pair!r}: expected SERVICE.exits=none, SERVICE.exits=a,b,... "
                            "or SERVICE.load=default|naive|resilient")
        exits: Any = "none" if value.strip() in ("none", "") else [v.strip() for v in value.split(",")]
        known = {"failover", "retries", "breaker", "stale-cache", "write-queue"}
        if exits != "none" and not set(exits) <= known:
            raise UserError(f"--set {pair!r}: unknown exits {sorted(set(exits) - known)}",
                            hint=f"known: none, {', '.join(sorted(known))}")
        out.setdefault(service, {})["exits"] = exits
    return out


def world_for(playbook: Any, world: str | None, images: str | None, keep: bool,
              log: Any, reset: bool = False) -> tuple[Any, bool]:
    """The world a playbook runs on: the running one, or one brought up now (started=True).

    It must be at its baseline: a run on a world with a foreign toxic, a deleted
    proxy or a fault left in force would measure a broken world. With `reset`
    the baseline is restored first (and what changed is logged); without, the
    run is refused (exit 2) with what is off.
    """
    from chaoskit.cli.world import check_images_mode
    from chaoskit.engine import docker_client
    from chaoskit.errors import OffBaseline
    from chaoskit.faults import Faults
    from chaoskit.world import World

    w = World.define(playbook.topology_path, world)
    check_images_mode(images)  # arguments before the engine
    docker_client()
    started = not w.is_running()
    if started:
        log(f"bringing up {w.project}")
        w.up(images=images)
    faults = Faults(w, detached=True)
    if started:  # as `chaoskit up` does: a fault the new containers do not carry is lost
        for lost in faults.drop_lost():
            log(f"fault {lost['id']} ({lost['describe']}) was lost and is dropped from the "
                "journal: " + "; ".join(lost["lost"]))
    off = faults.off_baseline()
    if off and reset:
        done = faults.reset()
        for line in done["changes"] or ["nothing to change"]:
            log(f"reset: {line}")
    elif off:
        if started and not keep:
            w.down()
        raise OffBaseline(f"world {w.project} is off its baseline:\n"
                          + "\n".join(f"  - {line}" for line in off),
                          hint="`chaoskit reset` restores it (or run with --reset)")
    return w, started


@app.command()
def run(
    playbook_path: str = typer.Argument(..., metavar="PLAYBOOK", help="playbook file"),
    report: Path = typer.Option(None, "--report", "-o", help="report directory "
                                "(default: reports/<playbook>-<time>)"),
    set_: list[str] = typer.Option([], "--set", help="override a service option, e.g. "
                                   "orders.exits=none or orders.load=naive"),
    world: str = typer.Option(None, "--world", "-w", envvar="CHAOSKIT_WORLD", help="world name"),
    images: str = typer.Option(None, "--images", envvar="CHAOSKIT_IMAGES", help="auto, local or official"),
    keep: bool = typer.Option(False, "--keep", help="leave a world this run started running"),
    reset: bool = typer.Option(False, "--reset", help="restore the world's baseline first "
                               "(without it, a world off its baseline is refused)"),
    json_out: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Run a playbook as a release gate: exit 0 when every expectation holds, 1 when one fails."""
    from chaoskit.playbook import load_playbook
    from chaoskit.runner import Run

    playbook = load_playbook(playbook_path)  # PlaybookError (exit 2) lists every problem
    services = _overrides(set_)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report_dir = report or Path("reports") / f"{playbook.name}-{stamp}"
    w, started = world_for(playbook, world, images, keep, lambda s: err_console.print(s), reset)
    try:
        live = LiveView(playbook) if (console.is_terminal and not json_out) else None
        listeners = [live.on_event] if live else ([] if json_out else [_print_event])
        runner = Run(playbook, w, services=services, listeners=listeners, report_dir=report_dir)
        if live:
            with live.attach(runner):
                result = runner.execute()
        else:
            result = runner.execute()
    finally:
        if started and not keep:
            w.down()
    if json_out:
        print(json.dumps({"outcome": result.outcome, "reason": result.reason,
                          "report": {k: str(v) for k, v in result.files.items()},
                          "verdicts": [v.to_dict() for v in result.verdicts]}, indent=2))
    else:
        _print_result(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


# Kinds a line-by-line log shows (the guard probes and per-window noise stay in the journal).
PRINTED = {"run", "step", "fault", "probe", "abort", "error", "note", "manual", "decision"}


def _print_event(event: dict[str, Any]) -> None:
    if event["kind"] in PRINTED:
        console.print(f"{event['time']:7.2f}s {escape(describe_event(event))}")


def _print_result(result: Any) -> None:
    t = table(show_edge=False, title="expectations", title_justify="left")
    t.add_column("")
    t.add_column("expectation")
    t.add_column("expected")
    t.add_column("measured")
    for v in result.verdicts:
        t.add_row("[green]pass[/]" if v.passed else "[red]FAIL[/]", v.name, v.expected,
                  v.measured_text)
    console.print(t)
    colour = "green" if result.outcome == "passed" else "red"
    console.print(f"[bold {colour}]{result.outcome.upper()}[/]"
                  + (f": {escape(result.reason)}" if result.reason else ""))
    if result.files:
        console.print(f"report: {result.report_dir}/ (report.html, summary.md, junit.xml, journal.json)")


class LiveView:
    """A live terminal view of a run: elapsed time, step, faults, success rate, latency."""

    def __init__(self, playbook: Any) -> None:
        self.playbook = playbook
        self.lines: list[str] = []
        self.runner: Any = None

    def on_event(self, event: dict[str, Any]) -> None:
        if event["kind"] in ("step", "fault", "abort", "error", "note", "verdict"):
            text = describe_event(event)
            if text:
                self.lines = (self.lines + [f"{event['time']:7.2f}s {text}"])[-12:]

    def render(self) -> Any:
        from rich.panel import Panel

        snap = self.runner.snapshot() if self.runner else {}
        rate = snap.get("recent_success")
        faults = ", ".join(f["describe"] for f in snap.get("active_faults", [])) or "none"
        title = escape(self.playbook.title or self.playbook.name)
        head = (f"[bold]{title}[/]  t={snap.get('time', 0):.1f}s  "
                f"step: {escape(snap.get('step', ''))}\nactive faults: {escape(faults)}\n"
                f"ops {snap.get('ops', 0)}  errors {snap.get('errors', 0)}  success (3s) "
                f"{'-' if rate is None else f'{rate:.0%}'}  p50 {snap.get('recent_p50_ms') or '-'} ms")
        return Panel(head + "\n\n" + "\n".join(escape(x) for x in self.lines), title="chaoskit run")

    @contextlib.contextmanager
    def attach(self, runner: Any) -> Iterator[None]:
        from rich.live import Live

        self.runner = runner
        with Live(self.render(), console=console, refresh_per_second=4, get_renderable=self.render):
            yield
