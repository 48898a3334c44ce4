"""What a playbook is checked against, read from the modules that own it.

Fault kinds come from `chaoskit.faults.registry`, expectation names from
`chaoskit.checks`, regions and endpoints from `chaoskit.topology`. Each is
imported when needed, so the playbook package does not pull in the world;
while an owner module is missing, the fallbacks here stand in for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from chaoskit.errors import Problem, UserError
from chaoskit.yamlsource import read_yaml

FALLBACK_FAULTS = (
    "dns.nxdomain", "dns.servfail", "dns.refused", "dns.nodata", "dns.timeout", "dns.slow",
    "dns.wrong-answer", "dns.ttl", "dns.truncate",
    "net.latency", "net.bandwidth", "net.slow-close", "net.timeout", "net.reset-peer",
    "net.slicer", "net.limit-data", "net.down", "net.partition",
    "container.stop", "container.kill", "container.pause", "container.restart",
    "container.disconnect",
    "region.outage", "dependency.outage", "brownout",
)  # fmt: skip
FALLBACK_EXPECTATIONS = (
    "rto", "recovery_time", "error_rate", "lost_writes", "stale_reads", "p99_latency", "rpo",
)  # fmt: skip
DEFAULT_REGIONS = ("us-east-1", "us-west-2")
DEFAULT_ENDPOINTS = ("kv", "orders")


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def fault_names() -> list[str]:
    """Every fault kind the registry knows (or the fallback list while there is none)."""
    registry = _module("chaoskit.faults.registry")
    names = getattr(registry, "names", None)
    if callable(names):
        try:
            return sorted(str(n) for n in names())
        except Exception:  # a registry whose families do not import yet: use the fallback
            pass
    return list(FALLBACK_FAULTS)


def fault_checker() -> Callable[[Any, Any, str], list[Problem]] | None:
    """The registry's own check of a fault spec against a topology, when there is one.

    It knows each kind's parameters and what its target means (an endpoint,
    ``replication``, a region...); the returned function never raises.
    """
    registry = _module("chaoskit.faults.registry")
    check = getattr(registry, "check_spec", None)
    if not callable(check):
        return None

    def checked(spec: Any, topology: Any, where: str) -> list[Problem]:
        try:
            found = check(spec, topology, where=where)
        except UserError as exc:
            return list(exc.problems)
        except Exception as exc:  # the registry's bug must not become the user's traceback
            message = f"the fault registry could not check this fault: {type(exc).__name__}: {exc}"
            return [Problem(message, where)]
        return [p if isinstance(p, Problem) else Problem(str(p), where) for p in (found or [])]

    return checked


def expectation_names() -> list[str]:
    """The expectations `chaoskit.checks` can judge (or the fallback list while it is missing)."""
    checks = _module("chaoskit.checks")
    known = getattr(checks, "known_expectations", None)
    if callable(known):
        try:
            return sorted(str(n) for n in known())
        except Exception:  # a broken checks module: judge names by the fallback
            pass
    return list(FALLBACK_EXPECTATIONS)


def expectation_problems(name: str, bound: Any) -> list[Problem]:
    """What `chaoskit.checks` finds wrong with one bound (its problems carry no position)."""
    checks = _module("chaoskit.checks")
    parse = getattr(checks, "parse_expectations", None)
    if not callable(parse):
        return []
    try:
        parse({name: bound})
    except UserError as exc:
        return list(exc.problems)
    except OverflowError:
        return [Problem(f"{name}: {bound!r} is out of range")]
    except Exception as exc:  # the checks' bug must not become the user's traceback
        return [Problem(f"{name}: chaoskit.checks could not read {bound!r}: {exc}")]
    return []


@dataclass(frozen=True)
class TopologyNames:
    """The names a playbook may use: regions, and endpoints or services.

    `model` is `chaoskit.topology`'s own model when that module loaded the
    topology (the fault registry checks specs against it), else None.
    """

    regions: tuple[str, ...]
    endpoints: tuple[str, ...]
    model: Any = None


def load_topology_names(path: Path | None) -> tuple[TopologyNames | None, list[Problem]]:
    """The topology at `path` (None: the default), or None and the problems that stop it loading.

    Remembered while the file is unchanged: validating many playbooks reads one topology.
    """
    topology = _module("chaoskit.topology")
    file = path or getattr(topology, "DEFAULT_TOPOLOGY_PATH", None)
    try:
        stat = Path(file).stat() if file else None
        key = (str(file), stat.st_mtime_ns, stat.st_size) if stat else None
    except (OSError, ValueError):
        key = None
    if key is not None and key in _LOADED:
        names, problems = _LOADED[key]
        return names, list(problems)
    found = _load_topology_names(topology, path)
    if key is not None:
        _LOADED[key] = found
    return found[0], list(found[1])


_LOADED: dict[tuple[str, int, int], tuple[TopologyNames | None, list[Problem]]] = {}


def _load_topology_names(
    topology: ModuleType | None, path: Path | None
) -> tuple[TopologyNames | None, list[Problem]]:
    loader = getattr(topology, "load_topology" if path else "default_topology", None)
    if not callable(loader):
        return _fallback(path)
    try:
        model = loader(path) if path else loader()
    except UserError as exc:
        return None, list(exc.problems)
    except Exception as exc:  # the topology loader's bug must not become the user's traceback
        where = str(path) if path else ""
        return None, [Problem(f"the topology loader failed: {type(exc).__name__}: {exc}", where)]
    regions = _names(getattr(model, "regions", ()))
    endpoints = _names(getattr(model, "endpoints", ())) + _names(getattr(model, "services", ()))
    return TopologyNames(tuple(regions), tuple(dict.fromkeys(endpoints)), model), []


def _names(items: Any) -> list[str]:
    # The topology model's collections may be names, or objects or a mapping keyed by name.
    if isinstance(items, dict):
        return [str(k) for k in items]
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        return []
    out = []
    for item in items:
        name = item if isinstance(item, str) else getattr(item, "name", None)
        if isinstance(name, str):
            out.append(name)
    return out


def _fallback(path: Path | None) -> tuple[TopologyNames | None, list[Problem]]:
    """Only the names, read without `chaoskit.topology`: ``regions:`` and ``services:``."""
    if path is None:
        return TopologyNames(DEFAULT_REGIONS, DEFAULT_ENDPOINTS), []
    src, problems = read_yaml(path)
    if problems:
        return None, problems
    data = src.data if isinstance(src.data, dict) else {}
    regions = data.get("regions", list(DEFAULT_REGIONS))
    services = data.get("services", {})
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions) or not regions:
        return None, [Problem("regions: expected a list of region names", src.where(("regions",)))]
    if not isinstance(services, dict):
        return None, [Problem("services: expected a mapping of service names", src.where(("services",)))]
    endpoints = dict.fromkeys([*DEFAULT_ENDPOINTS, *(str(s) for s in services)])
    return TopologyNames(tuple(regions), tuple(endpoints)), []
