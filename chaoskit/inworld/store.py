"""How the orders service reaches the key-value store, with its emergency exits switched on or off.

With no exit (naive), a write goes to the first write endpoint and a read to the first
read endpoint, once. Each exit adds one behaviour (see `config.EXITS`): failover over
healthy endpoints, retries with jittered backoff, a circuit breaker per endpoint, a
stale cache for reads, a write queue for writes. Whatever is on, a request ends within
`Config.request_timeout`.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .breaker import Breaker
from .cache import StaleCache
from .config import Config, Endpoint, ordered_exits, parse_exits
from .health import HealthChecker
from .load import LoadPolicy, RetryBudget, policy
from .protocol.order_record import ORDERS_SET, Order, key_of
from .protocol.resp import (
    KvError,
    KvOutcomeUnknown,
    KvReadOnly,
    KvReplyError,
    KvUnavailable,
    Resolver,
    RespClient,
)
from .write_queue import Drainer, QueueFull, WriteQueue

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF_BASE = 0.02
BACKOFF_CAP = 0.25


def backoff(attempt: int, rng: random.Random, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Pause before retry `attempt` (1, 2, ...): full jitter, uniform in [0, base * 2^attempt]."""
    return rng.uniform(0.0, min(cap, base * (2**attempt)))


def _log_breaker(address: str, old: str, new: str, why: str) -> None:
    log.info("breaker %s: %s -> %s (%s)", address, old, new, why)


class Unavailable(Exception):
    """No store could serve the request. `unknown`: a write may have been stored all the same."""

    def __init__(self, message: str, *, unknown: bool = False) -> None:
        super().__init__(message)
        self.unknown = unknown


@dataclass(frozen=True)
class WriteResult:
    region: str | None
    queued: bool = False


@dataclass(frozen=True)
class ReadResult:
    order: Order | None
    region: str | None
    stale: bool = False


@dataclass(frozen=True)
class MembersResult:
    ids: list[str]
    region: str
    #: Writes acknowledged but still in the write queue: not in `ids`.
    pending: int


class _Route:
    """One endpoint as requests use it: a client and a breaker."""

    def __init__(self, endpoint: Endpoint, client: RespClient, breaker: Breaker) -> None:
        self.endpoint = endpoint
        self.client = client
        self.breaker = breaker

    @property
    def address(self) -> str:
        return self.endpoint.address


