"""What a report is made from: one run, already judged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chaoskit.checks import DEFAULT_MIN_OPS, DEFAULT_SUSTAIN, Verdict, summary
from chaoskit.history import History

RunOutcome = Literal["passed", "failed", "aborted", "error"]
RUN_OUTCOMES: tuple[RunOutcome, ...] = ("passed", "failed", "aborted", "error")


@dataclass
class RunReport:
    """Everything a run leaves for people and CI to read.

    `journal` holds every event of the run as plain dicts, each with a
    ``time`` (seconds since the start): steps, faults, probe samples,
    verdicts. `notes` are what people said during a game day, as
    ``(time, text)``. `sustain` and `min_ops` are those the verdicts were
    judged with, so the report's own figures agree with them.
    """

    playbook: str
    title: str
    started_at: str
    duration: float
    history: History
    outcome: RunOutcome
    story: str = ""
    journal: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[tuple[float, str]] = field(default_factory=list)
    sustain: float = DEFAULT_SUSTAIN
    min_ops: int = DEFAULT_MIN_OPS

    def __post_init__(self) -> None:
        if self.outcome not in RUN_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(RUN_OUTCOMES)}, not {self.outcome!r}")

    def summary(self) -> dict[str, Any]:
        """The headline figures of the run's history (see `chaoskit.checks.summary`)."""
        return summary(self.history, sustain=self.sustain, min_ops=self.min_ops)
