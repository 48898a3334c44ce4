"""What a fault is, as a value: kind, target, parameters, an optional duration.

The same `FaultSpec` comes from the CLI (`chaoskit inject ...`), from a
playbook step (`inject:`) and from Python. Fault families register their kinds
in `chaoskit.faults.registry`; the playbook schema, the CLI and the docs all
read that one registry.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A fault may never outlive this, whatever its spec says (the reaper enforces it).
MAX_DURATION_S = 24 * 3600.0
DEFAULT_MAX_DURATION_S = 600.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """'500ms', '30s', '2m', '1h' or a number of seconds -> seconds (> 0, <= 24 h).

    Raises ValueError with a message fit for a user.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError(f"duration {str(value)[:20]}... is longer than the 24 h limit") from None
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 500ms, 30s, 2m)")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"not a duration: {value!r}")
    if not seconds > 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration {value!r} is longer than the 24 h limit")
    return seconds


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
