"""Topology models and loader.

A topology names the regions, the key-value store and the services of a world.
Every region gets the same services; each service and the store is an
*endpoint*, reached at ``<endpoint>.<region>.<domain>`` through that region's
Toxiproxy. Validation errors point at file:line:column.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from chaoskit.errors import Problem, TopologyError
from chaoskit.names import label_problem
from chaoskit.yamlsource import Source, parse_yaml, read_yaml, validation_problems

DEFAULT_TOPOLOGY_PATH = Path(__file__).with_name("default.yaml")

# Names the world itself uses for its containers and proxies.
RESERVED = {"coredns", "toxiproxy", "kv", "reaper", "tools", "agent", "replication", "dns"}
# Ports on every Toxiproxy that endpoints may not take.
RESERVED_PORTS = {8474: "the Toxiproxy API", 16379: "the replication link"}
# chaoskit's reference services (in chaoskit/inworld/), run when a service gives no image.
BUILTIN_SERVICES = {"orders", "auth"}
# The zone of world-wide names (``kv.global.<domain>``: the store's current primary),
# served by every region's CoreDNS; so no region may take the name.
GLOBAL_ZONE = "global"
DNS_PROXY_BASE = 15300  # 15300 + view index: DNS through Toxiproxy, for slow answers
MAX_REGIONS = 8


def check_label(value: str, what: str) -> str:
    problem = label_problem(value, what)
    if problem:
        raise ValueError(problem)
    return value


RegionName = Annotated[str, AfterValidator(lambda v: check_label(v, "region name"))]


class Images(BaseModel):
    """Container images; each overridable by environment variable (see `chaoskit.images`)."""

    model_config = ConfigDict(extra="forbid")

    coredns: str | None = None
    toxiproxy: str | None = None
    kv: str | None = None
    python: str | None = None


class KV(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = Field(default=6379, ge=1, le=65535)


class Service(BaseModel):
    """A dependent service, run in every region.

    Without `image`, the service runs chaoskit's reference implementation of the
    same name from the services image (only ``orders`` exists). A team's own
    service gives its `image` (and optionally `command`, `env`, `health_path`).
    `uses` lists the endpoints it depends on; chaoskit passes their DNS names in
    ``CHAOSKIT_ENDPOINT_<NAME>`` (its own region) and ``CHAOSKIT_ENDPOINTS_<NAME>``
    (every region, its own first) and points its resolver at its region's CoreDNS.
    """

    model_config = ConfigDict(extra="forbid")

    port: int = Field(default=8080, ge=1, le=65535)
    image: str | None = None
    command: list[str] | None = None
    env: dict[str, str] = Field(default_factory=dict)
    uses: list[str] = Field(default_factory=list)
    health_path: str = "/health"


class HostPorts(BaseModel):
    """Pinned host ports for one region (127.0.0.1); any not given is chosen free."""

    model_config = ConfigDict(extra="forbid")

    dns: int | None = Field(default=None, ge=1, le=65535)
    toxiproxy: int | None = Field(default=None, ge=1, le=65535)
    agent: int | None = Field(default=None, ge=1, le=65535)
    endpoints: dict[str, int] = Field(default_factory=dict)


class TopologyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "demo"
    domain: str = "chaoskit.internal"
    regions: list[RegionName] = Field(default_factory=lambda: ["us-east-1", "us-west-2"])
    kv: KV = Field(default_factory=KV)
    services: dict[str, Service] = Field(default_factory=dict)
    images: Images = Field(default_factory=Images)
    ports: dict[str, HostPorts] = Field(default_factory=dict)
    subnets: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_label(v, "world name")

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        labels = v.split(".")
        if len(v) > 200 or len(labels) < 2:
            raise ValueError(f"domain {v!r} must have at least two labels, e.g. chaoskit.internal")
        for label in labels:
            check_label(label, "domain label")
        return v

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("a world needs at least one region")
        if len(v) > MAX_REGIONS:
            raise ValueError(f"at most {MAX_REGIONS} regions, got {len(v)}")
        return v


@dataclass(frozen=True)
class Endpoint:
    """A dependency reachable by DNS name in one region, through that region's Toxiproxy."""

    name: str
    region: str
    port: int
    kind: str  # "kv" or "service"
    domain: str

    @property
    def dns_name(self) -> str:
        return f"{self.name}.{self.region}.{self.domain}"

    @property
    def container(self) -> str:
        return f"{self.name}-{self.region}"


