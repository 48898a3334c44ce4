"""The `chaoskit gameday` command: a playbook run step by step by a facilitator, with a live dashboard."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from chaoskit.cli._app import app, err_console
from chaoskit.cli.playbooks import _overrides, _print_result, world_for


@app.command()
def gameday(
    playbook_path: str = typer.Argument(..., metavar="PLAYBOOK", help="playbook file"),
    port: int = typer.Option(8765, "--port", min=1, max=65535,
                             help="dashboard port on 127.0.0.1 (taken: a free one)"),
    no_dashboard: bool = typer.Option(False, "--no-dashboard", help="serve no dashboard"),
    auto: bool = typer.Option(False, "--auto", help="every step goes without waiting (demos, tests)"),
    report: Path = typer.Option(None, "--report", "-o", help="report directory "
                                "(default: reports/<playbook>-gameday-<time>)"),
    world: str = typer.Option(None, "--world", "-w", envvar="CHAOSKIT_WORLD", help="world name"),
    set_: list[str] = typer.Option([], "--set", help="override a service option, e.g. "
                                   "orders.exits=none or orders.load=naive"),
    images: str = typer.Option(None, "--images", envvar="CHAOSKIT_IMAGES", help="auto, local or official"),
    keep: bool = typer.Option(False, "--keep", help="leave a world this game day started running"),
    reset: bool = typer.Option(False, "--reset", help="restore the world's baseline first "
                               "(without it, a world off its baseline is refused)"),
) -> None:
    """Run a game day: you go through the playbook step by step (go, skip, abort, note, status,
    help) while the team watches a live dashboard. Exit 0 when it passed, 1 when it failed or
    was aborted."""
    from chaoskit.gameday import GameDay
    from chaoskit.playbook import load_playbook

    playbook = load_playbook(playbook_path, interactive=True)  # PlaybookError (exit 2) lists every problem
    services = _overrides(set_)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report_dir = report or Path("reports") / f"{playbook.name}-gameday-{stamp}"
    w, started = world_for(playbook, world, images, keep, lambda s: err_console.print(s), reset)
    try:
        result = GameDay(playbook, w, services=services, report_dir=report_dir, auto=auto,
                         port=None if no_dashboard else port, stdin=sys.stdin, out=sys.stdout).run()
    finally:
        if started and not keep:
            w.down()
    _print_result(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)
