"""Which operations count as traffic: what the workload drove, not the checks' own reads."""

from __future__ import annotations

from chaoskit.history import History, Op

# The final read is how the set check looks at the store once the workload has
# stopped; counting it as traffic would let it pass for a recovery.
FINAL_READ = "final-read"


def traffic(history: History, target: str | None = None) -> list[Op]:
    """Every operation but final reads (of one target if given), by start time."""
    ops = [o for o in history.ops if o.kind != FINAL_READ and (target is None or o.target == target)]
    ops.sort(key=lambda o: (o.start, o.index))
    return ops


def history_end(history: History) -> float:
    """The last instant the history knows of: the latest op end or event time (0 if empty)."""
    ends = [o.end for o in history.ops] + [e.time for e in history.events]
    return max(ends, default=0.0)
