"""A sweep planned before anything touches the world: options checked, cells counted, time estimated.

Every user string is checked here, by the shared rules: the service and dependencies
against the topology (with the one "did you mean" of `chaoskit.names`), fault classes
against the fault registry, durations and bounds by the playbook's value types and
`chaoskit.checks.parse_expectations`, and the workload and services by the playbook
model itself (a probe playbook is generated and loaded as any playbook is).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chaoskit.checks import DEFAULT_SUSTAIN, parse_expectations
from chaoskit.errors import PlaybookError, Problem, UserError
from chaoskit.faults.registry import check_spec
from chaoskit.faults.registry import names as fault_names
from chaoskit.faults.spec import FaultSpec
from chaoskit.names import dns_name_problem, suggest
from chaoskit.playbook import Playbook, load_playbook
from chaoskit.playbook._values import Duration, Slug, Threshold
from chaoskit.topology import Topology
from chaoskit.yamlsource import read_yaml

DEFAULT_FAULTS = ("dns.nxdomain", "dns.nodata", "dns.timeout", "net.latency", "net.down")
DEFAULT_THRESHOLDS: dict[str, Any] = {"error_rate": "5%", "rto": "10s"}
#: The families whose faults break one dependency: a DNS name, or an endpoint's proxy in a region.
FAMILIES = ("dns", "net")
#: Seconds a cell costs beyond its steady, fault and settle phases: steady-state probes, the
#: fault confirmed on the wire and reverted, the final read, the baseline confirmed
#: (measured on the reference service: bench/sweep_overhead.py).
CELL_OVERHEAD_S = 3.0
#: The warm-up's own overhead beyond its workload (probes, final read, discovery).
WARMUP_OVERHEAD_S = 3.0
#: The settle a recovery needs to be seen: it must hold `DEFAULT_SUSTAIN` before the history ends.
MIN_SETTLE_S = DEFAULT_SUSTAIN + 1.0
#: The fault id every cell's playbook uses; the checks judge its window.
CELL_FAULT_ID = "sweep"
#: The built-in workload of the reference service (docs/orders.md).
ORDERS_WORKLOAD: dict[str, Any] = {"target": "orders", "rate": 20, "concurrency": 4, "timeout": 1.0}


class SweepOptions(BaseModel):
    """What a user asks of a sweep (the CLI's flags, the pytest fixture's keywords).

    Durations are written as in a playbook (``20s``, ``500ms``); thresholds as a
    playbook's `expectations` (``error_rate: 5%``, ``rto: 10s``).
    """

    model_config = ConfigDict(extra="forbid")

    service: Slug
    faults: list[str] = Field(default_factory=lambda: list(DEFAULT_FAULTS), min_length=1)
    duration: Duration = 20.0
    steady: Duration = 5.0
    settle: Duration = 5.0
    warmup: Duration = 5.0
    max_time: Duration = 600.0
    parallel: int = Field(default=1, ge=1, le=16)
    thresholds: dict[str, Threshold] = Field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    dependencies: list[str] | None = None
    exits: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def parse(cls, **values: Any) -> SweepOptions:
        """The options, or a `UserError` naming every problem (flag by flag)."""
        try:
            return cls.model_validate({k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(Problem(msg, f"--{loc.split('.')[0].replace('_', '-')}"))
            raise UserError(problems) from None


@dataclass(frozen=True)
class Dependency:
    """One endpoint of the topology in one region, as a service uses it: by DNS name and proxy."""

    endpoint: str
    region: str
    domain: str

    @property
    def name(self) -> str:
        """Its DNS name, ``kv.us-east-1.chaoskit.internal``."""
        return f"{self.endpoint}.{self.region}.{self.domain}"

    @property
    def key(self) -> str:
        """Short and unique in a world: ``kv.us-east-1``."""
        return f"{self.endpoint}.{self.region}"

    def fault_spec(self, fault: str, duration: float) -> dict[str, Any]:
        """The fault `fault` on this dependency, as a playbook's `inject:` writes it."""
        family = fault.split(".")[0]
        spec: dict[str, Any] = {"id": CELL_FAULT_ID, "fault": fault, "for": _secs(duration)}
        if family == "dns":
            spec["target"] = self.name
        else:
            spec.update(target=self.endpoint, region=self.region)
        return spec


