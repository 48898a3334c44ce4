"""Running a playbook on a world: steady state, workload, timed faults, checks, report."""

from chaoskit.runner._runner import Facilitator, Run, RunResult, run_playbook

__all__ = ["Facilitator", "Run", "RunResult", "run_playbook"]
