"""Topology models and loader.

A topology names the regions, the key-value store and the services of a world.
Every region gets the same services; each service and the store is an
*endpoint*, reached at ``<endpoint>.<region>.<domain>`` through that region's
Toxiproxy. Validation errors point at file:line:column.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from chaoskit.errors import Problem, TopologyError
from chaoskit.names import env_name_problem, image_problem, label_problem, suggest, url_path_problem
from chaoskit.yamlsource import Source, parse_yaml, read_yaml, validation_problems

DEFAULT_TOPOLOGY_PATH = Path(__file__).with_name("default.yaml")

# The view of clients on this machine (queries through a published port); regions are views too.
HOST_VIEW = "host"
# Names the world itself uses (containers, proxies, zone records, views): no region or
# service may take one.
RESERVED = {"coredns", "toxiproxy", "kv", "kvgate", "reaper", "tools", "agent", "replication",
            "dns", "ns", HOST_VIEW}
# Ports on every Toxiproxy that endpoints may not take.
RESERVED_PORTS = {8474: "the Toxiproxy API", 16379: "the replication link"}
# chaoskit's reference services (in chaoskit/inworld/), run when a service gives no image.
BUILTIN_SERVICES = {"orders", "auth"}
# The reference services that enforce a `capacity:` themselves.
CAPACITY_SERVICES = {"orders"}
# The zone of world-wide names (``kv.global.<domain>``: the store's current primary),
# served by every region's CoreDNS; so no region may take the name.
GLOBAL_ZONE = "global"
MAX_REGIONS = 8
MAX_SERVICES = 200
DNS_PROXY_BASE = 15300  # 15300 + view index: DNS through Toxiproxy, for slow answers
DNS_PROXY_PORTS = range(DNS_PROXY_BASE, DNS_PROXY_BASE + 16)  # views: regions + host <= 16
# The address plan (render/plan.py) puts service k at .40 + k, above every fixed address.
SERVICE_HOST_BASE = 40
# Docker's bridge networks need private ranges; anything else shadows real addresses.
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                          "192.168.0.0/16"))
PORT = Field(ge=1, le=65535)
# Bounds of a capacity: beyond them the gate's own threads, not the limit, would decide.
MAX_IN_FLIGHT = 10_000
MAX_OPS_PER_SECOND = 1_000_000


def check_label(value: str, what: str) -> str:
    problem = label_problem(value, what)
    if problem:
        raise ValueError(problem)
    return value


RegionName = Annotated[str, AfterValidator(lambda v: check_label(v, "region name"))]


def check_with(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    """A pydantic validator from one of `chaoskit.names`' ``*_problem`` functions."""
    def check(value: str) -> str:
        found = problem(value)
        if found:
            raise ValueError(found)
        return value
    return check


ImageRef = Annotated[str, AfterValidator(check_with(image_problem))]
EnvName = Annotated[str, AfterValidator(check_with(env_name_problem))]
UrlPath = Annotated[str, AfterValidator(check_with(url_path_problem))]
Port = Annotated[int, PORT]


class Images(BaseModel):
    """Container images; each overridable by environment variable (see `chaoskit.images`)."""

    model_config = ConfigDict(extra="forbid")

    coredns: ImageRef | None = None
    toxiproxy: ImageRef | None = None
    kv: ImageRef | None = None
    python: ImageRef | None = None


WhenFull = Literal["shed", "slow"]


