"""The value types playbook fields share: durations, offsets, thresholds, names.

Each is an `Annotated` type whose validator raises a pydantic error with a
message fit for a user, and whose JSON Schema says what an editor should accept.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from chaoskit.durations import DURATION_PATTERN, parse_duration, parse_offset
from chaoskit.names import DNS_NAME_PATTERN, FAULT_ID_PATTERN, LABEL_PATTERN, dns_name_problem
from chaoskit.workload import CLASS_PATTERN


def _error(kind: str, reason: str) -> PydanticCustomError:
    # The reason goes in the context: user text may hold braces, which a template would format.
    return PydanticCustomError(kind, "{reason}", {"reason": reason})


def short(value: Any) -> str:
    """`value`'s repr, cut to fit in a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- durations ---------------------------------------------------------------------------------

# What parse_duration reads (its own pattern, so the schema cannot drift from it).
_DURATION_PATTERN = DURATION_PATTERN


def to_seconds(value: Any) -> float:
    """`parse_duration`, with every failure (an overflow too) as a pydantic error."""
    try:
        return parse_duration(value)
    except OverflowError:
        # float() of a huge integer; parse_duration lets it through.
        raise _error("duration", f"duration {short(value)} is longer than the 24 h limit") from None
    except ValueError as exc:
        raise _error("duration", str(exc)) from None


def _to_offset(value: Any) -> float:
    try:
        return parse_offset(value)
    except ValueError as exc:
        raise _error("duration", str(exc)) from None


_DURATION_SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
        {"type": "string", "pattern": _DURATION_PATTERN},
    ],
    "examples": ["500ms", "15s", "2m"],
}
_OFFSET_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 86400},
        {"type": "string", "pattern": _DURATION_PATTERN},
    ],
    "examples": ["0s", "5s", "1m"],
}

Duration = Annotated[float, BeforeValidator(to_seconds), WithJsonSchema(_DURATION_SCHEMA)]
"""Seconds, written ``500ms``, ``30s``, ``2m``, ``1h`` or as a number of seconds (> 0, <= 24 h)."""

Offset = Annotated[float, BeforeValidator(_to_offset), WithJsonSchema(_OFFSET_SCHEMA)]
"""Like `Duration`, but zero is allowed: a time since the method started."""


# --- thresholds --------------------------------------------------------------------------------


def _to_threshold(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _error("threshold", f"not a threshold: {short(value)} (write e.g. 10s, 5% or 0)")
    return value


Threshold = Annotated[
    int | float | str,
    BeforeValidator(_to_threshold),
    WithJsonSchema({"type": ["number", "string"]}),
]
"""An expectation's bound as written (``10s``, ``5%``, ``0``); `chaoskit.checks` parses it."""


# --- names -------------------------------------------------------------------------------------

SLUG_PATTERN = f"^{LABEL_PATTERN}$"
_SLUG = re.compile(SLUG_PATTERN)


def _to_slug(value: Any) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise _error(
            "slug",
            f"{short(value)} is not a name: use lower-case letters, digits and '-' "
            "(at most 63, not starting or ending with '-')",
        )
    return value


Slug = Annotated[
    str,
    BeforeValidator(_to_slug),
    WithJsonSchema({"type": "string", "pattern": SLUG_PATTERN, "maxLength": 63}),
]
"""A name that is safe everywhere it ends up: file names, DNS labels, container names."""

# Fault ids are labels: they end up in Corefile comments, URLs and file names.
ID_PATTERN = f"^{FAULT_ID_PATTERN}$"
_ID = re.compile(ID_PATTERN)


def _to_id(value: Any) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _error(
            "fault_id",
            f"{short(value)} is not an id: use lower-case letters, digits and '-' (at most 63, "
            "not starting or ending with '-')",
        )
    return value


FaultId = Annotated[
    str,
    BeforeValidator(_to_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "maxLength": 63}),
]


def _to_dns_name(value: Any) -> str:
    if not isinstance(value, str):
        raise _error("dns_name", f"not a DNS name: {short(value)}")
    problem = dns_name_problem(value, wildcard=False)
    if problem:
        raise _error("dns_name", problem)
    return value


DnsName = Annotated[
    str,
    BeforeValidator(_to_dns_name),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 254,
            "pattern": f"^{DNS_NAME_PATTERN}$",
            "examples": ["kv.us-east-1.chaoskit.internal"],
        }
    ),
]
"""A host name to query (no wildcard)."""


# A workload's target: a service (a label) or a class, ``package.module:Class``.
WORKLOAD_TARGET_PATTERN = f"^({LABEL_PATTERN}|{CLASS_PATTERN.strip('^$')})$"
_WORKLOAD_TARGET = re.compile(WORKLOAD_TARGET_PATTERN)


def _to_workload_target(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 200 or not _WORKLOAD_TARGET.fullmatch(value):
        raise _error(
            "slug",
            f"{short(value)} is neither a service name (lower-case letters, digits, '-') "
            "nor a class (package.module:Class)",
        )
    return value


WorkloadTargetName = Annotated[
    str,
    BeforeValidator(_to_workload_target),
    WithJsonSchema({"type": "string", "pattern": WORKLOAD_TARGET_PATTERN, "maxLength": 200,
                    "examples": ["orders", "cart", "kv", "myteam.clients:CartClient"]}),
]
"""What a workload drives: a service of the topology, ``kv``, or ``package.module:Class``."""
