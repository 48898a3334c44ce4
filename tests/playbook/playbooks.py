"""What the playbook tests start from: the shipped playbooks, a small valid one, and places."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from chaoskit.errors import Problem

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yaml"))

# A small playbook that validates; tests change one thing in it.
BASE = """\
version: 1
name: t
workload: {target: orders, rate: 10, settle: 5s}
method:
  - at: 1s
    inject: {id: f, fault: dns.nodata, target: kv.us-east-1.chaoskit.internal, for: 5s}
"""

# The `check` fixture: validate a playbook text written to a file.
Check = Callable[..., list[Problem]]


def places(problems: list[Problem]) -> list[str]:
    """``line:col`` of every problem, in order."""
    return [":".join(p.where.rsplit(":", 2)[1:]) for p in problems]
