"""The narrow interface every fault implements, and what a fault changes.

A fault kind is a small class registered by name (``dns.nxdomain``). It does
not touch the world itself: `prepare` says what it will change (CoreDNS
blocks, toxics, disabled proxies, container actions) as plain data, which is
written to the journal *before* anything is applied; the controller applies
and reverts that data the same way for every fault, and the reaper can undo it
without chaoskit's code. `confirm` and `confirm_reverted` observe the fault
on the wire, as an independent client would.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from chaoskit.faults.spec import FaultSpec
from chaoskit.topology import Topology

if TYPE_CHECKING:
    from chaoskit.faults.context import Context


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class Change:
    """What applying a fault changes, as data the journal keeps and the reaper can undo."""

    dns_blocks: dict[str, list[str]] = field(default_factory=dict)  # region -> server blocks
    toxics: list[dict[str, Any]] = field(default_factory=list)  # region, proxy, name, type, ...
    disabled: list[dict[str, str]] = field(default_factory=list)  # region, proxy
    containers: list[dict[str, Any]] = field(default_factory=list)  # service, action, undo, ...
    # Store roles and replication links, as chaoskit.inworld.promotion applies and undoes them.
    replication: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def merge(self, other: Change) -> Change:
        blocks = {r: list(v) for r, v in self.dns_blocks.items()}
        for r, v in other.dns_blocks.items():
            blocks.setdefault(r, []).extend(v)
        return Change(blocks, self.toxics + other.toxics, self.disabled + other.disabled,
                      self.containers + other.containers, self.replication + other.replication)


class Fault(ABC):
    """One kind of fault. Subclasses set `name`, `summary` and `Params` and register."""

    name: ClassVar[str]
    family: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[BaseModel]] = NoParams
    # Which FaultSpec options the kind accepts besides target/for/id/params.
    options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, spec: FaultSpec, topology: Topology) -> None:
        self.spec = spec
        self.topology = topology
        self.params: Any = self.Params.model_validate(spec.params)

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        """Problems with `spec` beyond its parameter model (unknown names, regions...)."""
        return []

    @abstractmethod
    def prepare(self, ctx: Context) -> Change:
        """What applying this fault changes (no side effects)."""

    @abstractmethod
    def confirm(self, ctx: Context, change: Change) -> str:
        """Observe the fault in force; return evidence. Raise ConfirmTimeout if not seen."""

    @abstractmethod
    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        """Observe the baseline again; return evidence. Raise ConfirmTimeout if not seen."""

    def dns_targets(self) -> list[dict[str, str | None]]:
        """The DNS names this fault breaks, for the run's history: ``{"target": name or
        pattern, "clients_of": region, host or None}`` each; empty for a fault that breaks
        none. The checks ask whether the clients of those names asked again."""
        return []

    def describe(self) -> str:
        s = self.spec
        where = f" in {s.region}" if s.region else ""
        who = f" for clients of {s.clients_of}" if s.clients_of else ""
        frac = f" ({s.fraction:.0%} of queries)" if s.fraction else ""
        return f"{self.name} {s.target}{where}{who}{frac}"
