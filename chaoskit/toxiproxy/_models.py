"""Proxies and toxics as the server reports them, as small frozen values.

`from_api` reads the server's JSON; `to_dict` gives plain data for journals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chaoskit.toxiproxy._exceptions import ToxiproxySpecError
from chaoskit.toxiproxy._toxics import (
    RawToxicAttributes,
    Stream,
    ToxicAttributes,
    check_name,
    parse_attributes,
)


@dataclass(frozen=True)
class Toxic:
    """One toxic on a proxy: its `name` is unique across both streams of that proxy."""

    name: str
    type: str
    stream: Stream
    toxicity: float
    attributes: ToxicAttributes | RawToxicAttributes

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Toxic:
        toxic_type = str(data["type"])
        raw = data.get("attributes") or {}
        attributes: ToxicAttributes | RawToxicAttributes
        try:
            attributes = parse_attributes(toxic_type, raw, strict=False)
        except ToxiproxySpecError:
            attributes = RawToxicAttributes(toxic_type, dict(raw))
        # The server keeps the stream as sent ("UpStream" is accepted).
        stream: Stream = "upstream" if str(data["stream"]).lower() == "upstream" else "downstream"
        return cls(
            name=str(data["name"]),
            type=toxic_type,
            stream=stream,
            toxicity=float(data["toxicity"]),
            attributes=attributes,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": self.attributes.to_json(),
        }


@dataclass(frozen=True)
class Proxy:
    """A proxy: `listen` is the address it accepts on (as the server resolved it)."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[Toxic, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Proxy:
        return cls(
            name=str(data["name"]),
            listen=str(data["listen"]),
            upstream=str(data["upstream"]),
            enabled=bool(data["enabled"]),
            toxics=tuple(Toxic.from_api(t) for t in data.get("toxics") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [t.to_dict() for t in self.toxics],
        }


@dataclass(frozen=True)
class ProxySpec:
    """A proxy to create or populate.

    `listen` defaults to a free port on loopback; an empty `listen` would make
    the server listen on every interface.
    """

    name: str
    upstream: str
    listen: str = "127.0.0.1:0"
    enabled: bool = True

    def __post_init__(self) -> None:
        check_name(self.name, "proxy")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "upstream": self.upstream,
            "listen": self.listen,
            "enabled": self.enabled,
        }


@dataclass(frozen=True)
class BaselineReport:
    """What `ensure_baseline` changed: toxics removed (by proxy), proxies enabled.

    `unexpected` names proxies found on the server but not expected (they are
    brought to baseline too, and reported so a journal shows them).
    """

    removed: Mapping[str, tuple[Toxic, ...]] = field(default_factory=dict)
    enabled: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.enabled)

    def to_dict(self) -> dict[str, Any]:
        return {
            "removed": {p: [t.to_dict() for t in ts] for p, ts in sorted(self.removed.items())},
            "enabled": list(self.enabled),
            "unexpected": list(self.unexpected),
        }
