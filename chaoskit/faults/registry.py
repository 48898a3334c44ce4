"""The fault catalogue: every fault kind, found by name.

The playbook schema, the CLI (`chaoskit kinds`) and the docs all read
this one registry.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chaoskit.errors import FaultSpecError, Problem
from chaoskit.faults.base import Fault
from chaoskit.faults.spec import FaultSpec
from chaoskit.names import suggest
from chaoskit.topology import Topology

_KINDS: dict[str, type[Fault]] = {}


def register(cls: type[Fault]) -> type[Fault]:
    if cls.name in _KINDS:
        raise ValueError(f"fault {cls.name} registered twice")
    _KINDS[cls.name] = cls
    return cls


def _load() -> None:
    # Importing the families registers their kinds.
    from chaoskit.faults import composite, container, dns, network, store  # noqa: F401


def kinds() -> dict[str, type[Fault]]:
    _load()
    return dict(sorted(_KINDS.items()))


def names() -> list[str]:
    return list(kinds())


def get(name: str) -> type[Fault]:
    found = kinds().get(name)
    if found is None:
        hint = suggest(name, names(), show_all=0) or "`chaoskit kinds` lists them"
        raise FaultSpecError(f"unknown fault {name!r}", hint=hint)
    return found


def check_spec(spec: FaultSpec, topology: Topology, where: str = "") -> list[Problem]:
    """Every problem with `spec` against the catalogue and `topology`."""
    try:
        cls = get(spec.fault)
    except FaultSpecError as exc:
        return [Problem(p.message, where, p.hint) for p in exc.problems]
    problems: list[Problem] = []
    try:
        cls.Params.model_validate(spec.params)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            msg = f"unknown parameter {loc!r}" if err["type"] == "extra_forbidden" else err["msg"]
            fields = ", ".join(cls.Params.model_fields) or "none"
            problems.append(Problem(f"{spec.fault}: {msg} (parameter {loc})", where,
                                    f"{spec.fault} takes: {fields}"))
    for opt in ("region", "clients_of", "fraction"):
        if getattr(spec, opt) is not None and opt not in cls.options:
            problems.append(Problem(f"{spec.fault} does not take {opt.replace('_', '-')}", where))
    if spec.region is not None and spec.region not in topology.regions:
        problems.append(Problem(f"unknown region {spec.region!r}", where,
                                f"regions: {', '.join(topology.regions)}"))
    if spec.max_duration is not None and spec.duration is not None and spec.duration > spec.max_duration:
        problems.append(Problem("duration is longer than max-duration", where))
    problems.extend(Problem(m, where) for m in cls.check(spec, topology))
    return problems


def build(spec: FaultSpec | dict[str, Any], topology: Topology) -> Fault:
    """A fault object from a spec, or FaultSpecError listing every problem."""
    if isinstance(spec, dict):
        try:
            spec = FaultSpec.model_validate(spec)
        except ValidationError as exc:
            raise FaultSpecError([Problem(f"{'.'.join(map(str, e['loc']))}: {e['msg']}")
                                  for e in exc.errors()]) from None
    problems = check_spec(spec, topology)
    if problems:
        raise FaultSpecError(problems)
    return get(spec.fault)(spec, topology)
