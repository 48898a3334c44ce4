"""What a fault is, as a value: kind, target, parameters, an optional duration.

The same `FaultSpec` comes from the CLI (`chaoskit inject ...`), from a
playbook step (`inject:`) and from Python. Fault families register their kinds
in `chaoskit.faults.registry`; the playbook schema, the CLI and the docs all
read that one registry.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chaoskit.durations import parse_duration

DEFAULT_MAX_DURATION_S = 600.0


class FaultSpec(BaseModel):
    """A fault to apply.

    `fault` is ``family.kind`` (``dns.nxdomain``, ``net.latency``,
    ``container.pause``, ``region.outage``...). `target` is a DNS name or
    pattern for DNS faults, an endpoint or service for network and container
    faults, a region for region faults. `params` are checked against the
    fault's own parameter model.
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
