"""Configuration of the orders service, read from `ORDERS_*` environment variables.

Each key-value endpoint is ``host:port``; its region is the second DNS label of the host
(``kv.us-east-1.chaoskit.internal`` is in ``us-east-1``), or comes from
``ORDERS_KV_REGIONS`` (``127.0.0.1:6379=us-east-1,...``) for plain addresses, or is
``unknown``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .capacity import CapacitySpec

#: The emergency exits, each switchable on its own; none of them is the naive configuration.
EXITS: tuple[str, ...] = ("failover", "retries", "breaker", "stale-cache", "write-queue")

DEFAULT_KV = "kv.us-east-1.chaoskit.internal:6379"


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Endpoint:
    """One key-value store endpoint, by name, so that it is resolved on every connect."""

    host: str
    port: int
    region: str = "unknown"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def parse_exits(value: str | Iterable[str]) -> frozenset[str]:
    """``"failover,retries"`` or a list of names; ``none`` or nothing means naive."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [n.strip() for n in names if n.strip()]
    if names == ["none"] or not names:
        return frozenset()
    unknown = [n for n in names if n not in EXITS]
    if unknown:
        raise ConfigError(
            f"unknown emergency exit(s) {', '.join(map(repr, unknown))}: "
            f"use 'none' or a comma list of {', '.join(EXITS)}"
        )
    return frozenset(names)


def ordered_exits(exits: Iterable[str]) -> list[str]:
    """Exits in their canonical order, for display."""
    chosen = set(exits)
    return [e for e in EXITS if e in chosen]


def parse_regions(value: str) -> dict[str, str]:
    """``host:port=region,...`` into a mapping (for endpoints without a DNS name)."""
    regions: dict[str, str] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        address, sep, region = item.partition("=")
        if not sep or not address.strip() or not region.strip():
            raise ConfigError(f"ORDERS_KV_REGIONS: {item!r} is not host:port=region")
        regions[address.strip()] = region.strip()
    return regions


def region_of(host: str, port: int, regions: Mapping[str, str] | None = None) -> str:
    """The region of an endpoint: from `regions`, else the host's second DNS label."""
    if regions:
        for key in (f"{host}:{port}", host):
            if key in regions:
                return regions[key]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        if len(labels) >= 3 and labels[1]:
            return labels[1]
    return "unknown"


def parse_endpoints(var: str, value: str, regions: Mapping[str, str] | None = None) -> tuple[Endpoint, ...]:
    """A comma list of ``host:port`` (first preferred)."""
    endpoints: list[Endpoint] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        host, sep, port_text = item.rpartition(":")
        host = host.strip("[]")
        try:
            port = int(port_text)
        except ValueError:
            port = -1
        if not sep or not host or not 0 < port < 65536:
            raise ConfigError(f"{var}: {item!r} is not host:port (e.g. {DEFAULT_KV})")
        endpoints.append(Endpoint(host, port, region_of(host, port, regions)))
    if not endpoints:
        raise ConfigError(f"{var}: no endpoint given (e.g. {DEFAULT_KV})")
    return tuple(endpoints)


def _number(env: Mapping[str, str], var: str, default: float, *, allow_zero: bool = False) -> float:
    text = env.get(var, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{var}: {text!r} is not a number") from None
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        raise ConfigError(f"{var}: {text!r} must be {'at least' if allow_zero else 'more than'} 0")
    return value


def _integer(env: Mapping[str, str], var: str, default: int, *, minimum: int = 1) -> int:
    text = env.get(var, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{var}: {text!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(f"{var}: {text!r} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class Config:
    """Everything the orders service is told; see `from_env` for the variables."""

    region: str = "unknown"
    port: int = 8080
    bind: str = "0.0.0.0"
    kv_write: tuple[Endpoint, ...] = field(default_factory=lambda: parse_endpoints("", DEFAULT_KV))
    kv_read: tuple[Endpoint, ...] = field(default_factory=lambda: parse_endpoints("", DEFAULT_KV))
    exits: frozenset[str] = frozenset()
    kv_timeout: float = 0.5
    #: A request ends within this, whatever the exits do (default: twice `kv_timeout`).
    request_timeout: float = 1.0
    #: Pooled kv connections are replaced after this many seconds, so names are re-resolved.
    conn_max_age: float = 1.0
    health_interval: float = 0.25
    #: Attempts (first try included) when the `retries` exit is on.
    retry_attempts: int = 3
    breaker_failures: int = 5
    breaker_cooldown: float = 2.0
    queue_max: int = 10_000
    cache_max: int = 10_000
    #: How retries, the replay queue and shedding behave (`load.LOADS`).
    load: str = "default"
    #: The service's capacity (from the topology): None for none.
    capacity: CapacitySpec | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Read the ``ORDERS_*`` variables; raise `ConfigError` naming the bad one."""
        regions = parse_regions(env.get("ORDERS_KV_REGIONS", ""))
        write = parse_endpoints("ORDERS_KV_WRITE", env.get("ORDERS_KV_WRITE") or DEFAULT_KV, regions)
        read_text = env.get("ORDERS_KV_READ") or ",".join(e.address for e in write)
        kv_timeout = _number(env, "ORDERS_KV_TIMEOUT", 0.5)
        port = _integer(env, "ORDERS_PORT", 8080, minimum=0)
        if port > 65535:
            raise ConfigError(f"ORDERS_PORT: {port} is not a port")
        try:
            exits = parse_exits(env.get("ORDERS_EXITS", "none"))
        except ConfigError as e:
            raise ConfigError(f"ORDERS_EXITS: {e}") from None
        from .capacity import CapacitySpec
        from .load import LOADS

        load = env.get("ORDERS_LOAD", "").strip() or "default"
        if load not in LOADS:
            raise ConfigError(f"ORDERS_LOAD: {load!r} is not one of {', '.join(LOADS)}")
        return cls(
            region=env.get("ORDERS_REGION", "").strip() or "unknown",
            port=port,
            bind=env.get("ORDERS_BIND", "").strip() or "0.0.0.0",
            kv_write=write,
            kv_read=parse_endpoints("ORDERS_KV_READ", read_text, regions),
            exits=exits,
            kv_timeout=kv_timeout,
            request_timeout=_number(env, "ORDERS_REQUEST_TIMEOUT", 2 * kv_timeout),
            conn_max_age=_number(env, "ORDERS_KV_CONN_MAX_AGE", 1.0, allow_zero=True),
            health_interval=_number(env, "ORDERS_HEALTH_INTERVAL", 0.25),
            retry_attempts=_integer(env, "ORDERS_RETRY_ATTEMPTS", 3),
            breaker_failures=_integer(env, "ORDERS_BREAKER_FAILURES", 5),
            breaker_cooldown=_number(env, "ORDERS_BREAKER_COOLDOWN", 2.0),
            queue_max=_integer(env, "ORDERS_QUEUE_MAX", 10_000),
            cache_max=_integer(env, "ORDERS_CACHE_MAX", 10_000),
            load=load,
            capacity=CapacitySpec.from_env(env, "ORDERS_CAPACITY"),
        )
