"""Durations as users write them (``500ms``, ``30s``, ``2m``, ``1h``, or seconds).

The one parser every entry point shares: the CLI, playbooks, topologies and
checks. Pure standard library, so any layer may import it.
"""

from __future__ import annotations

import re
from typing import Any

# Nothing chaoskit schedules may outlive this (a fault's maximum, a step's offset).
MAX_DURATION_S = 24 * 3600.0

DURATION_PATTERN = r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$"
_DURATION = re.compile(DURATION_PATTERN)
# "0", "0s", "0.0ms": a zero offset or bound, allowed where a duration may be zero.
ZERO_PATTERN = r"^\s*0+(?:\.0+)?\s*(?:ms|s|m|h)?\s*$"
_ZERO = re.compile(ZERO_PATTERN)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
# A number with more digits than this is not a duration anyone meant (and int() of a
# 5,000-digit string raises Python's own limit message).
_MAX_DIGITS = 30


def parse_duration(value: Any) -> float:
    """'500ms', '30s', '2m', '1h' or a number of seconds -> seconds (> 0, <= 24 h).

    Raises ValueError with a message fit for a user.

        >>> parse_duration("1.5s")
        1.5
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except (OverflowError, ValueError):
            raise ValueError("duration is longer than the 24 h limit") from None
    elif isinstance(value, str):
        m = _DURATION.fullmatch(value)
        if not m or len(m.group(1)) > _MAX_DIGITS:
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ValueError(f"not a duration: {shown!r} (use e.g. 500ms, 30s, 2m)")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"not a duration: {type(value).__name__}")
    if not seconds > 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration {str(value)[:40]!r} is longer than the 24 h limit")
    return seconds


def is_zero(value: Any) -> bool:
    """Whether `value` is a zero duration (``0``, ``"0s"``, ``"0.0ms"``)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    return isinstance(value, str) and _ZERO.fullmatch(value) is not None


def parse_offset(value: Any) -> float:
    """A duration that may also be zero (an offset from the start of a method)."""
    return 0.0 if is_zero(value) else parse_duration(value)