class Capacity(BaseModel):
    """How much an endpoint takes before it sheds load or slows down (docs/capacity.md).

    ``in_flight``: requests (the store: client connections, like Redis's ``maxclients``)
    served at once; ``ops_per_second``: requests (the store: commands) started per second.
    Beyond either, ``when_full: shed`` answers at once with an error (HTTP 503, a Redis
    error reply), ``slow`` makes the request wait its turn (at most `MAX_WAIT` seconds).
    """

    model_config = ConfigDict(extra="forbid")

    in_flight: int | None = Field(default=None, description="At most this many at once.")
    ops_per_second: float | None = Field(default=None, description="At most this many a second.")
    when_full: WhenFull = Field(default="shed", description="shed (fast error) or slow (queue).")

    @field_validator("in_flight", mode="before")
    @classmethod
    def _in_flight(cls, v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v > MAX_IN_FLIGHT:
            raise ValueError(f"capacity in_flight must be a whole number from 1 to {MAX_IN_FLIGHT}, "
                             f"got {v!r}")
        return v

    @field_validator("ops_per_second", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> Any:
        if (isinstance(v, bool) or not isinstance(v, int | float) or not v > 0
                or v > MAX_OPS_PER_SECOND):
            raise ValueError(f"capacity ops_per_second must be a positive number of at most "
                             f"{MAX_OPS_PER_SECOND}, got {v!r}")
        return v

    @model_validator(mode="after")
    def _something(self) -> Capacity:
        if self.in_flight is None and self.ops_per_second is None:
            raise ValueError("a capacity gives in_flight, ops_per_second or both")
        return self

    def env(self, prefix: str) -> dict[str, str]:
        """The capacity as ``<prefix>_IN_FLIGHT``... variables for the programs in the world."""
        out: dict[str, str] = {f"{prefix}_WHEN_FULL": self.when_full}
        if self.in_flight is not None:
            out[f"{prefix}_IN_FLIGHT"] = str(self.in_flight)
        if self.ops_per_second is not None:
            out[f"{prefix}_OPS_PER_SECOND"] = f"{self.ops_per_second:g}"
        return out


class KV(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = Field(default=6379, ge=1, le=65535)
    capacity: Capacity | None = Field(
        default=None, description="Enforced by a gate in front of each region's store.")


class Service(BaseModel):
    """A dependent service, run in every region.

    Without `image`, the service runs chaoskit's reference implementation of the
    same name from the services image (only ``orders`` exists). A team's own
    service gives its `image`, or `build`: a folder with a Dockerfile (relative to
    the topology file) that `chaoskit up` builds locally, no registry needed; and
    optionally `command`, `env`, `health_path`.
    `uses` lists the endpoints it depends on; chaoskit passes their DNS names in
    ``CHAOSKIT_ENDPOINT_<NAME>`` (its own region) and ``CHAOSKIT_ENDPOINTS_<NAME>``
    (every region, its own first) and points its resolver at its region's CoreDNS.
    """

    model_config = ConfigDict(extra="forbid")

    port: int = Field(default=8080, ge=1, le=65535)
    image: ImageRef | None = None
    build: str | None = Field(default=None, min_length=1, max_length=1000)
    command: list[str] | None = None
    env: dict[EnvName, str] = Field(default_factory=dict)
    uses: list[str] = Field(default_factory=list)
    health_path: UrlPath = "/health"
    capacity: Capacity | None = Field(
        default=None, description="Enforced by the reference services themselves.")


class HostPorts(BaseModel):
    """Pinned host ports for one region (127.0.0.1); any not given is chosen free."""

    model_config = ConfigDict(extra="forbid")

    dns: int | None = Field(default=None, ge=1, le=65535)
    toxiproxy: int | None = Field(default=None, ge=1, le=65535)
    agent: int | None = Field(default=None, ge=1, le=65535)
    endpoints: dict[str, Port] = Field(default_factory=dict)


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
    #: Where relative `build:` contexts start: the topology file's folder.
    base: Path = Path(".")

    def build_context(self, service: str) -> Path | None:
        """The folder `service` is built from (its `build:`), or None when it gives an image."""
        build = self.model.services[service].build
        return None if build is None else (self.base / build).resolve()

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

    def service_problem(self, name: object) -> str | None:
        """Why `name` is not one of this world's services (with a did-you-mean); None if it is.

        The one check of a service name a user gives (``chaoskit deps SERVICE``, a sweep).
        """
        services = list(self.model.services)
        if isinstance(name, str) and name in services:
            return None
        shown = repr(name) if len(repr(name)) <= 50 else repr(name)[:47] + "..."
        if not services:
            return f"unknown service {shown}: this world has no services"
        return f"unknown service {shown}; {suggest(name, services, show_all=len(services))}"

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
    return suggest(word, choices, show_all=len(choices))


def _semantic_problems(m: TopologyModel, src: Source, base: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, r in enumerate(m.regions):
        if r in seen:
            problems.append(Problem(f"duplicate region {r!r}", src.where(("regions", i))))
        if r == GLOBAL_ZONE:
            problems.append(Problem(f"region name {r!r} is reserved for world-wide names "
                                    f"(kv.{GLOBAL_ZONE}.{m.domain})", src.where(("regions", i))))
        seen.add(r)
        if r in RESERVED:
            problems.append(Problem(f"region name {r!r} is reserved by chaoskit "
                                    f"(names it uses: {', '.join(sorted(RESERVED))})",
                                    src.where(("regions", i))))
    endpoints = ["kv", *m.services]
    ports: dict[int, str] = {m.kv.port: "kv"}
    if m.kv.port in RESERVED_PORTS:
        problems.append(Problem(f"kv port {m.kv.port} is reserved for {RESERVED_PORTS[m.kv.port]}",
                                src.where(("kv", "port"))))
    elif m.kv.port in DNS_PROXY_PORTS:
        problems.append(Problem(f"kv port {m.kv.port} is reserved for DNS through Toxiproxy "
                                f"({DNS_PROXY_PORTS.start}-{DNS_PROXY_PORTS.stop - 1})",
                                src.where(("kv", "port"))))
    if len(m.services) > MAX_SERVICES:
        problems.append(Problem(f"at most {MAX_SERVICES} services, got {len(m.services)}",
                                src.where(("services",))))
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
        elif svc.port in RESERVED_PORTS or svc.port in DNS_PROXY_PORTS:
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
        if svc.image is not None and svc.build is not None:
            problems.append(Problem(f"service {name!r} gives both image and build; give one",
                                    src.where(("services", name, "build"))))
        if svc.build is not None and base is not None:
            context = base / svc.build
            try:
                is_dir, has_dockerfile = context.is_dir(), (context / "Dockerfile").is_file()
            except (OSError, ValueError):  # a NUL byte, a name too long: no such folder
                is_dir = has_dockerfile = False
            if not is_dir:
                problems.append(Problem(
                    f"build context {svc.build!r} of service {name!r} is not a folder "
                    f"({context.resolve()} not found)",
                    src.where(("services", name, "build")),
                    "the path is relative to the topology file's folder"))
            elif not has_dockerfile:
                problems.append(Problem(
                    f"build context {svc.build!r} of service {name!r} has no Dockerfile",
                    src.where(("services", name, "build"))))
        if svc.capacity is not None and (svc.image is not None or svc.build is not None
                                         or name not in CAPACITY_SERVICES):
            problems.append(Problem(
                f"service {name!r}: capacity is enforced by chaoskit's reference service "
                f"({', '.join(sorted(CAPACITY_SERVICES))}) only; chaoskit cannot see this "
                "service's requests", src.where(("services", name, "capacity")),
                "limit it in the service itself, or give the store a capacity (kv: capacity:)"))
        if svc.image is None and svc.build is None and name not in BUILTIN_SERVICES:
            problems.append(Problem(
                f"service {name!r} has no image; built-in implementations: "
                f"{', '.join(sorted(BUILTIN_SERVICES))}",
                where, "give image: or build: (and command:) for your own service"))
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
    if not problems:  # names are labels and unique by now: look for what they compose to
        problems.extend(_collisions(m, src))
    problems.extend(_subnet_problems(m, src))
    return problems


def _collisions(m: TopologyModel, src: Source) -> list[Problem]:
    """Names that are fine alone but compose to the same container or proxy name."""
    problems: list[Problem] = []
    containers: dict[str, str] = {"tools": "chaoskit's tools", "reaper": "chaoskit's reaper"}
    for r in m.regions:
        for role in ("coredns", "toxiproxy", "kv", "agent"):
            containers[f"{role}-{r}"] = f"chaoskit's {role} of region {r!r}"
    for name in m.services:
        for r in m.regions:
            mine = f"service {name!r} in region {r!r}"
            taken = containers.setdefault(f"{name}-{r}", mine)
            if taken != mine:
                problems.append(Problem(f"{mine} and {taken} would both be container "
                                        f"'{name}-{r}'; rename one", src.where(("services", name))))
    # Every CoreDNS holds zones/<view>.db and zones/global-<view>.db for every view.
    views = [*m.regions, HOST_VIEW]
    for i, r in enumerate(m.regions):
        if any(r == f"{GLOBAL_ZONE}-{v}" for v in views):
            problems.append(Problem(f"region name {r!r} is the name of chaoskit's file for the "
                                    f"{GLOBAL_ZONE} zone of another view; rename it",
                                    src.where(("regions", i))))
    # Every region's Toxiproxy holds one proxy per endpoint and one per DNS view.
    proxies = {f"dns-{v}" for v in [*m.regions, HOST_VIEW]}
    for name in m.services:
        if name in proxies:
            problems.append(Problem(f"service name {name!r} is the name of chaoskit's proxy for "
                                    "DNS answers of that view; rename it", src.where(("services", name))))
    return problems


def plan_hosts_needed(regions: int, services: int) -> int:
    """Addresses a region's subnet needs under render/plan.py's layout (broadcast included)."""
    highest = max(30, 20 + regions - 1, SERVICE_HOST_BASE + services - 1 if services else 0)
    return highest + 2


def _subnet_problems(m: TopologyModel, src: Source) -> list[Problem]:
    problems: list[Problem] = []
    if not m.subnets:
        return problems
    given: dict[str, ipaddress.IPv4Network] = {}
    needed = plan_hosts_needed(len(m.regions), len(m.services))
    for region, text in m.subnets.items():
        where = src.where(("subnets", region))
        if region not in m.regions:
            problems.append(Problem(f"subnet for unknown region {region!r}; {_suggest(region, m.regions)}",
                                    src.where(("subnets", region), key=True)))
            continue
        shown = repr(text) if len(text) <= 45 else repr(text[:42]) + "..."
        if ":" in text:
            problems.append(Problem(f"subnet {shown} of region {region!r}: IPv6 is not supported, "
                                    "give an IPv4 range such as 10.213.7.0/24", where))
            continue
        try:
            if "/" not in text:
                raise ValueError("give a prefix length, e.g. /24")
            net = ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            reason = str(exc) if len(str(exc)) <= 80 else "not an IPv4 network"
            problems.append(Problem(f"subnet {shown} of region {region!r} is not an IPv4 network "
                                    f"such as 10.213.7.0/24: {reason}", where))
            continue
        if not any(net.subnet_of(p) for p in PRIVATE_RANGES):
            special = ("loopback" if net.overlaps(ipaddress.IPv4Network("127.0.0.0/8")) else
                       "link-local" if net.is_link_local else "multicast" if net.is_multicast else
                       "reserved" if net.is_reserved or net.overlaps(ipaddress.IPv4Network("0.0.0.0/8"))
                       else "public")
            problems.append(Problem(
                f"subnet {net} of region {region!r} is {special}; a region's network must be in a "
                f"private range ({', '.join(map(str, PRIVATE_RANGES))})", where))
            continue
        if net.num_addresses < needed:
            problems.append(Problem(
                f"subnet {net} of region {region!r} has {net.num_addresses} addresses; this world "
                f"needs {needed} (a /{32 - (needed - 1).bit_length()} or larger)", where))
            continue
        for other, onet in given.items():
            if net.overlaps(onet):
                problems.append(Problem(f"subnet {net} of region {region!r} overlaps {onet} of "
                                        f"region {other!r}", where))
        given[region] = net
    missing = [r for r in m.regions if r not in m.subnets]
    if missing:
        problems.append(Problem(f"subnets: give one for every region or none; missing: "
                                f"{', '.join(missing)}", src.where(("subnets",), key=True)))
    return problems


def parse_topology(text: str, name: str = "<topology>", base: str | Path = ".") -> Topology:
    """A topology from text; `build:` contexts are relative to `base` (and must exist there)."""
    src, problems = parse_yaml(text, name)
    return _build(src, problems, Path(base), check_builds=True)


def load_topology(
    path: str | Path | None = None, *, base: str | Path | None = None, check_builds: bool = True
) -> Topology:
    """Load and validate a topology file (the default one when `path` is None).

    `build:` contexts are relative to `base` (default: the file's folder); with
    `check_builds` each must be a folder with a Dockerfile. A world reopened from its
    saved copy passes the original folder and does not check (it may be gone by `down`).
    """
    file = Path(path or DEFAULT_TOPOLOGY_PATH)
    src, problems = read_yaml(file, "topology")
    return _build(src, problems, Path(base) if base is not None else file.parent, check_builds=check_builds)


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


def _build(src: Source, problems: list[Problem], base: Path, *, check_builds: bool) -> Topology:
    if problems:
        raise TopologyError(problems)
    data: Any = src.data if src.data is not None else {}
    if not isinstance(data, dict):
        raise TopologyError([Problem("a topology must be a mapping", src.where(()))])
    try:
        model = TopologyModel.model_validate(data)
    except ValidationError as exc:
        raise TopologyError(validation_problems(exc, src, TopologyModel)) from None
    semantic = _semantic_problems(model, src, base if check_builds else None)
    if semantic:
        raise TopologyError(semantic)
    return Topology(model, src.name, base)
