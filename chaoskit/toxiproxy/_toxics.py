"""The toxics Toxiproxy v2.12 has, one small typed class each, checked before they are sent.

Field names, units and meanings are those of the server's `toxics/*.go`. The
server itself checks almost nothing (a negative latency is taken as is; a
slicer whose `size_variation` is not below `average_size` can crash the whole
server process), so the checks here are the only ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, Literal

from chaoskit.toxiproxy._exceptions import ToxiproxySpecError

Stream = Literal["upstream", "downstream"]
"""`upstream`: data from the client to the upstream; `downstream`: data back to the client."""

STREAMS: tuple[Stream, ...] = ("downstream", "upstream")

# The server decodes every attribute into a Go int64.
_INT64_MAX = 2**63 - 1


def _number(unit: str, *, minimum: int = 0, default: int | None = None) -> Any:
    metadata = {"unit": unit, "minimum": minimum}
    if default is None:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class ToxicAttributes:
    """Base of the typed attributes of one toxic type; `type` is the server's name for it."""

    type: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            unit = f.metadata["unit"]
            minimum = f.metadata["minimum"]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ToxiproxySpecError(
                    f"toxic {self.type}: {f.name} must be a whole number of {unit}, got {value!r}"
                )
            if not minimum <= value <= _INT64_MAX:
                raise ToxiproxySpecError(
                    f"toxic {self.type}: {f.name} must be at least {minimum} {unit}, got {value}"
                    if value < minimum
                    else f"toxic {self.type}: {f.name} is too large ({value} {unit})"
                )
        self._check()

    def _check(self) -> None:
        """Checks across fields, beyond each field's own bounds."""

    def to_json(self) -> dict[str, int]:
        """The ``attributes`` object the server expects."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Latency(ToxicAttributes):
    """Delay every chunk of data by `latency` ms, plus or minus up to `jitter` ms."""

    type: ClassVar[str] = "latency"
    latency: int = _number("ms")
    jitter: int = _number("ms", default=0)


@dataclass(frozen=True)
class Bandwidth(ToxicAttributes):
    """Pass data at no more than `rate` KB/s (1 KB = 1000 bytes)."""

    type: ClassVar[str] = "bandwidth"
    # 0 does not mean "no limit": data stalls (toxics/bandwidth.go passes empty
    # chunks every 100 ms) until the toxic goes. Timeout(0) stops data on purpose.
    rate: int = _number("KB/s", minimum=1)


@dataclass(frozen=True)
class SlowClose(ToxicAttributes):
    """Hold a connection's close back by `delay` ms after the other side closed."""

    type: ClassVar[str] = "slow_close"
    delay: int = _number("ms")


@dataclass(frozen=True)
class Timeout(ToxicAttributes):
    """Stop all data; close the connection after `timeout` ms without data (0: never close)."""

    type: ClassVar[str] = "timeout"
    timeout: int = _number("ms")


@dataclass(frozen=True)
class ResetPeer(ToxicAttributes):
    """Reset the connection (TCP RST) `timeout` ms after data arrives (0: at once).

    The RST (linger 0) is set up only for connections opened after the toxic
    was added; connections already open are closed with a FIN instead.
    """

    type: ClassVar[str] = "reset_peer"
    timeout: int = _number("ms")


@dataclass(frozen=True)
class Slicer(ToxicAttributes):
    """Cut data into pieces of about `average_size` ± `size_variation` bytes, `delay` µs apart."""

    type: ClassVar[str] = "slicer"
    average_size: int = _number("bytes", minimum=1)
    size_variation: int = _number("bytes", default=0)
    delay: int = _number("µs", default=0)

    def _check(self) -> None:
        # toxics/slicer.go: a variation >= the average can slice at a negative
        # offset, and the panic takes the whole server down with it.
        if self.size_variation >= self.average_size:
            raise ToxiproxySpecError(
                f"toxic slicer: size_variation ({self.size_variation}) must be less than "
                f"average_size ({self.average_size})"
            )


@dataclass(frozen=True)
class LimitData(ToxicAttributes):
    """Close the connection once `bytes` bytes have passed."""

    type: ClassVar[str] = "limit_data"
    bytes: int = _number("bytes")


@dataclass(frozen=True)
class Noop(ToxicAttributes):
    """Pass data unchanged (the server registers it; useful as a marker)."""

    type: ClassVar[str] = "noop"


@dataclass(frozen=True)
class RawToxicAttributes:
    """A toxic's attributes kept as the server reported them.

    Used for a type this client does not know (a newer or custom server) and for
    values it would refuse to send (set by another client), so that listing,
    snapshots and `ensure_baseline` still work.
    """

    type_name: str
    values: Mapping[str, Any]

    def __hash__(self) -> int:  # hashable like the typed attributes, though `values` is a dict
        return hash((self.type_name, json.dumps(self.values, sort_keys=True, default=str)))

    def to_json(self) -> dict[str, Any]:
        return dict(self.values)


TOXIC_TYPES: Mapping[str, type[ToxicAttributes]] = {
    cls.type: cls for cls in (Bandwidth, Latency, LimitData, Noop, ResetPeer, SlowClose, Slicer, Timeout)
}
"""Every toxic type by its server name."""


def parse_attributes(toxic_type: str, values: Mapping[str, Any], *, strict: bool = True) -> ToxicAttributes:
    """Typed attributes from a toxic type name and plain values (a playbook, a server reply).

    With `strict`, unknown attribute names are an error; otherwise (for what a
    possibly newer server reports) they are dropped.

    ```python
    parse_attributes("latency", {"latency": 100})  # Latency(latency=100, jitter=0)
    ```
    """
    cls = TOXIC_TYPES.get(toxic_type)
    if cls is None:
        raise ToxiproxySpecError(
            f"unknown toxic type {toxic_type!r}", hint=f"known: {', '.join(sorted(TOXIC_TYPES))}"
        )
    known = {f.name: f for f in fields(cls)}
    extra = sorted(set(values) - set(known))
    if extra and strict:
        raise ToxiproxySpecError(
            f"toxic {toxic_type}: unknown attribute(s) {', '.join(extra)}",
            hint=f"{toxic_type} takes: {', '.join(known) or 'nothing'}",
        )
    missing = [name for name, f in known.items() if f.default is MISSING and name not in values]
    if missing:
        raise ToxiproxySpecError(f"toxic {toxic_type}: missing attribute(s) {', '.join(missing)}")
    return cls(**{name: values[name] for name in known if name in values})


def check_stream(stream: str) -> Stream:
    if stream == "upstream":
        return "upstream"
    if stream == "downstream":
        return "downstream"
    raise ToxiproxySpecError(f"unknown stream {stream!r}", hint="use 'upstream' or 'downstream'")


def check_toxicity(toxicity: float) -> float:
    if isinstance(toxicity, bool) or not isinstance(toxicity, (int, float)):
        raise ToxiproxySpecError(f"toxicity must be a number from 0 to 1, got {toxicity!r}")
    if math.isnan(toxicity) or not 0.0 <= toxicity <= 1.0:
        raise ToxiproxySpecError(
            f"toxicity must be from 0 to 1, got {toxicity!r}",
            hint="it is the chance that a connection gets the toxic",
        )
    return float(toxicity)


def check_name(name: str, what: str) -> str:
    # The name goes into a URL path, where the server's router splits on "/".
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or any(c.isspace() or not c.isprintable() for c in name)
    ):
        raise ToxiproxySpecError(
            f"invalid {what} name {name!r}",
            hint="use a non-empty name without '/', spaces or control characters",
        )
    return name
