"""Steps: what the method (and the rollbacks) do, one mapping each.

A step is a mapping with exactly one kind key (``inject``, ``revert``,
``wait``, ``probe``, ``note``, ``manual``) and, in the method, an optional
``at``. A step with ``at`` starts that long after the method started; a step
without it starts when the step before it is done. Only ``wait``, ``probe``
and ``manual`` steps take time: an injected fault runs in the background.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from chaoskit.faults.spec import FaultSpec
from chaoskit.playbook._probes import Probe
from chaoskit.playbook._values import Duration, FaultId, Offset

_FIELD_DOCS = {
    "fault": "family.kind, e.g. dns.nodata, net.latency, region.outage (see `chaoskit faults`).",
    "target": "A DNS name or pattern (dns.*), a region (region.*), else an endpoint or service.",
    "region": "The region where the fault is applied.",
    "clients_of": "Only the clients of this region see the fault.",
    "fraction": "Only this share of connections or queries sees the fault.",
    "params": "The fault's own parameters (see `chaoskit faults`).",
}


def _describe(schema: dict[str, Any]) -> None:
    schema["description"] = "A fault to apply: its kind, target, parameters and duration."
    for name, text in _FIELD_DOCS.items():
        if name in schema.get("properties", {}):
            schema["properties"][name]["description"] = text


class InjectSpec(FaultSpec):
    """A `FaultSpec` as a playbook writes it: ``for: 15s`` rather than ``duration: 15``.

    `target` is a DNS name or pattern for ``dns.*`` faults, a region for
    ``region.*`` faults, an endpoint or service otherwise. `region` picks the
    region where the fault is applied; `clients_of` limits it to the clients of
    one region; `fraction` to that share of connections or queries.
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=False,
        validate_by_name=False,  # one spelling in files: `for`, not `duration`
        json_schema_extra=_describe,
    )

    duration: Duration | None = Field(
        default=None,
        alias="for",
        description="How long the fault lasts; without it, until reverted or the run ends.",
    )
    max_duration: Duration | None = Field(
        default=None, description="A hard bound the reaper enforces even if the run dies."
    )
    id: FaultId | None = Field(default=None, description="A name for `revert:` and `expectations.during`.")

    @field_validator("duration", "max_duration", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        # Replaces FaultSpec's validator: `Duration` parses, and reports overflow as a problem.
        return v


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Offset | None = Field(
        default=None,
        description=(
            "When the step starts, counted from the method's start (e.g. 5s). "
            "Without it the step starts when the one before it is done."
        ),
    )


class InjectStep(_Step):
    """Apply a fault. It lasts until its `for` elapses, a `revert` names its
    `id`, or the run ends (rollbacks always revert every fault)."""

    inject: InjectSpec


class RevertStep(_Step):
    """Revert the fault with this `id`, or ``all`` of them."""

    revert: FaultId = Field(description="A fault id, or `all`.")


class WaitStep(_Step):
    """Do nothing for this long (the workload keeps running)."""

    wait: Duration


ProbeExpectation = Literal["pass", "fail", "any"]


class ProbeStep(_Step):
    """Run a probe and record its result. A probe step that does not end as
    `expect` says fails the run (``pass``, the default: the probe must pass;
    ``fail``: it must fail, e.g. to show a fault is felt; ``any``: either is
    tolerated and only recorded). It does not stop the method: guard with
    `stop_conditions` for that."""

    probe: Probe
    expect: ProbeExpectation = Field(
        default="pass",
        description=(
            "What the probe must do for the run to pass: pass (default), fail, "
            "or any (a failure is tolerated and only recorded)."
        ),
    )


class NoteStep(_Step):
    """Write a line in the journal (e.g. what the audience should watch now)."""

    note: str


class ManualStep(_Step):
    """Instructions for a game day's facilitator; the run waits until they
    confirm. A non-interactive run skips it with a journal note, unless
    `required`, in which case the playbook cannot run non-interactively."""

    manual: str = Field(min_length=1, description="What the facilitator should do or check.")
    required: bool = Field(default=False, description="Refuse to run without a facilitator.")


_KINDS: dict[str, type[_Step]] = {
    "inject": InjectStep,
    "revert": RevertStep,
    "wait": WaitStep,
    "probe": ProbeStep,
    "note": NoteStep,
    "manual": ManualStep,
}
STEP_KINDS = tuple(_KINDS)


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [k for k in STEP_KINDS if k in value]
        return present[0] if len(present) == 1 else None
    for kind, cls in _KINDS.items():
        if isinstance(value, cls):
            return kind
    return None


Step = Annotated[
    Annotated[InjectStep, Tag("inject")]
    | Annotated[RevertStep, Tag("revert")]
    | Annotated[WaitStep, Tag("wait")]
    | Annotated[ProbeStep, Tag("probe")]
    | Annotated[NoteStep, Tag("note")]
    | Annotated[ManualStep, Tag("manual")],
    Discriminator(
        _kind,
        custom_error_type="step_kind",
        custom_error_message="a step needs exactly one of: " + ", ".join(STEP_KINDS),
    ),
]
"""Any step; the one kind key it holds says which."""


def step_kind(step: _Step) -> str:
    """The kind of a validated step: ``inject``, ``revert``, ..."""
    kind = _kind(step)
    assert kind is not None
    return kind