@dataclass(frozen=True)
class Base:
    """What every cell's playbook shares: the topology, the workload, the services, the steady state."""

    service: str
    workload: dict[str, Any]
    topology_path: Path | None = None
    services: dict[str, Any] = field(default_factory=dict)
    steady_state: list[dict[str, Any]] = field(default_factory=list)
    origin: str = "built in"

    @classmethod
    def for_service(cls, service: str, topology: Topology, workload_playbook: str | Path | None = None,
                    topology_path: Path | None = None) -> Base:
        """The reference service's built-in workload, or the one a playbook declares for `service`.

        Raises `UserError` for an unknown service (with "did you mean") and for a service
        that nothing can drive.
        """
        problem = topology.service_problem(service)
        if problem:
            raise UserError(problem, where="SERVICE")
        if workload_playbook is not None:
            playbook = load_playbook(workload_playbook)  # PlaybookError: every problem, located
            return cls.from_playbook(service, playbook, str(workload_playbook))
        if service != "orders":
            raise UserError(
                f"service {service!r} has no workload to drive it: only `orders` has operations "
                "built in", where="SERVICE",
                hint="give --workload PLAYBOOK, a playbook whose `workload:` drives this service "
                "(its operations, rate and topology are used; docs/workload.md)")
        probes = [{"type": "http", "title": f"{service} healthy in {r}", "service": service,
                   "region": r, "path": "/health", "within": 10.0} for r in topology.regions]
        return cls(service, dict(ORDERS_WORKLOAD), topology_path, {}, probes)

    @classmethod
    def from_playbook(cls, service: str, playbook: Playbook, origin: str) -> Base:
        w = playbook.workload
        if w is None:
            raise UserError("this playbook has no `workload:`: nothing would drive the service",
                            where=origin, hint="give a playbook whose workload drives the service")
        driven = w.service if w.service is not None else w.target
        if driven != service:
            raise UserError(f"this playbook's workload drives {driven!r}, not {service!r}", where=origin,
                            hint=f"sweep {driven}, or give a playbook that drives {service}")
        if ":" in w.target:
            raise UserError(f"workload target {w.target!r} is a class: a sweep's playbooks are written "
                            "elsewhere, where the class would not be importable", where=origin,
                            hint="sweep a service driven over HTTP (its `operations`)")
        workload = w.model_dump(mode="json", by_alias=True, exclude_none=True,
                                exclude={"settle", "duration"})
        services = {k: v.model_dump(mode="json", exclude_none=True) for k, v in playbook.services.items()}
        steady = [p.model_dump(mode="json", by_alias=True, exclude_none=True) for p in playbook.steady_state]
        return cls(service, workload, playbook.topology_path, services, steady, origin)


@dataclass(frozen=True)
class Cell:
    """One experiment of the sweep: one dependency broken by one fault class."""

    dependency: Dependency
    fault: str

    @property
    def id(self) -> str:
        return f"{self.dependency.key}/{self.fault}"

    @property
    def slug(self) -> str:
        """A name for files and the playbook: ``kv-us-east-1-dns-nxdomain``."""
        text = f"{self.dependency.endpoint}-{self.dependency.region}-{self.fault.replace('.', '-')}"
        if len(text) > 50:  # a playbook name is a label: keep it unique and short
            text = text[:41].rstrip("-") + "-" + hashlib.sha1(text.encode()).hexdigest()[:8]
        return text

    @property
    def footprint(self) -> tuple[str, str]:
        """What it breaks: cells with different footprints are independent of each other."""
        return (self.dependency.endpoint, self.dependency.region)