class Store:
    """The store, as the orders service sees it. Thread-safe; `start()` runs the background
    health checker and queue drainer, `close()` stops them."""

    def __init__(
        self,
        config: Config,
        *,
        resolver: Resolver | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._exits = config.exits
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._routes: dict[str, _Route] = {}
        self._probes: dict[str, RespClient] = {}
        for endpoint in (*config.kv_write, *config.kv_read):
            if endpoint.address in self._routes:
                continue
            client = RespClient(
                endpoint.host,
                endpoint.port,
                timeout=config.kv_timeout,
                max_age=config.conn_max_age,
                resolver=resolver,
            )
            breaker = Breaker(
                endpoint.address,
                failures=config.breaker_failures,
                cooldown=config.breaker_cooldown,
                clock=clock,
                on_change=functools.partial(_log_breaker, endpoint.address),
            )
            self._routes[endpoint.address] = _Route(endpoint, client, breaker)
            # Health checks use a new connection each time, so they feel DNS at once.
            self._probes[endpoint.address] = RespClient(
                endpoint.host,
                endpoint.port,
                timeout=config.kv_timeout,
                max_age=0,
                max_idle=0,
                resolver=resolver,
            )
        self.write_routes = [self._routes[e.address] for e in config.kv_write]
        self.read_routes = [self._routes[e.address] for e in config.kv_read]
        self.health = HealthChecker(
            [r.endpoint for r in self._routes.values()],
            probe=self._probe,
            describe=self._describe,
            interval=config.health_interval,
            clock=clock,
        )
        self.cache = StaleCache(config.cache_max)
        self.queue = WriteQueue(config.queue_max)
        self.drainer = Drainer(self.queue, self._store_batch)
        self._load = policy("default", config)
        self._budget: RetryBudget | None = None
        self.set_load(config.load)

    # --- life cycle ------------------------------------------------------------
    def start(self) -> None:
        self.health.start()
        self.drainer.start()

    def close(self) -> None:
        self.drainer.stop()
        self.health.stop()
        for client in (*(r.client for r in self._routes.values()), *self._probes.values()):
            client.close()

    @property
    def exits(self) -> frozenset[str]:
        return self._exits

    def set_exits(self, exits: str | Iterable[str]) -> frozenset[str]:
        """Switch emergency exits at run time; raises `ConfigError` for an unknown name."""
        new = parse_exits(exits)
        if new != self._exits:
            log.info(
                "emergency exits: %s -> %s",
                ",".join(ordered_exits(self._exits)) or "none",
                ",".join(ordered_exits(new)) or "none",
            )
        self._exits = new
        return new

    @property
    def load(self) -> LoadPolicy:
        return self._load

    def set_load(self, name: str) -> LoadPolicy:
        """Switch the load setting (`load.LOADS`) at run time; `ConfigError` for an unknown one."""
        new = policy(name, self.config)
        if new.name != self._load.name:
            log.info("load setting: %s -> %s", self._load.name, new.name)
        self._budget = RetryBudget(new.retry_budget) if new.retry_budget is not None else None
        self.queue.max_len = new.queue_max
        self.drainer.batch = new.queue_batch
        self.drainer.retry_interval = new.queue_retry
        self.drainer.backoff = new.queue_backoff
        self._load = new
        return new

    # --- the one way to call the store -----------------------------------------
    def _candidates(self, routes: list[_Route], failover: bool, by_health: bool) -> list[_Route]:
        if not failover:
            return routes[:1]
        if not by_health:
            return routes
        healthy = [r for r in routes if self.health.usable(r.address)]
        return healthy or routes

    def _pause(self, attempt: int) -> float:
        with self._rng_lock:
            return backoff(attempt, self._rng)

    def _call(
        self,
        routes: list[_Route],
        fn: Callable[[RespClient, float], T],
        *,
        exits: frozenset[str],
        deadline: float,
        by_health: bool = True,
        drain: bool = False,
    ) -> tuple[T, Endpoint]:
        failover = "failover" in exits
        use_breaker = "breaker" in exits
        load = self._load
        budget = self._budget
        attempts = load.retry_attempts if "retries" in exits else 1
        attempt_timeout = load.attempt_timeout or self.config.kv_timeout
        if drain and not load.drain_retries:
            attempts, attempt_timeout = 1, self.config.kv_timeout
        errors: list[str] = []
        unknown = False
        if budget is not None and attempts > 1:
            budget.earn()
        for attempt in range(attempts):
            if attempt:
                if budget is not None and not budget.spend():
                    errors.append("retry budget spent")
                    break
                pause = self._pause(attempt) if load.retry_backoff == "jittered" else 0.0
                if self._clock() + pause >= deadline:
                    break
                if pause:
                    self._sleep(pause)
            tried = 0
            for route in self._candidates(routes, failover, by_health):
                remaining = deadline - self._clock()
                if remaining <= 0.001:
                    errors.append("request deadline reached")
                    break
                if use_breaker and not route.breaker.allow():
                    errors.append(f"{route.address}: circuit open")
                    continue
                tried += 1
                try:
                    result = fn(route.client, min(attempt_timeout, remaining))
                except KvReplyError as e:
                    # The endpoint answered: it is alive, just not able (READONLY) or willing.
                    if use_breaker:
                        route.breaker.success()
                    why = "not writable: " if isinstance(e, KvReadOnly) else ""
                    errors.append(f"{route.address}: {why}{e}")
                except (KvUnavailable, KvOutcomeUnknown) as e:
                    unknown = unknown or isinstance(e, KvOutcomeUnknown)
                    if use_breaker:
                        route.breaker.failure()
                    errors.append(f"{route.address}: {e}")
                else:
                    if use_breaker:
                        route.breaker.success()
                    self.health.saw_success(route.address)
                    return result, route.endpoint
            if not tried or self._clock() >= deadline:
                break
        raise Unavailable("; ".join(dict.fromkeys(errors)) or "no endpoint", unknown=unknown)

    def _deadline(self) -> float:
        budget = self.config.request_timeout
        return self._clock() + budget - min(0.05, budget * 0.1)

    # --- orders --------------------------------------------------------------------
    def write(self, order: Order) -> WriteResult:
        """Store `order`, or queue it when the write-queue exit is on and no store takes it."""
        exits = self._exits
        queueing = "write-queue" in exits
        if queueing and self._load.queue_first and len(self.queue):
            return self._enqueue(order, exits, None)
        try:
            _, endpoint = self._call(
                self.write_routes,
                lambda c, t: c.transaction(
                    [("SET", order.key, order.to_json()), ("SADD", ORDERS_SET, order.id)], timeout=t
                ),
                exits=exits,
                deadline=self._deadline(),
            )
        except Unavailable as e:
            if queueing:
                return self._enqueue(order, exits, e)
            raise
        if "stale-cache" in exits:
            self.cache.put(order.id, order.item, endpoint.region)
        return WriteResult(endpoint.region)

    def _enqueue(self, order: Order, exits: frozenset[str], why: Unavailable | None) -> WriteResult:
        was_empty = len(self.queue) == 0
        try:
            self.queue.put(order)
        except QueueFull as e:
            raise Unavailable(f"{why}; {e}" if why else str(e), unknown=bool(why and why.unknown)) from None
        if was_empty and why is not None:
            log.info("write queue: queuing writes (%s)", why)
        if "stale-cache" in exits:
            self.cache.put(order.id, order.item, None)
        return WriteResult(None, queued=True)

    def _store_batch(self, batch: list[Order]) -> None:
        commands: list[tuple[str, ...]] = [("SET", o.key, o.to_json()) for o in batch]
        commands.append(("SADD", ORDERS_SET, *(o.id for o in batch)))
        self._call(
            self.write_routes,
            lambda c, t: c.transaction(commands, timeout=t),
            exits=self._exits,
            deadline=self._deadline(),
            drain=True,
        )

    def read(self, order_id: str) -> ReadResult:
        """Read one order; with the stale-cache exit, fall back to the cache (``stale``)."""
        exits = self._exits
        caching = "stale-cache" in exits
        try:
            value, endpoint = self._call(
                self.read_routes,
                lambda c, t: c.get(key_of(order_id), timeout=t),
                exits=exits,
                deadline=self._deadline(),
            )
        except Unavailable:
            hit = self.cache.get(order_id) if caching else None
            if hit is None:
                raise
            return ReadResult(Order(order_id, hit.item), hit.region, stale=True)
        if value is None:
            # Not (yet) in that store: a lagging replica or a queued write the cache knows.
            hit = self.cache.get(order_id) if caching else None
            if hit is not None:
                return ReadResult(Order(order_id, hit.item), hit.region, stale=True)
            return ReadResult(None, endpoint.region)
        try:
            order = Order.from_json(order_id, value)
        except ValueError:
            order = Order(order_id, value)
        if caching:
            self.cache.put(order_id, order.item, endpoint.region)
        return ReadResult(order, endpoint.region)

    def members(self) -> MembersResult:
        """Every id really in the store (queued writes are not), and how many are queued.

        Asks the write endpoints first, healthy or not (an error moves on): a replica
        may lag, and this is the final read that decides which writes were lost.
        """
        routes = list({id(r): r for r in (*self.write_routes, *self.read_routes)}.values())
        ids, endpoint = self._call(
            routes,
            lambda c, t: c.smembers(ORDERS_SET, timeout=t),
            exits=self._exits,
            deadline=self._deadline(),
            by_health=False,
        )
        return MembersResult(sorted(ids), endpoint.region, len(self.queue))

    # --- health ----------------------------------------------------------------------
    def _probe(self, endpoint: Endpoint) -> None:
        if not self._probes[endpoint.address].ping():
            raise KvError("PING did not answer PONG")

    def _describe(self, endpoint: Endpoint) -> dict[str, str]:
        return self._probes[endpoint.address].info("replication")

    def status(self) -> dict[str, Any]:
        """The last known state of the store, for ``GET /health``; never calls the store."""
        now = self._clock()
        writes = {e.address for e in self.config.kv_write}
        reads = {e.address for e in self.config.kv_read}
        endpoints = []
        for address, route in self._routes.items():
            entry = self.health.health[address].as_dict(now)
            entry["breaker"] = route.breaker.state
            entry["uses"] = [u for u, s in (("write", writes), ("read", reads)) if address in s]
            endpoints.append(entry)
        return {
            "endpoints": endpoints,
            "load": self._load.name,
            "queue": {
                "length": len(self.queue),
                "max": self.queue.max_len,
                "queued_total": self.queue.queued_total,
                "drained_total": self.queue.drained_total,
            },
            "cache": {"size": len(self.cache), "max": self.cache.max_entries},
        }
