"""The fixtures: each one makes one change to the world and undoes it.

- ``chaoskit_world`` (session): the `World`, up for the whole session.
- ``chaos``: a `Faults` controller; after the test its faults are reverted and
  the world's baseline confirmed (or the test errors).
- ``chaoskit_workload``: starts workloads (`WorkloadRun`) and stops them after the test.
- ``chaoskit_exits``: sets a service's exits and puts the old ones back after the test.
- ``chaoskit`` (session): addresses, Toxiproxy and DNS per region, and the checks.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from chaoskit.checks import Verdict, broken_names, evaluate, matches
from chaoskit.faults import Faults
from chaoskit.faults.context import Context
from chaoskit.faults.controller import ActiveFault
from chaoskit.history import Event, History
from chaoskit.pytest_plugin._session import session_of
from chaoskit.toxiproxy import ToxiproxyClient
from chaoskit.workload import Operations, Workload, WorkloadStats, choose_target, is_class_reference
from chaoskit.world import World
from chaoskit.world._world import HostAddress
from chaoskit.world.exits import get_exits, set_exits


class ChaoskitResetWarning(UserWarning):
    """A test left the world off its baseline by other means than `chaos`; a reset fixed it."""


class Verdicts(list[Verdict]):
    """Verdicts of `Chaoskit.check`: a list, with `passed` and a readable repr for assertions."""

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self)

    def __repr__(self) -> str:
        lines = []
        for v in self:
            mark = "pass" if v.passed else "FAIL"
            detail = f"  ({v.detail})" if v.detail else ""
            lines.append(f"{mark} {v.name}: expected {v.expected}, measured {v.measured_text}{detail}")
        return "\n".join(lines) or "no verdicts"

    __str__ = __repr__


class Chaoskit:
    """What a chaos test reaches besides faults: addresses, Toxiproxy and DNS per region, checks.

    def test_failover(chaos, chaoskit, chaoskit_workload):
        with chaoskit_workload("orders", rate=50) as history:
            ...
        verdicts = chaoskit.check(history, rto="5s", lost_writes=0)
        assert verdicts.passed, verdicts
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self._ctx = Context(world)

    @property
    def regions(self) -> list[str]:
        return list(self.world.topology.regions)

    def toxiproxy(self, region: str) -> ToxiproxyClient:
        """The Toxiproxy API of `region` (every endpoint of the region is one of its proxies)."""
        return self._ctx.toxiproxy(region)

    def dns(self, region: str, proto: str = "udp") -> HostAddress:
        """The host address of `region`'s CoreDNS (ask it with any resolver)."""
        return self.world.dns_address(region, proto)

    def resolve(self, name: str, region: str, qtype: str = "A") -> dict[str, Any]:
        """Ask `region`'s CoreDNS from the host: ``{"rcode", "answers": [{"value", "ttl"...}]...}``."""
        return self._ctx.ask_host(region, name, qtype)

    def url(self, service: str, region: str) -> str:
        """``http://host:port`` of `service` in `region`, through the region's Toxiproxy."""
        return self.world.service_url(service, region)

    def address(self, endpoint: str, region: str) -> HostAddress:
        """``host:port`` of `endpoint` (``kv``, a service) in `region`, through its Toxiproxy."""
        return self.world.endpoint_address(endpoint, region)

    @staticmethod
    def check(
        history: History, *, fault: str | None = None, target: str | None = None, **expectations: Any
    ) -> Verdicts:
        """Judge `history` against expectations (upper bounds), as a playbook's are judged.

        ``check(history, rto="5s", lost_writes=0, error_rate="5%")``; `fault` picks one
        fault's window by id (default: every fault of the history, the worst reported).
        """
        return Verdicts(evaluate(history, expectations, fault=fault, target=target))


