"""Running a playbook on a world: steady state, workload, timed faults, checks, report.

The names below load on first use, so that `chaoskit.runner._events` (how the CLI
words an event) costs nothing at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaoskit.runner._runner import Facilitator, Run, RunResult, run_playbook

__all__ = ["Facilitator", "Run", "RunResult", "run_playbook"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'chaoskit.runner' has no attribute {name!r}")
    from chaoskit.runner import _runner

    value = getattr(_runner, name)
    globals()[name] = value
    return value
