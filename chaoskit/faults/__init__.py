"""Faults: DNS, network and container faults, confirmed on the wire and always reverted.

The names below load on first use: `chaoskit.faults.spec` (a fault as a value, which
the playbook model reads) must not pull in the controller, the world or Docker.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaoskit.durations import parse_duration
    from chaoskit.faults.base import Change, Fault
    from chaoskit.faults.controller import ActiveFault, Faults, revert_on_signals
    from chaoskit.faults.registry import build, check_spec, get, kinds, names
    from chaoskit.faults.spec import FaultSpec

_HOMES = {
    "ActiveFault": "chaoskit.faults.controller",
    "Change": "chaoskit.faults.base",
    "Fault": "chaoskit.faults.base",
    "FaultSpec": "chaoskit.faults.spec",
    "Faults": "chaoskit.faults.controller",
    "build": "chaoskit.faults.registry",
    "check_spec": "chaoskit.faults.registry",
    "get": "chaoskit.faults.registry",
    "kinds": "chaoskit.faults.registry",
    "names": "chaoskit.faults.registry",
    "parse_duration": "chaoskit.durations",
    "revert_on_signals": "chaoskit.faults.controller",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chaoskit.faults' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "ActiveFault",
    "Change",
    "Fault",
    "FaultSpec",
    "Faults",
    "build",
    "check_spec",
    "get",
    "kinds",
    "names",
    "parse_duration",
    "revert_on_signals",
]