class TestClock:
    """One time axis per test: every fault the test's `chaos` applies becomes an event of
    every history its workloads record, at the same times."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.wall0 = time.time()  # t0 on the wall clock: the query log's time
        self._events: list[Event] = []
        self._histories: list[History] = []
        self._lock = threading.Lock()

    def fault_event(self, kind: str, active: ActiveFault) -> None:
        detail: dict[str, Any] = {"describe": active.fault.describe()}
        dns = active.fault.dns_targets()
        if dns:  # the names it breaks, for `requeried_within`
            detail["dns"] = dns
        event = Event(time.monotonic() - self.t0, kind, active.name, id=active.id, detail=detail)
        with self._lock:
            self._events.append(event)
            histories = list(self._histories)
        for history in histories:
            history.event(event)

    def attach(self, history: History) -> None:
        with self._lock:
            for event in self._events:  # faults applied before the workload started
                history.event(event)
            self._histories.append(history)


_CLOCK = pytest.StashKey[TestClock]()


def clock_of(item: pytest.Item) -> TestClock:
    if _CLOCK not in item.stash:
        item.stash[_CLOCK] = TestClock()
    return item.stash[_CLOCK]


class WorkloadRun:
    """A workload driving the world during one test; `history` fills while it runs.

    Use it as a context manager (``with chaoskit_workload("orders") as history:``):
    leaving the block stops it and reads the whole set once, so lost writes can
    be counted. Or call `stop()`.
    """

    def __init__(self, workload: Workload, history: History, world: World | None = None,
                 clock: TestClock | None = None) -> None:
        self.workload = workload
        self.history = history
        self.world = world
        self.clock = clock
        self._stopped = False

    @property
    def stats(self) -> WorkloadStats:
        return self.workload.stats

    def stop(self, *, final_read: bool = True, timeout: float = 30.0) -> History:
        """Stop issuing ops, wait for those in flight, then (by default) read the whole set."""
        if not self._stopped:
            self._stopped = True
            self.workload.stop()
            if final_read:
                self.workload.final_read(timeout)
            self._collect_queries()
        return self.history

    def _collect_queries(self) -> None:
        """The DNS questions the world logged since the test began, into the history (times on
        the test's axis), so `check(history, requeried_within=...)` can judge them."""
        if self.world is None or self.clock is None:
            return
        from dataclasses import replace

        from chaoskit.discovery import queries

        wall0 = self.clock.wall0
        try:
            found = queries(self.world, until=time.time())  # before the test too: see the runner
        except Exception:  # noqa: BLE001  the check then says it has no query log to judge
            return
        broken = broken_names(self.history)
        kept = [q for q in found if q.time >= wall0 or any(matches(q.name, t) for t in broken)]
        self.history.queries.extend(replace(q, time=round(q.time - wall0, 4)) for q in kept)

    def __enter__(self) -> History:
        return self.history

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop(final_read=exc_type is None)


WorkloadFactory = Callable[..., WorkloadRun]
ExitsSetter = Callable[..., None]


@pytest.fixture(scope="session")
def chaoskit_world(request: pytest.FixtureRequest) -> Iterator[World]:
    """The session's world: attached to if running (``--chaoskit-world NAME``), else brought up.

    It belongs to the session (playbook items use it too): it is taken down when
    the session ends, only if the session brought it up and ``--chaoskit-keep``
    is not given.
    """
    yield session_of(request.config).world()


@pytest.fixture(scope="session")
def chaoskit(chaoskit_world: World) -> Chaoskit:
    """Addresses, Toxiproxy and DNS of each region, and the checks (`Chaoskit`)."""
    return Chaoskit(chaoskit_world)


@pytest.fixture
def chaos(chaoskit_world: World, request: pytest.FixtureRequest) -> Iterator[Faults]:
    """A `Faults` controller. After the test, its faults are reverted and the baseline confirmed
    (whatever else the test changed is reset, without restarts); the test errors if it cannot be."""
    baseline = session_of(request.config).baseline(chaoskit_world)
    test = request.node.nodeid
    faults = Faults(chaoskit_world, on_event=clock_of(request.node).fault_event)
    note = baseline.before(faults, test)
    if note:
        request.node.add_report_section("setup", "chaoskit", note)
        warnings.warn(ChaoskitResetWarning(note), stacklevel=1)
    yield faults
    note = baseline.after(faults, test)
    if note:
        request.node.add_report_section("teardown", "chaoskit", note)
        warnings.warn(ChaoskitResetWarning(note), stacklevel=1)


@pytest.fixture
def chaoskit_workload(chaoskit_world: World, request: pytest.FixtureRequest) -> Iterator[WorkloadFactory]:
    """``chaoskit_workload("cart", operations={...}, rate=20, ...)`` starts a workload and returns
    a `WorkloadRun`; whatever is still running after the test is stopped.

    The options are a playbook's `workload:` keys: `target` is a service of the topology
    (with its `operations`; ``orders`` has them built in), ``kv``, or a class
    ``package.module:Class`` (with `service`).
    """
    runs: list[WorkloadRun] = []
    clock = clock_of(request.node)

    def start(
        target: str = "orders",
        *,
        rate: float = 20.0,
        regions: Sequence[str] | None = None,
        mix: float | Mapping[str, float] = 0.5,
        concurrency: int = 4,
        timeout: float = 1.0,
        duration: float = 600.0,
        seed: int | None = None,
        operations: Operations | Mapping[str, Any] | None = None,
        service: str | None = None,
        failover: bool = False,
    ) -> WorkloadRun:
        where = list(regions or chaoskit_world.topology.regions)
        known = chaoskit_world.topology.endpoint_names
        for name in (service,) if is_class_reference(target) else (target,):
            if name not in known:
                raise ValueError(f"workload target {name!r} is no service of the world; known: {known}")
        driven = choose_target(
            target,
            address=lambda e, r: str(chaoskit_world.endpoint_address(e, r)),
            regions=where,
            operations=operations,
            service=service,
            failover=failover,
            search=[request.path.parent],
        )
        workload = Workload(
            driven, rate=rate, mix=mix, concurrency=concurrency, timeout=timeout, duration=duration, seed=seed
        )
        history = History()
        clock.attach(history)
        workload.start(history, clock.t0)
        run = WorkloadRun(workload, history, chaoskit_world, clock)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.stop(final_read=False)


@pytest.fixture
def chaoskit_exits(chaoskit_world: World) -> Iterator[ExitsSetter]:
    """``chaoskit_exits("orders", ["failover", "write-queue"])`` (or ``"none"``) sets the
    emergency exits a service takes, in every region; the old ones are put back after the test."""
    before: dict[str, dict[str, list[str]]] = {}

    def set_(service: str, exits: Sequence[str] | str) -> None:
        if service not in before:
            before[service] = get_exits(chaoskit_world, service)
        set_exits(chaoskit_world, service, exits)

    yield set_
    for service, by_region in before.items():
        for region, exits in by_region.items():
            set_exits(chaoskit_world, service, exits, [region])
