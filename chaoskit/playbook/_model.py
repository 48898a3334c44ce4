"""The playbook: a story, a steady state, a workload, a method, expectations, rollbacks.

The shape is Chaos Toolkit's (steady-state hypothesis, method, rollbacks),
with one difference users of it will notice: rollbacks always run, whether
the method finished, a stop condition fired or the run was interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from chaoskit.playbook._probes import Probe
from chaoskit.playbook._steps import InjectSpec, InjectStep, Step, WaitStep
from chaoskit.playbook._values import Duration, Slug, Threshold, WorkloadTargetName
from chaoskit.workload import Operations

Exit = Literal["failover", "retries", "breaker", "stale-cache", "write-queue"]
Load = Literal["default", "naive", "resilient"]


class ServiceConfig(BaseModel):
    """How a service of the world is configured when the run starts."""

    model_config = ConfigDict(extra="forbid")

    exits: Literal["none"] | list[Exit] | None = Field(
        default=None,
        description=(
            "The emergency exits the reference service may take when a dependency fails: "
            "`none`, or a list of failover, retries, breaker, stale-cache, write-queue. "
            "Default: the service's own default."
        ),
    )
    load: Load | None = Field(
        default=None,
        description=(
            "How the reference service's retries, replay queue and load shedding behave: "
            "`default`, `naive` (retries without backoff, an unbounded replay queue) or "
            "`resilient` (jittered backoff, a retry budget, a bounded queue, load shedding). "
            "Default: the service's own setting."
        ),
    )

    @field_validator("exits")
    @classmethod
    def _distinct(cls, exits: Any) -> Any:
        if isinstance(exits, list) and len(set(exits)) != len(exits):
            raise ValueError("lists the same exit twice")
        return exits


class Mix(BaseModel):
    """The share of writes and reads; they add up to 1."""

    model_config = ConfigDict(extra="forbid")

    write: float = Field(default=0.5, ge=0, le=1)
    read: float = Field(default=0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _sum(self) -> Mix:
        if abs(self.write + self.read - 1) > 1e-6:
            raise ValueError(f"write + read must be 1, got {self.write + self.read:g}")
        return self


class RateStep(BaseModel):
    """From `at` (since the method's start) on, the workload runs at `rate`."""

    model_config = ConfigDict(extra="forbid")

    at: Duration = Field(description="When the rate changes, from the method's start.")
    rate: float = Field(gt=0, le=5000, description="Operations per second from then on.")


class Workload(BaseModel):
    """Clients that drive a service for the whole method and record every operation.

    The workload starts just before the method (time 0) and stops when the
    method is done plus `settle`, or after `duration` if that is given. With
    `final_read`, each client reads the whole set at the end so lost writes
    can be counted.
    """

    model_config = ConfigDict(extra="forbid")

    target: WorkloadTargetName = Field(
        description=(
            "What the clients drive: a service of the topology (over HTTP, by its "
            "`operations`; `orders` has them built in), `kv` (the store itself), or a "
            "Python class `package.module:Class` that speaks any protocol (with `service`)."
        )
    )
    operations: Operations | None = Field(
        default=None,
        description=(
            "How a write, a read and (optionally) the final list are sent to the service: "
            "method, path, body, headers, statuses; text may hold {id}, {region}, {seq}."
        ),
    )
    service: Slug | None = Field(
        default=None,
        description="For a class target: the service (or kv) whose address in each region it gets.",
    )
    regions: list[str] | None = Field(
        default=None, min_length=1, description="Whose clients run; default: every region's."
    )
    rate: float = Field(gt=0, le=5000, description="Operations per second, all clients together.")
    rate_steps: list[RateStep] = Field(
        default_factory=list,
        description=(
            "Later rates, in order: e.g. [{at: 40s, rate: 2}] cuts the load at 40 s "
            "(a metastable overload ends only when load is cut)."
        ),
    )
    mix: Mix = Field(default_factory=Mix)
    concurrency: int = Field(default=4, ge=1, le=256, description="Operations in flight at most.")
    timeout: Duration = Field(default=1.0, description="A slower operation is `unknown`.")
    final_read: bool = Field(default=True, description="Read the whole set at the end.")
    failover: bool = Field(
        default=False,
        description=(
            "Clients retry a failed request in the next region, as behind a global load "
            "balancer or DNS failover (HTTP services; writes must be idempotent by id)."
        ),
    )
    settle: Duration | None = Field(
        default=None, description="Keep running this long after the method is done."
    )
    duration: Duration | None = Field(
        default=None,
        description="Run exactly this long from the method's start (instead of until it is done).",
    )

    @model_validator(mode="after")
    def _one_end(self) -> Workload:
        if self.settle is not None and self.duration is not None:
            raise ValueError("give `settle` or `duration`, not both: `duration` fixes when it stops")
        if self.regions is not None and len(set(self.regions)) != len(self.regions):
            raise ValueError("regions lists the same region twice")
        ats = [s.at for s in self.rate_steps]
        if any(a <= 0 for a in ats) or ats != sorted(set(ats)):
            raise ValueError("rate_steps must be in order of `at`, each after 0 s and at its own time")
        if self.duration is not None and ats and ats[-1] >= self.duration:
            raise ValueError(f"a rate step at {ats[-1]:g} s comes after the workload's "
                             f"duration ({self.duration:g} s)")
        is_class = ":" in self.target
        if is_class and self.service is None:
            raise ValueError(
                f"target {self.target!r} is a class: give `service`, whose address in each region it gets"
            )
        if not is_class and self.service is not None:
            raise ValueError("`service` goes with a class target (package.module:Class)")
        if self.operations is not None and (is_class or self.target == "kv"):
            raise ValueError(f"`operations` are for HTTP services; target {self.target!r} has its own")
        if self.failover and (is_class or self.target == "kv"):
            raise ValueError("`failover` is for HTTP services")
        return self


class StopCondition(BaseModel):
    """A guard: `probe` runs every `every` while the method runs; after
    `failures` failures in a row the run aborts, and every fault is reverted."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    every: Duration = Field(description="How often the guard probe runs.")
    failures: int = Field(default=1, ge=1, le=100, description="Failures in a row that abort.")
    probe: Probe


class Playbook(BaseModel):
    """A chaos experiment that replays a failure mode, as a YAML file.

        version: 1
        name: kv-dns-empty-record
        workload: {target: orders, rate: 20}
        method:
          - at: 5s
            inject: {fault: dns.nodata, target: kv.us-east-1.chaoskit.internal, for: 15s}
        expectations: {rto: 10s, error_rate: 5%, lost_writes: 0}

    Load one with `load_playbook`, which validates it all and raises
    `PlaybookError` with every problem found.
    """

    model_config = ConfigDict(extra="forbid", title="chaoskit playbook")

    version: Literal[1] = Field(description="The playbook format's version.")
    name: Slug = Field(description="A short name: lower-case letters, digits, '-'.")
    title: str | None = Field(default=None, description="One line for reports.")
    story: str = Field(default="", description="The real failure this replays, and why it matters.")
    tags: list[Slug] = Field(default_factory=list)
    topology: str | None = Field(
        default=None,
        description="A topology YAML, relative to this file; default: the built-in two regions.",
    )
    services: dict[str, ServiceConfig] = Field(
        default_factory=dict, description="Configuration applied to services at start, by name."
    )
    steady_state: list[Probe] = Field(
        default_factory=list, description="Probes that must pass before and after the method."
    )
    workload: Workload | None = None
    method: list[Step] = Field(min_length=1, description="The timed steps of the experiment.")
    stop_conditions: list[StopCondition] = Field(
        default_factory=list, description="Guards that abort the run (and revert) when they fail."
    )
    expectations: dict[str, Threshold] = Field(
        default_factory=dict,
        description=(
            "What counts as a pass: expectation name -> upper bound (e.g. rto: 10s, "
            "error_rate: 5%, lost_writes: 0), judged by chaoskit.checks; `during: <fault id>` "
            "picks the fault window (default: the first injected fault)."
        ),
    )
    rollbacks: list[Step] = Field(
        default_factory=list, description="Steps that always run at the end, in order."
    )

    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file this playbook was loaded from, if any."""
        return self._path

    @property
    def topology_path(self) -> Path | None:
        """`topology` resolved against the playbook's folder; None for the default topology."""
        if self.topology is None:
            return None
        base = self._path.parent if self._path is not None else Path.cwd()
        return base / self.topology

    @property
    def faults(self) -> list[InjectSpec]:
        """The faults the method injects, in order (each with an `id`)."""
        return [step.inject for step in self.method if isinstance(step, InjectStep)]

    @property
    def method_span(self) -> float:
        """Seconds from the method's start until its last step and fault are done (as declared)."""
        t, end = 0.0, 0.0
        for step in self.method:
            t = step.at if step.at is not None else t
            if isinstance(step, InjectStep) and step.inject.duration:
                end = max(end, t + step.inject.duration)
            if isinstance(step, WaitStep):
                t += step.wait
            end = max(end, t)
        return end

    @property
    def planned_end(self) -> float:
        """About when a run's workload ends: the method span plus settle (or its duration)."""
        w = self.workload
        if w is None:
            return self.method_span
        return w.duration if w.duration else self.method_span + (w.settle or 0)

    @property
    def thresholds(self) -> dict[str, int | float | str]:
        """The expectations but `during`, as written (`chaoskit.checks.evaluate` reads them)."""
        return {k: v for k, v in self.expectations.items() if k != "during"}

    @property
    def judged_fault(self) -> str | None:
        """The id of the fault whose window the expectations judge: `during`, else the first."""
        during = self.expectations.get("during")
        if isinstance(during, str):
            return during
        return self.faults[0].id if self.faults else None

    @model_validator(mode="after")
    def _name_faults(self) -> Playbook:
        # Every fault gets an id, so events, reverts and checks can name it: <family>-<n>.
        taken = {f.id for f in self.faults if f.id}
        counts: dict[str, int] = {}
        for fault in self.faults:
            if fault.id is None:
                family = fault.fault.split(".")[0] or "fault"
                while True:
                    counts[family] = counts.get(family, 0) + 1
                    candidate = f"{family}-{counts[family]}"
                    if candidate not in taken:
                        break
                fault.id = candidate
                taken.add(candidate)
        return self