@dataclass(frozen=True)
class Topology:
    """A validated topology. Build with `load_topology` or `default_topology`."""

    model: TopologyModel
    source: str

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def domain(self) -> str:
        return self.model.domain

    @property
    def regions(self) -> list[str]:
        return list(self.model.regions)

    @property
    def primary(self) -> str:
        return self.model.regions[0]

    @property
    def services(self) -> dict[str, Service]:
        return dict(self.model.services)

    @property
    def endpoint_names(self) -> list[str]:
        return ["kv", *self.model.services]

    @cached_property
    def endpoints(self) -> list[Endpoint]:
        out = []
        for region in self.model.regions:
            out.append(Endpoint("kv", region, self.model.kv.port, "kv", self.domain))
            for name, svc in self.model.services.items():
                out.append(Endpoint(name, region, svc.port, "service", self.domain))
        return out

    def endpoint(self, name: str, region: str) -> Endpoint:
        for e in self.endpoints:
            if e.name == name and e.region == region:
                return e
        raise KeyError((name, region))

    def zone(self, region: str) -> str:
        return f"{region}.{self.domain}"

    @property
    def global_zone(self) -> str:
        """The zone of world-wide names, served by every region's CoreDNS."""
        return f"{GLOBAL_ZONE}.{self.domain}"

    def write_name(self, store: str = "kv") -> str:
        """The global name of `store`'s current primary, e.g. ``kv.global.chaoskit.internal``.

        Like a cloud's global writer endpoint, it follows a promotion (``kv.promote``).
        """
        return f"{store}.{self.global_zone}"


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(choices)}"


def _semantic_problems(m: TopologyModel, src: Source) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, r in enumerate(m.regions):
        if r in seen:
            problems.append(Problem(f"duplicate region {r!r}", src.where(("regions", i))))
        if r == GLOBAL_ZONE:
            problems.append(Problem(f"region name {r!r} is reserved for world-wide names "
                                    f"(kv.{GLOBAL_ZONE}.{m.domain})", src.where(("regions", i))))
        seen.add(r)
    endpoints = ["kv", *m.services]
    ports: dict[int, str] = {m.kv.port: "kv"}
    for port, what in RESERVED_PORTS.items():
        if m.kv.port == port:
            problems.append(Problem(f"kv port {port} is reserved for {what}", src.where(("kv", "port"))))
    for name, svc in m.services.items():
        where = src.where(("services", name))
        try:
            check_label(name, "service name")
        except ValueError as exc:
            problems.append(Problem(str(exc), where))
        if name in RESERVED:
            problems.append(Problem(f"service name {name!r} is reserved by chaoskit", where))
        if name in m.regions:
            problems.append(Problem(f"service name {name!r} is also a region name", where))
        pwhere = src.where(("services", name, "port"))
        if svc.port in ports:
            problems.append(
                Problem(f"port {svc.port} of service {name!r} collides with {ports[svc.port]!r}"
                        " (every endpoint has its own port on the region's Toxiproxy)", pwhere)
            )
        elif svc.port in RESERVED_PORTS or DNS_PROXY_BASE <= svc.port < DNS_PROXY_BASE + 16:
            problems.append(Problem(f"port {svc.port} of service {name!r} is reserved by chaoskit", pwhere))
        ports.setdefault(svc.port, name)
        for j, dep in enumerate(svc.uses):
            if dep not in endpoints:
                problems.append(
                    Problem(f"service {name!r} uses unknown endpoint {dep!r}; {_suggest(dep, endpoints)}",
                            src.where(("services", name, "uses", j)))
                )
            if dep == name:
                problems.append(Problem(f"service {name!r} uses itself",
                                        src.where(("services", name, "uses", j))))
        if svc.image is None and name not in BUILTIN_SERVICES:
            problems.append(Problem(
                f"service {name!r} has no image; built-in implementations: "
                f"{', '.join(sorted(BUILTIN_SERVICES))}",
                where, "give image: (and command:) for your own service"))
    host_ports: dict[int, str] = {}
    for region, hp in m.ports.items():
        where = src.where(("ports", region))
        if region not in m.regions:
            problems.append(Problem(
                f"ports for unknown region {region!r}; {_suggest(region, m.regions)}", where))
        pinned = [("dns", hp.dns), ("toxiproxy", hp.toxiproxy), ("agent", hp.agent),
                  *[(f"endpoints.{k}", v) for k, v in hp.endpoints.items()]]
        for k in hp.endpoints:
            if k not in endpoints:
                problems.append(Problem(f"ports for unknown endpoint {k!r}; {_suggest(k, endpoints)}",
                                        src.where(("ports", region, "endpoints", k))))
        for what, host_port in pinned:
            if host_port is None:
                continue
            label = f"{region}.{what}"
            if host_port in host_ports:
                problems.append(Problem(
                    f"host port {host_port} for {label} collides with {host_ports[host_port]}",
                    src.where(("ports", region, *what.split(".")))))
            host_ports.setdefault(host_port, label)
    for region in m.subnets:
        if region not in m.regions:
            problems.append(Problem(f"subnet for unknown region {region!r}", src.where(("subnets", region))))
    return problems


