"""Playbooks: chaos experiments as YAML files that replay real failure modes.

A playbook tells a story (the outage it replays), checks a steady state,
drives a workload, runs a timed method of faults and probes, judges the
history against expectations and always rolls back.

    from chaoskit.playbook import load_playbook
    playbook = load_playbook("playbooks/kv-dns-empty-record.yaml")

`validate_playbook` returns every problem instead of raising, and
`validate_paths` is what `chaoskit validate` runs. The JSON Schema for editors
is `SCHEMA_PATH` (regenerate with ``python -m chaoskit.playbook.schema``).
"""

import pathlib as _pathlib

from chaoskit.errors import PlaybookError
from chaoskit.names import dns_name_problem
from chaoskit.playbook._loader import load_playbook, validate_paths, validate_playbook
from chaoskit.playbook._model import (
    Mix,
    Playbook,
    ServiceConfig,
    StopCondition,
    Workload,
)
from chaoskit.playbook._probes import (
    CommandProbe,
    DnsProbe,
    HttpProbe,
    KvProbe,
    Probe,
    PythonProbe,
    TcpProbe,
)
from chaoskit.playbook._steps import (
    InjectSpec,
    InjectStep,
    ManualStep,
    NoteStep,
    ProbeStep,
    RevertStep,
    Step,
    WaitStep,
    step_kind,
)

# The JSON Schema for editors (regenerate: python -m chaoskit.playbook.schema).
SCHEMA_PATH = _pathlib.Path(__file__).with_name("playbook.schema.json")

__all__ = [
    "CommandProbe",
    "DnsProbe",
    "HttpProbe",
    "InjectSpec",
    "InjectStep",
    "KvProbe",
    "ManualStep",
    "Mix",
    "NoteStep",
    "Playbook",
    "PlaybookError",
    "Probe",
    "ProbeStep",
    "PythonProbe",
    "RevertStep",
    "SCHEMA_PATH",
    "ServiceConfig",
    "Step",
    "StopCondition",
    "TcpProbe",
    "WaitStep",
    "Workload",
    "dns_name_problem",
    "load_playbook",
    "step_kind",
    "validate_paths",
    "validate_playbook",
]
