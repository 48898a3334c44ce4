"""A game day: one playbook run, a facilitator at the terminal, the team at a dashboard.

The run executes in the calling (main) thread, so Ctrl-C, SIGTERM and SIGHUP
reach it as they do `chaoskit run`, and every fault is reverted. What the
facilitator types is read in a background thread; the dashboard is served from
another.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from chaoskit.gameday._dashboard import DEFAULT_PORT, DashboardServer
from chaoskit.gameday._facilitator import GameDayFacilitator, LineReader
from chaoskit.gameday._live import ContainerWatch, LiveState
from chaoskit.gameday._terminal import TerminalView
from chaoskit.playbook import Playbook
from chaoskit.runner import Run, RunResult
from chaoskit.world import World


class GameDay:
    """Run `playbook` on `world` step by step with a facilitator.

    ```python
    from chaoskit.gameday import GameDay
    from chaoskit.playbook import load_playbook
    from chaoskit.world import World

    result = GameDay(load_playbook("playbooks/kv-dns-empty-record.yaml", interactive=True),
                     World.open("demo"), report_dir="reports/gameday").run()
    ```

    `port=None` serves no dashboard; `auto=True` answers every question itself.
    """

    def __init__(self, playbook: Playbook, world: World, *,
                 services: dict[str, dict[str, Any]] | None = None,
                 report_dir: str | Path | None = None, auto: bool = False,
                 port: int | None = DEFAULT_PORT, stdin: Any = None, out: TextIO | None = None,
                 watch_containers: bool = True) -> None:
        self.playbook = playbook
        self.world = world
        self.auto = auto
        self.port = port
        self.stdin = sys.stdin if stdin is None else stdin
        self.view = TerminalView(out or sys.stdout)
        self.facilitator = GameDayFacilitator(self.view, total=len(playbook.method), auto=auto)
        self.runner = Run(playbook, world, services=services, facilitator=self.facilitator,
                        report_dir=report_dir)
        self.containers = ContainerWatch(world) if watch_containers else None
        self.live = LiveState(self.runner, containers=self.containers, prompt=self.facilitator.waiting)
        self.live.auto = auto
        self.runner.listeners += [self.live.on_event, self.view.on_event]
        self.facilitator.attach(self.runner, self.live.state)
        self.dashboard: DashboardServer | None = None

    def run(self) -> RunResult:
        """Serve the dashboard, run the playbook with the facilitator, write the report."""
        title = self.playbook.title or self.playbook.name
        self.view.say(f"game day: {title}\n  playbook {self.playbook.name} · world {self.world.project} · "
                      f"{len(self.playbook.method)} steps · "
                      + ("auto: every step goes by itself" if self.auto else "you drive: type help"))
        if self.port is not None:
            self.dashboard = DashboardServer(self.live, port=self.port)
            self.view.say(self.dashboard.start())
        if self.containers is not None:
            self.containers.start()
        reader = LineReader(self.stdin, self.facilitator.handle, self.facilitator.input_closed,
                            on_error=self.view.say).start()
        outcome, reason, report = "error", "", None
        try:
            try:
                result = self.runner.execute()
            except BaseException:
                # E.g. a second Ctrl-C while the run was reverting: finish the job before leaving.
                with _signals_held():
                    _revert_what_is_left(self.runner)
                raise
            outcome, reason = result.outcome, result.reason
            if result.files.get("html"):
                report = str(result.files["html"])
            elif result.report_dir is not None:
                report = str(result.report_dir / "report.html")
            return result
        finally:
            reader.stop()
            if self.containers is not None:
                self.containers.stop()
            self.live.finish(outcome, reason, report)
            if self.dashboard is not None:
                self.dashboard.stop()


def _revert_what_is_left(run: Run) -> None:
    if run.faults is None:
        return
    try:
        run.faults.close()
    except Exception:
        run.faults.reset(confirm=False)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ignore Ctrl-C, SIGTERM and SIGHUP for a moment: reverting must not be cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    old = {s: signal.signal(s, signal.SIG_IGN) for s in signals}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
