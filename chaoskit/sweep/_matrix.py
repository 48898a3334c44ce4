"""The matrix: dependency x fault class -> what each cell measured and whether it held. Plain data.

A matrix passes only when every cell ran and passed, and at least one did: a
sweep that judged nothing (no dependency seen, interrupted before a cell) fails
and says why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

CellStatus = Literal["passed", "failed", "aborted", "error", "not-run", "not-applicable"]
#: Statuses a cell that ran ends with (as a run's outcome).
RAN = ("passed", "failed", "aborted", "error")
FORMAT = 1


@dataclass
class CellResult:
    """One cell: a dependency (``kv.us-east-1``), a fault class, and what its run found."""

    dependency: str
    name: str  # the dependency's DNS name
    fault: str
    status: CellStatus = "not-run"
    error_rate: float | None = None  # percent of operations in the fault window that failed
    rto: float | None = None  # seconds from the fault until the service was back
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    report: str | None = None  # the cell's run report folder, relative to the matrix's
    playbook: str | None = None  # the playbook it ran, relative to the matrix's folder
    emitted: str | None = None  # where --emit-playbooks wrote it
    seconds: float = 0.0
    concurrent_with: list[str] = field(default_factory=list)
    baseline: str = ""  # what the baseline check after the cell found and did

    @property
    def id(self) -> str:
        return f"{self.dependency}/{self.fault}"

    @property
    def ran(self) -> bool:
        return self.status in RAN

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "aborted", "error")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellResult:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Matrix:
    """Everything a sweep found; `to_dict` is matrix.json."""

    service: str
    world: str
    faults: list[str]
    dependencies: list[str]
    cells: list[CellResult] = field(default_factory=list)
    thresholds: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    seconds: float = 0.0
    estimate: float = 0.0
    partial: bool = False
    reason: str = ""
    warmup: dict[str, Any] = field(default_factory=dict)
    seen: list[dict[str, Any]] = field(default_factory=list)  # observed, not swept (and why)
    options: dict[str, Any] = field(default_factory=dict)

    def cell(self, dependency: str, fault: str) -> CellResult | None:
        for c in self.cells:
            if c.dependency == dependency and c.fault == fault:
                return c
        return None

    @property
    def ran(self) -> list[CellResult]:
        return [c for c in self.cells if c.ran]

    @property
    def failing(self) -> list[CellResult]:
        return [c for c in self.cells if c.failed]

    @property
    def passed(self) -> bool:
        return (not self.partial and not self.reason and bool(self.ran)
                and all(c.status in ("passed", "not-applicable") for c in self.cells))

    @property
    def outcome(self) -> str:
        if self.partial:
            return "partial"
        return "passed" if self.passed else "failed"

    @property
    def why(self) -> str:
        """Why the matrix does not pass, in one line ('' when it does)."""
        if self.reason:
            return self.reason
        if not self.ran:
            return "no cell ran: nothing was judged"
        failing = self.failing
        if failing:
            shown = ", ".join(c.id for c in failing[:6]) + (" …" if len(failing) > 6 else "")
            return f"{len(failing)} of {len(self.ran)} cells failed: {shown}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = FORMAT
        data["outcome"] = self.outcome
        data["passed"] = self.passed
        data["why"] = self.why
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Matrix:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "cells"}
        return cls(**fields, cells=[CellResult.from_dict(c) for c in data.get("cells", [])])
