"""What a fault is, as a value: kind, target, parameters, an optional duration, an id.

The same `FaultSpec` comes from the CLI (`chaoskit inject ... --id`), from a
playbook step (`inject:`) and from Python (`Faults.inject({...})`), and is
checked here once: an id is a DNS label (``[a-z0-9-]``, at most 63), because
it becomes a Corefile comment and view name, part of a Toxiproxy URL and of
file names. `FaultSpec.parse` turns every problem into one `FaultSpecError`.
Fault families register their kinds in `chaoskit.faults.registry`.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chaoskit.durations import parse_duration
from chaoskit.errors import FaultSpecError, Problem
from chaoskit.names import fault_id_problem

DEFAULT_MAX_DURATION_S = 600.0
MAX_ID = 63


class FaultSpec(BaseModel):
    """A fault to apply.

    `fault` is ``family.kind`` (``dns.nxdomain``, ``net.latency``,
    ``container.pause``, ``region.outage``...). `target` is a DNS name or
    pattern for DNS faults, an endpoint or service for network and container
    faults, a region for region faults. `params` are checked against the
    fault's own parameter model. `id` names the fault (``[a-z0-9-]``, at most
    63 characters); without it one is generated.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    fault: str
    target: str
    region: str | None = None
    clients_of: str | None = None
    fraction: float | None = Field(default=None, gt=0, le=1)
    duration: float | None = Field(default=None, alias="for")
    max_duration: float | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None

    @field_validator("duration", "max_duration", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float | None:
        return None if v is None else parse_duration(v)

    # After the field's own validation, so a playbook's stricter id type reports first.
    @field_validator("id", mode="after")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is None:
            return None
        problem = fault_id_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @classmethod
    def parse(cls, data: FaultSpec | dict[str, Any], where: str = "") -> FaultSpec:
        """`data` as a FaultSpec, or a FaultSpecError naming every problem (nothing applied)."""
        if isinstance(data, FaultSpec):
            # model_copy and model_construct skip validation: check the id once more.
            problem = fault_id_problem(data.id) if data.id is not None else None
            if problem:
                raise FaultSpecError(problem, where=where)
            return data
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise FaultSpecError([Problem(_message(e), where) for e in exc.errors()]) from None


def _message(error: Any) -> str:
    loc = ".".join(str(x) for x in error["loc"]) or "fault"
    msg = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        msg = "unknown field"
    return f"{loc}: {msg}"


def new_id() -> str:
    """A generated fault id: ``f-`` and six hex digits, a valid label."""
    return "f-" + secrets.token_hex(3)


def derived_id(parent: str, suffix: str) -> str:
    """The id of a part of fault `parent` (``<parent>-<suffix>``), still a label of at most 63.

    A long parent is shortened and given a digest of the whole, so two parts
    of two long-named faults never share an id.
    """
    whole = f"{parent}-{suffix}"
    if len(whole) <= MAX_ID:
        return whole
    digest = hashlib.sha256(whole.encode()).hexdigest()[:8]
    keep = MAX_ID - len(digest) - 1
    return f"{whole[:keep].rstrip('-')}-{digest}"
