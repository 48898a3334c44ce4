"""The value types playbook fields share: durations, offsets, thresholds, names.

Each is an `Annotated` type whose validator raises a pydantic error with a
message fit for a user, and whose JSON Schema says what an editor should accept.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from chaoskit.faults.spec import _DURATION, parse_duration


def _error(kind: str, reason: str) -> PydanticCustomError:
    # The reason goes in the context: user text may hold braces, which a template would format.
    return PydanticCustomError(kind, "{reason}", {"reason": reason})


def short(value: Any) -> str:
    """`value`'s repr, cut to fit in a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- durations ---------------------------------------------------------------------------------

# What parse_duration reads (its own pattern, so the schema cannot drift from it).
_DURATION_PATTERN = _DURATION.pattern
_ZERO = re.compile(r"^\s*0+(\.0+)?\s*(ms|s|m|h)?\s*$")


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
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    if isinstance(value, str) and _ZERO.match(value):
        return 0.0
    return to_seconds(value)


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

SLUG_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
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

# Fault ids may also hold '.' and '_' (``kv-dns``, ``dns.nodata-1``) but nothing that needs quoting.
ID_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,62})$"
_ID = re.compile(ID_PATTERN)


def _to_id(value: Any) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _error(
            "fault_id",
            f"{short(value)} is not an id: use letters, digits, '.', '_' and '-' (at most 63)",
        )
    return value


FaultId = Annotated[
    str,
    BeforeValidator(_to_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "maxLength": 63}),
]


_LABEL_RE = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_LABEL = re.compile(_LABEL_RE)


def dns_name_problem(name: str, *, wildcard: bool = True) -> str | None:
    """Why `name` is not a DNS name (or ``*.`` pattern) safe for CoreDNS; None if it is.

    Labels are ``[a-z0-9-]``, 1-63 characters, not starting or ending with '-';
    the whole name is at most 253 characters; one trailing '.' is allowed. The
    names are written into CoreDNS configuration, so anything else (spaces,
    newlines, braces, quotes) is refused rather than escaped.
    """
    if not name:
        return "a DNS name cannot be empty"
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "-.*"))})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        return f"{name!r} is not a DNS name: it contains {shown}"
    if name != name.lower():
        return f"{name!r} is not a DNS name here: write it in lower case"
    body = name[:-1] if name.endswith(".") else name
    if len(body) > 253:
        return f"DNS name is {len(body)} characters long; at most 253 are allowed"
    labels = body.split(".")
    if labels[0] == "*":
        if not wildcard:
            return f"{name!r}: a wildcard is not allowed here, name one host"
        labels = labels[1:]
        if not labels:
            return f"{name!r}: a wildcard needs a domain after '*.', e.g. *.chaoskit.internal"
    for label in labels:
        if label == "":
            return f"{name!r} is not a DNS name: it has an empty label ('..' or a leading '.')"
        if "*" in label:
            return f"{name!r}: '*' is only allowed as the whole first label ('*.example')"
        if len(label) > 63:
            return f"{name!r}: label {label[:20]!r}... is longer than 63 characters"
        if not _LABEL.fullmatch(label):
            return f"{name!r}: label {label!r} must not start or end with '-'"
    return None


def host_problem(host: str) -> str | None:
    """Why `host` is neither an IP address nor a DNS name; None if it is one."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return dns_name_problem(host, wildcard=False)
    return None


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
            "pattern": rf"^({_LABEL_RE}\.)*{_LABEL_RE}\.?$",
            "examples": ["kv.us-east-1.chaoskit.internal"],
        }
    ),
]
"""A host name to query (no wildcard)."""