@dataclass
class Plan:
    """A checked sweep: its options, shared playbook parts, candidate dependencies and estimate."""

    options: SweepOptions
    base: Base
    topology: Topology
    candidates: list[Dependency]

    @property
    def cell_seconds(self) -> float:
        o = self.options
        return o.steady + o.duration + o.settle + CELL_OVERHEAD_S

    def estimate(self, cells: int) -> float:
        """Seconds for a warm-up and `cells` cells, `parallel` at a time."""
        o = self.options
        waves = -(-cells // o.parallel)
        return o.warmup + WARMUP_OVERHEAD_S + waves * self.cell_seconds

    def check_time(self, cells: int, *, when: str) -> None:
        took = self.estimate(cells)
        if took > self.options.max_time:
            raise UserError(
                f"the sweep would take about {_clock(took)} ({cells} cells of about "
                f"{self.cell_seconds:.0f} s{when}), more than --max-time {_clock(self.options.max_time)}",
                where="--max-time",
                hint="raise --max-time, or sweep fewer --faults, --dependencies or shorter --duration")

    def cells(self, dependencies: Sequence[Dependency]) -> tuple[list[Cell], list[tuple[Cell, str]]]:
        """The cells to run, and those the fault registry refuses (with why): each in order."""
        run, refused = [], []
        for dep in dependencies:
            for fault in self.options.faults:
                cell = Cell(dep, fault)
                spec = FaultSpec.model_validate(dep.fault_spec(fault, self.options.duration))
                problems = check_spec(spec, self.topology)
                if problems:
                    refused.append((cell, "; ".join(p.message for p in problems)))
                else:
                    run.append(cell)
        return run, refused

    # --- the playbooks ----------------------------------------------------------------------
    def cell_playbook(self, cell: Cell, folder: Path) -> dict[str, Any]:
        """The playbook of `cell`, to be written in `folder` (its topology is relative to it)."""
        o = self.options
        doc = self._skeleton(folder, name=f"sweep-{self.base.service}-{cell.slug}")
        doc["title"] = f"{self.base.service} through {cell.fault} on {cell.dependency.name}"
        doc["story"] = (
            f"Generated by `chaoskit sweep {self.base.service}`: {_secs(o.steady)} of steady "
            f"traffic, then {cell.fault} on {cell.dependency.key} (the service was seen using "
            f"{cell.dependency.name}) for {_secs(o.duration)}, then {_secs(o.settle)} to settle.")
        doc["tags"] = ["sweep", cell.fault.split(".")[0]]
        doc["workload"]["duration"] = _secs(o.steady + o.duration + o.settle)
        inject = cell.dependency.fault_spec(cell.fault, o.duration)
        doc["method"] = [{"at": _secs(o.steady), "inject": inject}]
        doc["expectations"] = dict(o.thresholds)
        doc["rollbacks"] = [{"revert": "all"}]
        return doc

    def warmup_playbook(self, folder: Path) -> dict[str, Any]:
        """The warm-up: the workload alone, judged on its error rate (a baseline that holds)."""
        o = self.options
        doc = self._skeleton(folder, name=f"sweep-{self.base.service}-warmup")
        doc["title"] = f"{self.base.service} warm-up: dependencies observed, no fault"
        doc["story"] = ("The workload drives the service with no fault while the world records "
                        "which names it asks and which proxies carry its traffic.")
        doc["workload"]["duration"] = _secs(o.warmup)
        doc["method"] = [{"wait": _secs(o.warmup)}]
        doc["expectations"] = {"error_rate": o.thresholds.get("error_rate", DEFAULT_THRESHOLDS["error_rate"])}
        return doc

    def _skeleton(self, folder: Path, *, name: str) -> dict[str, Any]:
        services = {k: dict(v) for k, v in self.base.services.items()}
        for svc, cfg in self.options.exits.items():
            services.setdefault(svc, {}).update(cfg)
        doc: dict[str, Any] = {"version": 1, "name": name}
        if self.base.topology_path is not None:
            doc["topology"] = os.path.relpath(self.base.topology_path.resolve(), folder.resolve())
        if services:
            doc["services"] = services
        if self.base.steady_state:
            doc["steady_state"] = [dict(p) for p in self.base.steady_state]
        doc["workload"] = dict(self.base.workload)
        return doc


#: The order a person reads a playbook in (docs/playbooks.md).
KEY_ORDER = ("version", "name", "title", "story", "tags", "topology", "services", "steady_state",
             "workload", "method", "stop_conditions", "expectations", "rollbacks")


def write_playbook(doc: Mapping[str, Any], path: Path, *, header: str = "") -> Path:
    """`doc` as a YAML playbook at `path` (with the schema line editors read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = {k: doc[k] for k in KEY_ORDER if k in doc} | dict(doc)
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
    lines = ["# yaml-language-server: $schema=" + _schema_ref(path)] + [f"# {h}" for h in header.splitlines()]
    path.write_text("\n".join(lines) + "\n" + text, encoding="utf-8")
    return path


def _schema_ref(path: Path) -> str:
    from chaoskit.playbook import SCHEMA_PATH

    try:
        return os.path.relpath(SCHEMA_PATH, path.parent.resolve())
    except ValueError:
        return str(SCHEMA_PATH)


def plan_sweep(options: SweepOptions, topology: Topology, base: Base) -> Plan:
    """Check everything a sweep will do against `topology`, the registry and the playbook model.

    Raises `UserError` (exit 2) listing every problem; touches nothing.
    """
    problems: list[Problem] = []
    known_faults = fault_names()
    for fault in options.faults:
        if fault not in known_faults:
            hint = suggest(fault, known_faults, show_all=0) or "`chaoskit kinds` lists them"
            problems.append(Problem(f"unknown fault class {fault!r}", "--faults", hint))
        elif fault.split(".")[0] not in FAMILIES:
            problems.append(Problem(
                f"fault class {fault!r} does not break one dependency", "--faults",
                "a sweep breaks dependencies with dns.* (their names) and net.* (their proxies)"))
    if len(set(options.faults)) != len(options.faults):
        problems.append(Problem("lists the same fault class twice", "--faults"))
    try:
        parse_expectations(options.thresholds)
    except PlaybookError as exc:
        problems.extend(Problem(p.message, "--thresholds " + p.where.removeprefix("expectations."), p.hint)
                        for p in exc.problems)
    timed = sorted({"rto", "time_to_recover"} & set(options.thresholds))
    if timed and options.settle < MIN_SETTLE_S:
        problems.append(Problem(
            f"--settle {options.settle:g}s is too short to judge {', '.join(timed)}: a recovery counts "
            f"once it has held {DEFAULT_SUSTAIN:g} s, so a cell needs at least {MIN_SETTLE_S:g} s after "
            "its fault", "--settle", f"--settle {MIN_SETTLE_S:g}s or more"))
    candidates = candidate_dependencies(topology, base.service)
    chosen = candidates
    if options.dependencies is not None:
        chosen = []
        by_name = {d.key: d for d in candidates} | {d.name: d for d in candidates}
        for name in options.dependencies:
            problem = dns_name_problem(name, wildcard=False)
            if problem:
                problems.append(Problem(problem, "--dependencies"))
            elif name not in by_name:
                hint = suggest(name, [d.key for d in candidates])
                problems.append(Problem(f"{name!r} is no dependency {base.service} may use "
                                        "(by the topology's `uses`)", "--dependencies", hint))
            elif by_name[name] not in chosen:
                chosen.append(by_name[name])
    if problems:
        raise UserError(problems)
    plan = Plan(options, base, topology, chosen)
    _check_playbooks(plan)
    plan.check_time(len(chosen) * len(options.faults), when=": every dependency the topology allows")
    return plan


def candidate_dependencies(topology: Topology, service: str) -> list[Dependency]:
    """Every endpoint `service` may use by its topology (`uses`), in every region."""
    uses = topology.services[service].uses if service in topology.services else []
    return [Dependency(e, r, topology.domain) for e in uses for r in topology.regions]


def _check_playbooks(plan: Plan) -> None:
    """Write and load a cell's and the warm-up's playbook: the playbook model judges the options."""
    if not plan.candidates:
        raise UserError(f"service {plan.base.service!r} uses nothing by the topology: no dependency "
                        "to break", where="SERVICE", hint="its `uses:` in the topology lists them")
    with tempfile.TemporaryDirectory(prefix="chaoskit-sweep-") as tmp:
        folder = Path(tmp)
        probe = Cell(plan.candidates[0], plan.options.faults[0])
        docs = (("cell", plan.cell_playbook(probe, folder)), ("warmup", plan.warmup_playbook(folder)))
        for name, doc in docs:
            path = write_playbook(doc, folder / f"{name}.yaml")
            try:
                load_playbook(path)
            except PlaybookError as exc:
                src, _ = read_yaml(path)
                raise UserError([Problem(p.message, _flag_for(p.where, src), p.hint)
                                 for p in exc.problems]) from None


_FLAGS = {"services": "--set", "expectations": "--thresholds", "workload": "--workload",
          "steady_state": "--workload", "method": "--faults", "topology": "--topology"}


def _flag_for(where: str, src: Any) -> str:
    """The option a problem in a generated playbook came from (its file is a temporary one)."""
    for (key, *_), (line, col) in sorted(src.positions.items(), key=lambda kv: -kv[1][0]):
        if where.endswith(f":{line}:{col}") and isinstance(key, str):
            return _FLAGS.get(key, key)
    line = where.rsplit(":", 2)[-2] if where.count(":") >= 2 else ""
    tops = sorted(((pos[0], path[0]) for path, pos in src.positions.items() if len(path) >= 1),
                  key=lambda t: t[0])
    found = [str(k) for ln, k in tops if line.isdigit() and ln <= int(line)]
    return _FLAGS.get(found[-1], found[-1]) if found else "the generated playbook"


def read_thresholds(path: str | Path) -> dict[str, Any]:
    """A thresholds file: a mapping of expectation -> bound, every problem at file:line:column."""
    src, problems = read_yaml(path, "thresholds file")
    if problems:
        raise UserError(problems)
    data = src.data
    if not isinstance(data, dict) or not data:
        raise UserError("a thresholds file is a mapping of expectation -> bound (e.g. rto: 10s)",
                        where=str(path))

    problems = []
    for key, value in data.items():
        try:
            parse_expectations({str(key): value})
        except PlaybookError as exc:
            problems += [Problem(p.message, src.where((key,)), p.hint) for p in exc.problems]
    if problems:
        raise UserError(problems)
    checked = {str(k): v for k, v in data.items()}
    return dict(checked)


def _secs(value: float) -> str:
    return f"{value:g}s"


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"
