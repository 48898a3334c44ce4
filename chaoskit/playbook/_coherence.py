"""Does the playbook hold together? The checks no single model can make.

Names against the topology and the fault registry, fault ids between inject,
revert and `expectations.during`, and the timeline: steps in order, faults
that end while the workload still runs, manual steps a non-interactive run
cannot do. Run on whatever parts of the playbook validated, so one broken
step does not hide the problems of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chaoskit.checks import known_expectations, parse_expectations
from chaoskit.errors import Problem, UserError
from chaoskit.names import dns_name_problem, suggest
from chaoskit.playbook._model import Playbook, StopCondition, Workload
from chaoskit.playbook._probes import DnsProbe, HttpProbe, KvProbe, Probe, TcpProbe
from chaoskit.playbook._steps import (
    InjectSpec,
    InjectStep,
    ManualStep,
    ProbeStep,
    RevertStep,
    Step,
    WaitStep,
)
from chaoskit.topology import Topology
from chaoskit.workload import ClientClassError, is_class_reference, load_client_class
from chaoskit.yamlsource import Path_, Source

# Measured from a fault's start or end, so they need a fault (names of chaoskit.checks).
_FAULT_TIMINGS = ("rto", "time_to_detect", "time_to_recover", "requeried_within")
# Measured after the fault ends: the workload must outlive it.
_AFTER_FAULT = ("time_to_recover",)
# Characters CoreDNS configuration would read as syntax.
_COREDNS_UNSAFE = set(" \t\r\n\"'`{}();#\\$")

_STEP = TypeAdapter[Any](Step)
_PROBE = TypeAdapter[Any](Probe)
_STOP = TypeAdapter(StopCondition)
_WORKLOAD = TypeAdapter(Workload)


@dataclass
class Parts:
    """The parts of a playbook that validated, each with its index in the source."""

    method: list[tuple[int, Any]] = field(default_factory=list)
    method_whole: bool = True
    rollbacks: list[tuple[int, Any]] = field(default_factory=list)
    steady_state: list[tuple[int, Any]] = field(default_factory=list)
    stop_conditions: list[tuple[int, StopCondition]] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    workload: Workload | None = None
    has_workload: bool = False  # even one that did not validate
    expectations: dict[str, Any] = field(default_factory=dict)
    topology: str | None = None

    @classmethod
    def of(cls, playbook: Playbook) -> Parts:
        return cls(
            method=list(enumerate(playbook.method)),
            rollbacks=list(enumerate(playbook.rollbacks)),
            steady_state=list(enumerate(playbook.steady_state)),
            stop_conditions=list(enumerate(playbook.stop_conditions)),
            services=list(playbook.services),
            workload=playbook.workload,
            has_workload=playbook.workload is not None,
            expectations=playbook.expectations,
            topology=playbook.topology,
        )

    @classmethod
    def salvage(cls, data: Any) -> Parts:
        """What validates of a playbook that did not validate as a whole."""
        data = data if isinstance(data, dict) else {}
        steps = data.get("method")
        method = _items(steps, _STEP)
        services = data.get("services")
        topology = data.get("topology")
        return cls(
            method=method,
            method_whole=isinstance(steps, list) and len(method) == len(steps),
            rollbacks=_items(data.get("rollbacks"), _STEP),
            steady_state=_items(data.get("steady_state"), _PROBE),
            stop_conditions=_items(data.get("stop_conditions"), _STOP),
            services=[k for k in (services if isinstance(services, dict) else ()) if isinstance(k, str)],
            workload=_one(data.get("workload"), _WORKLOAD),
            has_workload=data.get("workload") is not None,
            expectations=_bounds(data.get("expectations")),
            topology=topology if isinstance(topology, str) else None,
        )


def _bounds(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    return {
        k: v
        for k, v in value.items()
        if isinstance(k, str) and isinstance(v, (int, float, str)) and not isinstance(v, bool)
    }


def _items(value: Any, adapter: TypeAdapter[Any]) -> list[tuple[int, Any]]:
    if not isinstance(value, list):
        return []
    out = []
    for i, item in enumerate(value):
        ok = _one(item, adapter)
        if ok is not None:
            out.append((i, ok))
    return out


def _one(value: Any, adapter: TypeAdapter[Any]) -> Any:
    if value is None:
        return None
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def review(
    parts: Parts, topology: Topology | None, src: Source, *, interactive: bool
) -> list[Problem]:
    """Every problem of coherence in `parts`, pointing into `src`."""
    r = _Review(src, topology)
    r.names_used(parts)
    r.timeline(parts)
    r.rollbacks(parts)
    r.manual_steps(parts, interactive)
    r.expectations(parts)
    return r.problems


class _Review:
    def __init__(self, src: Source, topology: Topology | None) -> None:
        self.src = src
        from chaoskit.faults import registry  # its kinds reach the world: loaded to validate only

        self.topology = topology
        self.regions = topology.regions if topology else []
        # Endpoints and the services of the topology, by name, once each.
        self.endpoints = list(dict.fromkeys(
            [e.name for e in topology.endpoints] + list(topology.services))) if topology else []
        self.problems: list[Problem] = []
        self.fault_names = set(registry.names())
        self.check_fault = registry.check_spec
        # Filled by `timeline`, read by `expectations`.
        self._injected: dict[str, int] = {}  # fault id -> index of its inject step
        self._ends: dict[int, float | None] = {}  # inject step index -> when its fault ends
        self._workload_stop: float | None = None

    def add(self, path: Path_, message: str, hint: str = "", where: str = "") -> None:
        self.problems.append(Problem(message, where or self.src.where(path), hint))

    # --- names -----------------------------------------------------------------------------

    def region(self, path: Path_, name: str | None) -> None:
        known = self.regions
        if name is not None and known and name not in known:
            self.add(path, f"unknown region {name!r}", suggest(name, known) or _listing(known))

    def endpoint(self, path: Path_, name: str | None, what: str = "endpoint") -> None:
        known = self.endpoints
        if name is not None and known and name not in known:
            self.add(path, f"unknown {what} {name!r}", suggest(name, known) or _listing(known))

    def probe(self, path: Path_, probe: Any) -> None:
        if isinstance(probe, HttpProbe):
            self.endpoint((*path, "service"), probe.service, "service")
        if isinstance(probe, TcpProbe):
            self.endpoint((*path, "endpoint"), probe.endpoint)
        if isinstance(probe, (HttpProbe, TcpProbe, DnsProbe, KvProbe)):
            self.region((*path, "region"), probe.region)

    def fault(self, path: Path_, spec: InjectSpec) -> None:
        before = len(self.problems)
        family = spec.fault.split(".")[0]
        if spec.fault not in self.fault_names:
            same_family = [n for n in self.fault_names if n.startswith(family + ".")]
            hint = suggest(spec.fault, self.fault_names) or (
                _listing(same_family) if same_family else "`chaoskit kinds` lists them"
            )
            self.add((*path, "fault"), f"unknown fault {spec.fault!r}", hint)
        if family == "dns":  # whatever else the registry says, these names go into CoreDNS
            problem = dns_name_problem(spec.target, wildcard=True)
            if problem:
                self.add((*path, "target"), problem)
            for key, value in _strings(spec.params):
                if set(value) & _COREDNS_UNSAFE or not value.isprintable():
                    self.add(
                        (*path, "params", *key),
                        f"params.{'.'.join(map(str, key))}: {value[:40]!r} holds characters that "
                        "cannot go into CoreDNS configuration",
                        "no spaces, quotes, braces, ';', '#' or control characters",
                    )
        self.region((*path, "region"), spec.region)
        self.region((*path, "clients_of"), spec.clients_of)
        if self.topology is not None and len(self.problems) == before:
            # The registry goes deeper (parameters, targets, options) once the basics hold.
            try:
                found = self.check_fault(spec, self.topology, where=self.src.where(path))
            except UserError as exc:
                found = list(exc.problems)
            for p in found:
                self.add(path, p.message, p.hint, p.where)

    def _breaks_dns(self, spec: InjectSpec) -> bool:
        """Whether the fault breaks DNS names (its kind says, `Fault.dns_targets`). True when
        it cannot be built: its own problems are reported where it is injected."""
        if self.topology is None:
            return True
        from chaoskit.faults import FaultSpec, registry

        try:
            fault = registry.build(FaultSpec.model_validate(spec.model_dump(by_alias=True)),
                                   self.topology)
        except Exception:  # reported by `fault`
            return True
        return bool(fault.dns_targets())

    def workload_target(self, workload: Workload) -> None:
        target = workload.target
        if is_class_reference(target):
            self.endpoint(("workload", "service"), workload.service, "service")
            # The playbook's folder comes first on the path, as pytest's rootdir does for tests.
            folder = Path(self.src.name).parent
            try:
                load_client_class(target, [folder])
            except ClientClassError as exc:
                hint = "the playbook's folder is first on the import path" if "import" in str(exc) else ""
                self.add(("workload", "target"), str(exc), hint)
            return
        before = len(self.problems)
        self.endpoint(("workload", "target"), target)
        if len(self.problems) == before and workload.operations is None and target not in ("kv", "orders"):
            self.add(
                ("workload", "target"),
                f"workload target {target!r}: declare its `operations` (write and read)",
                'e.g. operations: {write: {method: PUT, path: "/carts/{id}"}, read: {path: "/carts/{id}"}}',
            )

    def names_used(self, parts: Parts) -> None:
        for name in parts.services:
            self.endpoint(("services", name), name, "service")
        if parts.workload is not None:
            self.workload_target(parts.workload)
            for j, region in enumerate(parts.workload.regions or ()):
                self.region(("workload", "regions", j), region)
        for i, probe in parts.steady_state:
            self.probe(("steady_state", i), probe)
        for i, stop in parts.stop_conditions:
            self.probe(("stop_conditions", i, "probe"), stop.probe)
        for section, steps in (("method", parts.method), ("rollbacks", parts.rollbacks)):
            for i, step in steps:
                if isinstance(step, ProbeStep):
                    self.probe((section, i, "probe"), step.probe)
                if isinstance(step, InjectStep):
                    self.fault((section, i, "inject"), step.inject)

    # --- time --------------------------------------------------------------------------------

    def timeline(self, parts: Parts) -> None:
        """Order of steps, fault ids, and whether faults end while the workload runs."""
        steps = parts.method
        declared = {  # every id the method injects, with the step that does
            s.inject.id: i for i, s in steps if isinstance(s, InjectStep) and s.inject.id
        }
        workload = parts.workload
        stop = workload.duration if workload is not None else None
        now = 0.0
        last_at: float | None = None
        injected = self._injected
        ends = self._ends
        for i, step in steps:
            start = now
            if step.at is not None:
                if last_at is not None and step.at < last_at:
                    self.add(
                        ("method", i, "at"),
                        f"at {_fmt(step.at)} comes before the step above it (at {_fmt(last_at)})",
                        "steps run in the order written: reorder them",
                    )
                last_at = step.at
                start = max(now, step.at)
            if stop is not None and start > stop:
                self.add(
                    ("method", i, "at") if step.at is not None else ("method", i),
                    f"this step starts at {_fmt(start)}, after the workload stops "
                    f"(workload.duration {_fmt(stop)})",
                )
            if isinstance(step, InjectStep):
                fid = step.inject.id
                if fid == "all":
                    self.add(("method", i, "inject", "id"), "'all' is reserved (revert: all)")
                elif fid is not None and fid in injected:
                    line = self.src.where(("method", injected[fid])).rsplit(":", 2)[-2]
                    self.add(
                        ("method", i, "inject", "id"),
                        f"fault id {fid!r} is already used by the inject at line {line}",
                    )
                elif fid is not None:
                    injected[fid] = i
                end = start + step.inject.duration if step.inject.duration else None
                ends[i] = end
                if stop is not None and end is not None and end > stop + 1e-9:
                    self.add(
                        ("method", i, "inject", "for"),
                        f"fault {fid or step.inject.fault!r} lasts until {_fmt(end)}, after the "
                        f"workload stops (workload.duration {_fmt(stop)})",
                        "shorten `for`, inject earlier or lengthen the workload",
                    )
            elif isinstance(step, RevertStep):
                fid = step.revert
                if fid == "all":
                    ends.update({k: start if v is None else min(v, start) for k, v in ends.items()})
                elif fid in injected:
                    k = injected[fid]
                    end_k = ends[k]
                    ends[k] = start if end_k is None else min(end_k, start)
                elif fid in declared and parts.method_whole:
                    line = self.src.where(("method", declared[fid])).rsplit(":", 2)[-2]
                    self.add(
                        ("method", i, "revert"),
                        f"revert of {fid!r} comes before its inject (line {line})",
                        "move the revert after the inject",
                    )
                elif parts.method_whole:
                    self.add(
                        ("method", i, "revert"),
                        f"revert of unknown fault id {fid!r}",
                        suggest(fid, ["all", *declared]),
                    )
            elif isinstance(step, WaitStep):
                start += step.wait
            now = start
        done = max([now, *(e for e in ends.values() if e is not None)])
        self._workload_stop = (
            stop if stop is not None else (done + (workload.settle or 0.0) if workload is not None else None)
        )
        if workload is not None and stop is None and self._workload_stop is not None:
            for j, rate_step in enumerate(workload.rate_steps):
                if rate_step.at >= self._workload_stop:
                    self.add(
                        ("workload", "rate_steps", j, "at"),
                        f"this rate step comes at {_fmt(rate_step.at)}, when the workload has "
                        f"stopped (at {_fmt(self._workload_stop)}: the method plus settle)",
                        "step earlier or give the workload a longer `settle`",
                    )

    def rollbacks(self, parts: Parts) -> None:
        known = {s.inject.id for _, s in parts.method if isinstance(s, InjectStep) and s.inject.id}
        for i, step in parts.rollbacks:
            if step.at is not None:
                self.add(
                    ("rollbacks", i, "at"),
                    "rollbacks run in order after the method; `at` has no meaning here",
                )
            if isinstance(step, InjectStep):
                self.add(
                    ("rollbacks", i, "inject"),
                    "rollbacks undo the method; they cannot inject faults",
                )
            if isinstance(step, RevertStep) and step.revert not in ("all", *known) and parts.method_whole:
                self.add(
                    ("rollbacks", i, "revert"),
                    f"revert of unknown fault id {step.revert!r}",
                    suggest(step.revert, known) or _listing(["all", *known]),
                )

    def manual_steps(self, parts: Parts, interactive: bool) -> None:
        if interactive:
            return
        for section, steps in (("method", parts.method), ("rollbacks", parts.rollbacks)):
            for i, step in steps:
                if isinstance(step, ManualStep) and step.required:
                    self.add(
                        (section, i, "manual"),
                        "a required manual step cannot be done in a non-interactive run",
                        "run it interactively with a facilitator, or set `required: false` "
                        "to skip it with a journal note",
                    )

    def expectations(self, parts: Parts) -> None:
        bounds = {k: v for k, v in parts.expectations.items() if k != "during"}
        during = parts.expectations.get("during")
        if bounds and not parts.has_workload:
            self.add(
                ("expectations",),
                "expectations are judged from the workload's history, and there is no workload",
                "add a `workload:`",
            )
        known = known_expectations()
        for name, bound in bounds.items():
            if name not in known:
                self.add(
                    ("expectations", name),
                    f"unknown expectation {name!r}",
                    suggest(name, known, show_all=20),
                )
                continue
            for p in _bound_problems(name, bound):
                self.add(("expectations", name), f"expectations.{name}: {p.message}", p.hint)
        if not parts.method_whole:
            return
        if during is not None and during not in self._injected:
            self.add(
                ("expectations", "during"),
                f"during: no fault has id {during!r}",
                suggest(str(during), self._injected) or _listing(self._injected),
            )
            return
        injects = [i for i, s in parts.method if isinstance(s, InjectStep)]
        if not injects:
            for name in _FAULT_TIMINGS:
                if name in bounds:
                    self.add(
                        ("expectations", name),
                        f"{name} is measured from a fault, and the method injects none",
                    )
            return
        judged = self._injected[during] if during else injects[0]
        if "requeried_within" in bounds:
            step = dict(parts.method)[judged]
            if isinstance(step, InjectStep) and not self._breaks_dns(step.inject):
                self.add(
                    ("expectations", "requeried_within"),
                    f"requeried_within judges a fault that breaks DNS names, and the judged fault "
                    f"{step.inject.id or ''} ({step.inject.fault}) breaks none".replace(" ()", ""),
                    "set `during:` to the id of a DNS fault (dns.*, region.outage, "
                    "dependency.outage with dns: true)",
                )
        end = self._ends.get(judged)
        stop = self._workload_stop
        for name in _AFTER_FAULT:
            if name in bounds and stop is not None and (end is None or end >= stop - 1e-9):
                self.add(
                    ("expectations", name),
                    "recovery cannot be observed: the workload stops when the judged fault ends"
                    if end is not None
                    else "recovery cannot be observed: the judged fault lasts until the run ends",
                    "give the workload a `settle` time (e.g. 10s), or end the fault earlier",
                )


def _strings(value: Any) -> list[tuple[Path_, str]]:
    """Every string in a parameter structure, with its path (dict keys too)."""
    out: list[tuple[Path_, str]] = []
    stack: list[tuple[Path_, Any]] = [((), value)]
    while stack:  # iterative: params may nest deeply
        here, v = stack.pop()
        if isinstance(v, str):
            out.append((here, v))
        elif isinstance(v, dict):
            for k, item in v.items():
                if isinstance(k, str):
                    out.append(((*here, k), k))
                stack.append(((*here, k), item))
        elif isinstance(v, list):
            stack.extend(((*here, j), item) for j, item in enumerate(v))
    return out


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:g}ms" if seconds < 1 and seconds > 0 else f"{seconds:g}s"


def _listing(names: Any) -> str:
    names = list(names)
    if not names:
        return ""
    shown = ", ".join(str(n) for n in names[:10])
    return f"known: {shown}" + (", ..." if len(names) > 10 else "")


def _bound_problems(name: str, bound: Any) -> list[Problem]:
    """What `chaoskit.checks` finds wrong with one bound (its problems carry no position)."""
    try:
        parse_expectations({name: bound})
    except UserError as exc:
        return list(exc.problems)
    return []
