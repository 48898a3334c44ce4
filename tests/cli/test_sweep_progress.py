"""The sweep's progress display: cells done, the current cell, elapsed and remaining time."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import chaoskit.cli.sweep as sweep_cli


class FakeSweep:
    def remaining(self) -> float:
        return 42.0


def test_the_progress_shows_cells_current_cell_and_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sweep_cli, "console", Console(file=out, force_terminal=True, width=160))
    view = sweep_cli.Progress(None)
    seen = []
    with view.attach(FakeSweep()):
        for event in [
            {"kind": "warmup", "state": "started", "time": 0},
            {"kind": "cells", "total": 4, "time": 1},
            {"kind": "cell", "state": "started", "cell": "kv.us-east-1/dns.nxdomain", "done": 0, "total": 4,
             "time": 2},
        ]:
            view.on_event(event)
        task = view.progress.tasks[0]
        seen.append((task.completed, task.total, task.description, task.fields["left"]))
        view.on_event({"kind": "cell", "state": "finished", "cell": "kv.us-east-1/dns.nxdomain",
                       "status": "failed", "done": 1, "total": 4, "time": 3})
        task = view.progress.tasks[0]
        seen.append((task.completed, task.total, task.description, task.fields["left"]))
        view.progress.refresh()
    assert seen == [(0, 4, "kv.us-east-1/dns.nxdomain", "~42 s left"),
                    (1, 4, "kv.us-east-1/dns.nxdomain: failed", "~42 s left")]
    text = out.getvalue()
    assert "1/4" in text and "~42 s left" in text and "kv.us-east-1/dns.nxdomain: failed" in text


def test_a_broken_event_does_not_break_the_view() -> None:
    view = sweep_cli.Progress(None)
    view.on_event({"kind": "cell"})  # not attached: ignored