def parse_topology(text: str, name: str = "<topology>") -> Topology:
    src, problems = parse_yaml(text, name)
    return _build(src, problems)


def load_topology(path: str | Path | None = None) -> Topology:
    """Load and validate a topology file (the default one when `path` is None)."""
    src, problems = read_yaml(path or DEFAULT_TOPOLOGY_PATH)
    return _build(src, problems)


# Keys only a topology has at its top level (a playbook's `services` and `name` are shared).
TOPOLOGY_ONLY_KEYS = frozenset({"regions", "domain", "kv", "images", "ports", "subnets"})


def looks_like_topology(data: Any) -> bool:
    """A parsed YAML document shaped like a topology rather than a playbook.

    A playbook has `version` and `method`; a topology has neither, and has
    `regions`, `kv`, `domain`, `images`, `ports` or `subnets`, or `services`
    whose entries give a `port`, `image` or `uses`.
    """
    if not isinstance(data, dict) or "method" in data or "version" in data:
        return False
    if TOPOLOGY_ONLY_KEYS & set(data):
        return True
    services = data.get("services")
    return isinstance(services, dict) and any(
        isinstance(s, dict) and {"port", "image", "uses", "command"} & set(s) for s in services.values())


def validate_topology(path: str | Path) -> list[Problem]:
    """Every problem of the topology file at `path` (file:line:col each); empty when valid."""
    try:
        load_topology(path)
    except TopologyError as exc:
        return list(exc.problems)
    return []


def default_topology() -> Topology:
    return load_topology(DEFAULT_TOPOLOGY_PATH)


def _build(src: Source, problems: list[Problem]) -> Topology:
    if problems:
        raise TopologyError(problems)
    data: Any = src.data if src.data is not None else {}
    if not isinstance(data, dict):
        raise TopologyError([Problem("a topology must be a mapping", src.where(()))])
    try:
        model = TopologyModel.model_validate(data)
    except ValidationError as exc:
        found = validation_problems(exc, src)
        known = list(TopologyModel.model_fields)
        found = [
            Problem(p.message + (f"; {_suggest(p.message.split(chr(39))[1], known)}"
                                 if "unknown key" in p.message and p.message.count(".") == 0 else ""),
                    p.where)
            for p in found
        ]
        raise TopologyError(found) from None
    semantic = _semantic_problems(model, src)
    if semantic:
        raise TopologyError(semantic)
    return Topology(model, src.name)
