"""Faults: DNS, network and container faults, confirmed on the wire and always reverted."""

from chaoskit.durations import parse_duration
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.controller import ActiveFault, Faults, revert_on_signals
from chaoskit.faults.registry import build, check_spec, get, kinds, names
from chaoskit.faults.spec import FaultSpec

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
