"""The facilitator object answering the runner, fed lines as the terminal reader would; no world."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from chaoskit.gameday import GameDayFacilitator, LineReader, TerminalView
from chaoskit.playbook import ManualStep
from chaoskit.runner import Run

INJECT = SimpleNamespace(at=2.0)
PLAIN = SimpleNamespace(at=None)


class Asked:
    """Runs a question of the facilitator in a thread, as the runner does."""

    def __init__(self, ask: Callable[[], str]) -> None:
        self.answer: str | None = None
        self.thread = threading.Thread(target=self._run, args=(ask,), daemon=True)
        self.thread.start()

    def _run(self, ask: Callable[[], str]) -> None:
        self.answer = ask()

    def result(self, timeout: float = 5) -> str | None:
        self.thread.join(timeout)
        return self.answer


def wait_for(cond: Callable[[], Any], timeout: float = 5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def fac(run: Run, out: io.StringIO) -> Iterator[GameDayFacilitator]:
    f = GameDayFacilitator(TerminalView(out), total=4)
    f.attach(run, lambda: {"time": run.now(), "phase": "method", "method_start": 0.0, "regions": []})
    yield f
    run.abort("test over")  # any question still waiting ends


def ask_step(fac: GameDayFacilitator, step: Any = PLAIN, index: int = 1) -> Asked:
    asked = Asked(lambda: fac.before_step(index, step, "inject dns.nxdomain kv"))
    wait_for(fac.waiting)
    return asked


@pytest.mark.parametrize(("line", "answer"), [("go", "go"), ("", "go"), ("skip", "skip"), ("abort", "abort")])
def test_a_step_waits_for_the_facilitators_answer(fac: GameDayFacilitator, out: io.StringIO,
                                                  line: str, answer: str) -> None:
    asked = ask_step(fac)
    time.sleep(0.2)
    assert asked.answer is None  # still waiting
    question = fac.waiting()
    assert question is not None and question.pop("asked_at") >= 0
    assert question == {"kind": "step", "index": 1, "step": 2, "total": 4, "at": None,
                        "describe": "inject dns.nxdomain kv", "choices": ["go", "skip", "abort"]}
    fac.handle(line)
    assert asked.result() == answer
    assert fac.waiting() is None
    text = out.getvalue()
    assert "NEXT step 2/4: inject dns.nxdomain kv" in text and text.rstrip().endswith("gameday>")


def test_notes_status_help_and_typos_leave_the_question_waiting(fac: GameDayFacilitator, run: Run,
                                                                  out: io.StringIO) -> None:
    asked = ask_step(fac)
    fac.handle("note DNS flipped by hand")
    fac.handle("lunch")
    fac.handle("status")
    fac.handle("help")
    fac.handle("note")
    fac.handle("done")  # not an answer to a step
    assert asked.answer is None and fac.waiting() is not None
    text = out.getvalue()
    assert "unknown command 'lunch'" in text
    assert "a note needs text" in text
    assert "step 2 waits for go / skip / abort, not done" in text
    assert "commands (one a line)" in text
    assert text.count("gameday> ") >= 6  # the prompt comes back after each
    # The note is in the run's notes, its history and its journal, with its time.
    assert [t for _, t in run.notes] == ["DNS flipped by hand"]
    assert [e.name for e in run.history.events if e.kind == "note"] == ["DNS flipped by hand"]
    note = next(e for e in run.journal if e["kind"] == "note")
    assert note["text"] == "DNS flipped by hand" and note["by"] == "facilitator" and note["time"] > 0
    fac.handle("go")
    assert asked.result() == "go"


def test_a_manual_step_asks_once_and_waits_for_done(fac: GameDayFacilitator, out: io.StringIO) -> None:
    step = ManualStep(manual="flip the DNS record by hand")
    assert fac.before_step(2, step, "manual: flip the DNS record by hand") == "go"  # no question yet
    asked = Asked(lambda: fac.manual(2, step))
    wait_for(fac.waiting)
    fac.handle("")  # Enter does not confirm a manual step
    fac.handle("go")
    assert asked.answer is None
    assert "a manual step waits for done" in out.getvalue()
    assert "MANUAL step 3/4: flip the DNS record by hand" in out.getvalue()
    assert out.getvalue().rstrip().endswith("gameday (manual)>")
    fac.handle("done")
    assert asked.result() == "done"


def test_a_manual_step_can_be_skipped_or_aborted(fac: GameDayFacilitator) -> None:
    step = ManualStep(manual="page the on-call")
    for line in ("skip", "abort"):
        asked = Asked(lambda: fac.manual(2, step))
        wait_for(fac.waiting)
        fac.handle(line)
        assert asked.result() == line


def test_go_typed_while_nothing_is_asked_is_not_kept_for_later(fac: GameDayFacilitator,
                                                                out: io.StringIO) -> None:
    fac.handle("go")
    assert "nothing is waiting for go now" in out.getvalue()
    asked = ask_step(fac)
    time.sleep(0.2)
    assert asked.answer is None
    fac.handle("skip")
    assert asked.result() == "skip"


def test_abort_at_any_time_aborts_the_run(fac: GameDayFacilitator, run: Run, out: io.StringIO) -> None:
    run.current = "wait 5s"
    fac.handle("abort the pager is on fire")
    assert run.aborted
    assert run.abort_reason == "facilitator aborted during wait 5s: the pager is on fire"
    assert "every fault is being reverted" in out.getvalue()
    assert fac.before_step(2, PLAIN, "inject") == "abort"  # and no question waits after that


def test_an_abort_from_elsewhere_ends_the_wait(fac: GameDayFacilitator, run: Run) -> None:
    asked = ask_step(fac)
    run.abort("stop condition failed: the other region must keep serving")
    assert asked.result() == "abort"
    assert run.abort_reason.startswith("stop condition failed")


def test_input_closing_aborts_a_waiting_question(fac: GameDayFacilitator, run: Run) -> None:
    asked = ask_step(fac)
    fac.input_closed()
    assert asked.result() == "abort"
    assert run.abort_reason == "the facilitator's input closed"


def test_nobody_answering_for_too_long_aborts(run: Run, out: io.StringIO) -> None:
    fac = GameDayFacilitator(TerminalView(out), total=4, patience=0.3)
    fac.attach(run, lambda: {})
    assert fac.before_step(1, PLAIN, "wait 1s") == "abort"
    assert run.abort_reason.startswith("no answer from the facilitator")


def test_faults_run_out_while_the_facilitator_thinks(fac: GameDayFacilitator, run: Run) -> None:
    reverted: list[str] = []
    run.faults = SimpleNamespace(revert=reverted.append)  # type: ignore[assignment]
    run._due_reverts["kv-nx"] = run.now() + 0.2
    asked = ask_step(fac)
    wait_for(lambda: reverted)
    assert reverted == ["kv-nx"] and asked.answer is None
    fac.handle("go")
    assert asked.result() == "go"


def test_a_timed_step_says_when_it_will_start(fac: GameDayFacilitator, run: Run, out: io.StringIO) -> None:
    asked = ask_step(fac, INJECT)
    assert "NEXT step 2/4 (at 2s)" in out.getvalue()
    fac.attach(run, lambda: {"method_start": run.now()})
    fac.handle("go")
    assert asked.result() == "go"
    assert "step 2 is timed: it starts at 2s, in" in out.getvalue()


def test_auto_answers_everything_at_once(run: Run, out: io.StringIO) -> None:
    fac = GameDayFacilitator(TerminalView(out), total=4, auto=True)
    fac.attach(run, lambda: {})
    fac.input_closed()  # e.g. stdin is /dev/null
    assert fac.before_step(1, INJECT, "inject") == "go"
    assert fac.manual(2, ManualStep(manual="page the on-call")) == "done"
    assert not run.aborted


def test_the_line_reader_hands_over_lines_then_says_when_input_ends() -> None:
    r, w = os.pipe()
    lines: list[str] = []
    closed = threading.Event()
    reader = LineReader(r, lines.append, closed.set, poll=0.05).start()
    try:
        os.write(w, b"note caf\xc3")
        os.write(w, b"\xa9 is open\r\ngo\n\nskip")
        wait_for(lambda: len(lines) == 3)
        os.close(w)
        assert closed.wait(5)
        assert lines == ["note café is open", "go", "", "skip"]
    finally:
        reader.stop()
        os.close(r)


def test_the_line_reader_survives_a_failing_handler() -> None:
    r, w = os.pipe()
    errors: list[str] = []
    seen: list[str] = []

    def handle(line: str) -> None:
        seen.append(line)
        if line == "boom":
            raise RuntimeError("broken")

    reader = LineReader(r, handle, lambda: None, on_error=errors.append, poll=0.05).start()
    try:
        os.write(w, b"boom\nstatus\n")
        wait_for(lambda: len(seen) == 2)
        assert "could not act on 'boom': broken" in errors[0]
    finally:
        reader.stop()
        os.close(w)
        os.close(r)


def test_the_line_reader_stops_promptly_while_waiting(tmp_path: Path) -> None:
    r, w = os.pipe()
    reader = LineReader(r, lambda s: None, lambda: None, poll=0.05).start()
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 1
    os.close(w)
    os.close(r)
