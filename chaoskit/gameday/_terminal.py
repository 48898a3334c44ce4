"""The facilitator's terminal: plain lines, a compact status block, and a prompt.

Plain text on purpose: a full-screen view would fight with what the facilitator
types, and plain lines read the same in a terminal, a log and a test.
"""

from __future__ import annotations

import threading
from typing import Any, TextIO

from chaoskit.runner._events import describe_event

PROMPT = "gameday> "
MANUAL_PROMPT = "gameday (manual)> "
# Events worth a line as they happen; the rest are on the dashboard and in the journal.
_SHOWN = {"step", "fault", "probe", "note", "abort", "error", "configure", "rollback", "manual"}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g} ms"


def status_block(state: dict[str, Any]) -> str:
    """A few lines: time, phase and step; traffic; active faults; each region's health."""
    step = state.get("step") or "starting"
    lines = [f"[{state.get('time', 0):7.1f}s] {state.get('phase', '')} · now: {step}",
             f"  ops {state.get('ops', 0)} · errors {state.get('errors', 0)} · success (3 s) "
             f"{_pct(state.get('recent_success'))} · p50 {_ms(state.get('recent_p50_ms'))}"]
    faults = state.get("active_faults") or []
    if faults:
        for f in faults:
            lines.append(f"  fault {f['id']}: {f['describe']} (since {f['since']:.1f}s)")
    else:
        lines.append("  faults: none active")
    for r in state.get("regions") or []:
        c = r.get("containers") or {}
        boxes = f" · {c['running']}/{c['total']} containers" if c.get("total") else ""
        why = f" ({r['why']})" if r.get("why") else ""
        lines.append(f"  {r['region']:<12} {r['status']:<8} ok {_pct(r['success'])} · "
                     f"p50 {_ms(r['p50_ms'])}{boxes}{why}")
    return "\n".join(lines)


class TerminalView:
    """Writes to the facilitator's terminal from any thread, keeping the prompt last."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()
        self._prompt: str | None = None  # the prompt text on screen, if one is waiting
        self._mid_line = False  # the cursor is after the prompt, not at a line's start

    def _write(self, text: str) -> None:
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):  # a closed terminal must not break the run
            pass

    def say(self, text: str) -> None:
        """Print lines; if a prompt is waiting, print them above it and show it again."""
        with self._lock:
            lead = "\n" if self._mid_line else ""
            self._write(f"{lead}{text}\n{self._prompt or ''}")
            self._mid_line = self._prompt is not None

    def on_event(self, event: dict[str, Any]) -> None:
        if event["kind"] in _SHOWN or (event["kind"] == "guard" and not event.get("ok")) or (
                event["kind"] in ("run", "workload", "method") and event.get("state") != "started"):
            self.say(f"{event['time']:8.2f}s  {describe_event(event)}")

    def ask(self, lines: str, prompt: str) -> None:
        """Show a question and leave the prompt waiting for an answer."""
        with self._lock:
            lead = "\n" if self._mid_line else ""
            self._prompt = prompt
            self._write(f"{lead}{lines}\n{prompt}")
            self._mid_line = True

    def typed(self) -> None:
        """The facilitator pressed Enter: the cursor is at a line's start again."""
        with self._lock:
            self._mid_line = False

    def answered(self) -> None:
        with self._lock:
            self._prompt = None
