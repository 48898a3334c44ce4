"""The facilitator: a person at a terminal answering the runner, step by step.

The runner asks in its own thread (`before_step`, `manual`); what the person
types arrives in another (`LineReader` -> `handle`). A question waits on a
queue that only `handle` fills, so a `go` typed while nothing is asked never
runs a later step by surprise. `note`, `status`, `help` and `abort` work at
any time.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import queue
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chaoskit.gameday._commands import HELP, Command, parse_command
from chaoskit.gameday._terminal import MANUAL_PROMPT, PROMPT, TerminalView, status_block
from chaoskit.playbook import ManualStep

#: How long a question waits for the facilitator before the game day is aborted.
PATIENCE_S = 4 * 3600.0
_POLL_S = 0.1


class FacilitatedRun(Protocol):
    """What the facilitator uses of a `chaoskit.runner.Run`."""

    abort_reason: str
    current: str

    @property
    def aborted(self) -> bool: ...
    def now(self) -> float: ...
    def note(self, text: str, *, who: str = "facilitator") -> None: ...
    def abort(self, reason: str) -> None: ...
    def revert_due(self) -> None: ...


@dataclass
class Question:
    """What the runner is waiting for the facilitator to answer."""

    kind: str  # "step" or "manual"
    index: int
    total: int
    describe: str
    choices: tuple[str, ...]
    at: float | None = None
    asked_at: float = 0.0
    answers: queue.Queue[str] = field(default_factory=queue.Queue, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "index": self.index, "step": self.index + 1, "total": self.total,
                "describe": self.describe, "choices": list(self.choices), "at": self.at,
                "asked_at": round(self.asked_at, 2)}

    def text(self) -> str:
        head = f"step {self.index + 1}/{self.total}"
        if self.kind == "manual":
            return (f"MANUAL {head}: {self.describe}\n"
                    "  do it, then: done · skip · abort · note <text> · status · help")
        when = f" (at {self.at:g}s)" if self.at is not None else ""
        return (f"NEXT {head}{when}: {self.describe}\n"
                "  go (Enter) · skip · abort · note <text> · status · help")


class GameDayFacilitator:
    """Answers the runner's questions with what the facilitator types.

    With `auto`, every step is `go` and every manual step `done` at once (for
    demos and tests); notes, status and abort still work.
    """

    def __init__(self, view: TerminalView, *, total: int, auto: bool = False,
                 patience: float = PATIENCE_S) -> None:
        self.view = view
        self.total = total
        self.auto = auto
        self.patience = patience
        self.run: FacilitatedRun | None = None
        self.status: Callable[[], dict[str, Any]] = lambda: {}
        self.input_open = True
        self._question: Question | None = None
        self._lock = threading.Lock()

    def attach(self, run: FacilitatedRun, status: Callable[[], dict[str, Any]]) -> None:
        self.run = run
        self.status = status

    def waiting(self) -> dict[str, Any] | None:
        """The question waiting for an answer, for the dashboard; None when nothing is asked."""
        q = self._question
        return q.to_dict() if q else None

    # --- asked by the runner (its thread) ---------------------------------------------
    def before_step(self, index: int, step: Any, describe: str) -> str:
        q = Question("step", index, self.total, describe, ("go", "skip", "abort"), at=step.at)
        # A manual step asks once, when it comes (`manual`); auto's steps print as they start.
        if self.auto or isinstance(step, ManualStep):
            return "go"
        answer = self._ask(q)
        if answer == "go" and step.at is not None:
            self._say_when(index, step.at)
        return answer

    def manual(self, index: int, step: Any) -> str:
        if self.auto:
            return "done"
        return self._ask(Question("manual", index, self.total, step.manual, ("done", "skip", "abort")))

    def _now(self) -> float:
        return self.run.now() if self.run else 0.0

    def _say_when(self, index: int, at: float) -> None:
        start = self.status().get("method_start")
        if start is None:
            return
        left = start + at - self._now()
        if left > 0.05:
            self.view.say(f"step {index + 1} is timed: it starts at {at:g}s, in {left:.1f}s "
                          "(abort and notes still work)")

    def _ask(self, q: Question) -> str:
        run = self.run
        assert run is not None, "attach() the run first"
        q.asked_at = run.now()
        with self._lock:
            self._question = q
        try:  # from here on: a Ctrl-C must not leave a stale prompt behind
            self.view.ask(f"{status_block(self.status())}\n{q.text()}",
                          MANUAL_PROMPT if q.kind == "manual" else PROMPT)
            deadline = time.monotonic() + self.patience
            while True:
                if run.aborted:
                    return "abort"
                if not self.input_open:
                    run.abort("the facilitator's input closed")
                    return "abort"
                if time.monotonic() > deadline:
                    run.abort(f"no answer from the facilitator in {self.patience / 60:.0f} min")
                    return "abort"
                # The person may take a while: faults whose `for` runs out are reverted meanwhile.
                run.revert_due()
                with contextlib.suppress(queue.Empty):
                    return q.answers.get(timeout=_POLL_S)
        finally:
            with self._lock:
                self._question = None
            self.view.answered()

    # --- typed by the facilitator (the reader's thread) ---------------------------------
    def handle(self, line: str) -> None:
        """Act on one line typed at the terminal."""
        self.view.typed()
        cmd = parse_command(line)
        with self._lock:
            q = self._question
        if cmd.message:
            self.view.say(cmd.message)
        elif cmd.verb == "note":
            self._note(cmd.text)
        elif cmd.verb == "status":
            self.view.say(status_block(self.status()))
        elif cmd.verb == "help":
            self.view.say(HELP)
        else:
            self._decide(cmd, q)

    def _note(self, text: str) -> None:
        if self.run is None:
            return
        self.run.note(text)

    def _decide(self, cmd: Command, q: Question | None) -> None:
        run = self.run
        if run is None:
            return
        if cmd.verb == "abort" and cmd.text:
            run.note(f"abort: {cmd.text}")
        if q is not None and cmd.blank and q.kind == "manual":
            self.view.say("a manual step waits for done (or skip / abort) once you have done it")
        elif q is not None and cmd.verb in q.choices:
            q.answers.put(cmd.verb)
        elif cmd.verb == "abort":
            where = run.current or "between steps"
            run.abort(f"facilitator aborted during {where}" + (f": {cmd.text}" if cmd.text else ""))
            self.view.say("aborting: every fault is being reverted now")
        elif q is not None:
            self.view.say(f"step {q.index + 1} waits for {' / '.join(q.choices)}, not {cmd.verb}")
        elif not cmd.blank:
            self.view.say(f"nothing is waiting for {cmd.verb} now (running: {run.current or '-'}); "
                          "note, status, abort and help work at any time")

    def input_closed(self) -> None:
        """The terminal's input ended (Ctrl-D, or a closed pipe): a question can no longer be
        answered, so one asked from now on aborts the run. With `auto` nothing is asked."""
        self.input_open = False


class LineReader:
    """Reads lines from a file descriptor in a background thread and hands each to `on_line`.

    Polls with a timeout, so `stop()` ends it promptly; at end of input it calls
    `on_close` once.
    """

    def __init__(self, stream: Any, on_line: Callable[[str], None], on_close: Callable[[], None],
                 *, on_error: Callable[[str], None] | None = None, poll: float = 0.2) -> None:
        self.stream = stream
        self.on_line = on_line
        self.on_close = on_close
        self.on_error = on_error or (lambda s: None)
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LineReader:
        self._thread = threading.Thread(target=self._loop, name="chaoskit-gameday-input", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2 * self.poll + 1)

    def _fd(self) -> int | None:
        if isinstance(self.stream, int):
            return self.stream
        try:
            return int(self.stream.fileno())
        except (AttributeError, OSError, ValueError):
            return None

    def _loop(self) -> None:
        fd = self._fd()
        if fd is None:
            self.on_close()
            return
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], self.poll)
                data = os.read(fd, 4096) if ready else None
            except (OSError, ValueError):
                data = b""
            if data is None:
                continue
            if not data:
                if pending.strip():
                    self._line(pending)
                self.on_close()
                return
            pending += decoder.decode(data)
            while "\n" in pending:
                line, pending = pending.split("\n", 1)
                self._line(line.rstrip("\r"))

    def _line(self, line: str) -> None:
        try:
            self.on_line(line)
        except Exception as exc:  # one bad line must not stop the facilitator's input
            self.on_error(f"could not act on {line!r}: {exc}")
