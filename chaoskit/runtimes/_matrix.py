"""The matrix: each runtime's client in a region of a world, through a DNS failover and
through an empty record repaired.

Every client runs in its own container on the region's network, with the region's CoreDNS as
its resolver (as a team's service gets it), and resolves the store's name on every request
the way its standard library does by default, printing one JSON line per request. Two
phases, each with fresh clients (so a cache starts empty, as in a process just started):

- **flip**: the clients get the baseline answer; then ``dns.wrong-answer`` with
  ``to_region`` (the store's record flipped to the other region) is applied in the region's
  CoreDNS and confirmed by a query, and each client's *stale* time is how long after that
  confirmation it still used the old address;
- **repair**: ``dns.nodata`` (the seed's empty record) is applied first, the clients start
  and fail; the fault is reverted (baseline confirmed), and each client's *failing* time is
  how long after that it still failed.

Both faults go through the fault engine (journaled, confirmed on the wire, always reverted).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from chaoskit.errors import UserError, WorldError
from chaoskit.faults import Faults
from chaoskit.runtimes._catalogue import RUNTIMES
from chaoskit.runtimes._images import build_runtime_images
from chaoskit.world import World
from chaoskit.world.resolver import ask_resolver

Log = Callable[[str], None]
INTERVAL_MS = 100  # one request every 100 ms: the figures' resolution
MAX_WAIT_S = 45.0  # how long a phase waits for a client to move on (the JVM's cache is 30 s)
START_TIMEOUT_S = 40.0  # for every client to start and report its first answers
WARMUP = 3  # answers each client gives before the fault changes


@dataclass(frozen=True)
class Sample:
    """One request: when it started (Unix seconds), how long it took, what it got."""

    t: float
    ms: float
    addr: str | None
    error: str | None


class Client:
    """One runtime's client container on a region's network, and the lines it printed."""

    def __init__(self, world: World, runtime: str, image: str, region: str, name: str,
                 seconds: float) -> None:
        self.world = world
        self.runtime = runtime
        self.image = image
        self.region = region
        self.name = name
        self.seconds = seconds
        self.hello: dict[str, Any] = {}
        self.samples: list[Sample] = []
        self.other: list[str] = []  # lines that are not samples (a crash's message)
        self.ended = threading.Event()
        self._lock = threading.Lock()
        self._container: Any = None

    @property
    def container_name(self) -> str:
        return f"{self.world.project}-runtime-{self.runtime}"

    def start(self) -> None:
        from chaoskit.engine import docker_client

        client = docker_client()
        self._remove_leftover(client)
        plan = self.world.plan
        # Labelled as the world's, so `chaoskit down` removes one a killed run left behind;
        # it also stops by itself after `seconds` and is removed when it exits.
        self._container = client.containers.create(
            self.image, name=self.container_name, detach=True, auto_remove=True,
            environment={"CLIENT_NAME": self.name, "CLIENT_INTERVAL_MS": str(INTERVAL_MS),
                         "CLIENT_SECONDS": str(int(self.seconds))},
            network=f"{self.world.project}_{plan.networks[self.region]}",
            dns=[plan.coredns_ip(self.region)],
            labels={"io.chaoskit.world": self.world.project,
                    "com.docker.compose.project": self.world.project,
                    "io.chaoskit.role": "runtime-client", "io.chaoskit.region": self.region,
                    "io.chaoskit.runtime": self.runtime})
        stream = self._container.attach(stream=True, logs=True, stdout=True, stderr=True)
        threading.Thread(target=self._read, args=(stream,), name=f"runtime-{self.runtime}",
                         daemon=True).start()
        self._container.start()

    def _remove_leftover(self, client: Any) -> None:
        import docker.errors

        with contextlib.suppress(docker.errors.NotFound):
            client.containers.get(self.container_name).remove(force=True)

    def _read(self, stream: Any) -> None:
        buffer = b""
        try:
            for chunk in stream:
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self._line(line.decode(errors="replace"))
        except Exception as exc:  # the engine closed the stream: the client is gone
            self.other.append(f"stream ended: {exc}")
        finally:
            if buffer.strip():
                self._line(buffer.decode(errors="replace"))
            self.ended.set()

    def _line(self, line: str) -> None:
        try:
            data = json.loads(line)
        except ValueError:
            if line.strip():
                self.other.append(line.strip())
            return
        with self._lock:
            if isinstance(data, dict) and "runtime" in data:
                self.hello = data
            elif isinstance(data, dict) and isinstance(data.get("t"), (int, float)):
                self.samples.append(Sample(float(data["t"]), float(data.get("ms", 0)),
                                           data.get("addr"), data.get("error")))
            else:
                self.other.append(line.strip())

    def seen(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)

    def stop(self) -> None:
        import docker.errors

        if self._container is not None:
            with contextlib.suppress(docker.errors.APIError):
                self._container.remove(force=True)
        self.ended.wait(5)

    def describe(self) -> str:
        got = self.seen()[-3:]
        shown = ", ".join(s.addr or f"error {s.error}" for s in got) or "nothing"
        extra = f"; it printed: {' | '.join(self.other[-3:])}" if self.other else ""
        return f"{self.runtime} got {shown}{extra}"


@dataclass
class RuntimeResult:
    """One runtime's row: how long it kept the old answer, and the failure, after the change."""

    runtime: str
    version: str
    stale_after_flip_s: float | None  # None: still the old answer after `max_wait_s`
    failing_after_repair_s: float | None  # None: still failing after `max_wait_s`
    notes: str
    held_answer_s: float | None = None  # from its first request to its first new answer
    held_failure_s: float | None = None  # from its first failure to its first success
    requests: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Matrix:
    """The whole measurement: where, what the world served, and one row per runtime."""

    world: str
    region: str
    name: str
    old_address: str
    new_address: str
    record_ttl_s: int
    negative_ttl_s: int | None
    interval_ms: int
    max_wait_s: float
    results: list[RuntimeResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self).items() if k != "results"},
                "runtimes": [r.to_json() for r in self.results]}


def _wait(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _started(clients: list[Client], ok: Callable[[Sample], bool], what: str) -> None:
    """Wait until every client gave WARMUP samples that `ok` accepts; else WorldError."""

    def ready() -> bool:
        for c in clients:
            if c.ended.is_set():
                raise WorldError(f"the {c.runtime} client ended before it {what}: {c.describe()}")
            if sum(1 for s in c.seen() if ok(s)) < WARMUP:
                return False
        return True

    if not _wait(ready, START_TIMEOUT_S):
        late = [c.describe() for c in clients if sum(1 for s in c.seen() if ok(s)) < WARMUP]
        raise WorldError(f"within {START_TIMEOUT_S:.0f}s not every client {what}: " + "; ".join(late))
    unexpected = [c.describe() for c in clients if not all(ok(s) for s in c.seen())]
    if unexpected:
        raise WorldError(f"not every client {what} from its first request (is the world at its "
                         f"baseline? `chaoskit reset`): " + "; ".join(unexpected))


def _after(samples: list[Sample], since: float, ok: Callable[[Sample], bool]) -> Sample | None:
    """The first sample begun at or after `since` that `ok` accepts."""
    return next((s for s in samples if s.t >= since and ok(s)), None)


def delay_after(samples: list[Sample], began: float, confirmed: float,
                ok: Callable[[Sample], bool]) -> tuple[float | None, float | None]:
    """(delay, held) of a client whose world changed between `began` and `confirmed`.

    `delay`: from the confirmed change to the first request (begun after `began`) that saw
    the new state, 0 when one saw it before the confirmation came back; `held`: from the
    client's first request to that one, how long it kept what it first got. Both None when
    no request saw the new state.
    """
    first = _after(samples, began, ok)
    if first is None:
        return None, None
    return max(0.0, first.t - confirmed), first.t - samples[0].t


class _Phase:
    """Fresh clients of every runtime, stopped (and removed) on exit."""

    def __init__(self, world: World, images: dict[str, str], region: str, name: str,
                 seconds: float) -> None:
        self.clients = [Client(world, rt, tag, region, name, seconds) for rt, tag in images.items()]

    def __enter__(self) -> list[Client]:
        try:
            for c in self.clients:
                c.start()
        except BaseException:
            self.__exit__()
            raise
        return self.clients

    def __exit__(self, *exc: object) -> None:
        for c in self.clients:
            c.stop()


def measure(world: World, names: list[str], *, max_wait: float = MAX_WAIT_S,
            log: Log = lambda s: None) -> Matrix:
    """Run the matrix for the runtimes `names` (see `parse_only`) on a running world."""
    topo = world.topology
    unknown = [n for n in names if n not in RUNTIMES]
    if unknown or not names:
        raise UserError(f"unknown runtimes: {', '.join(unknown) or '(none named)'}")
    if len(topo.regions) < 2:
        raise UserError("the runtime matrix flips the store's record to another region: the "
                        "topology needs two regions", where=str(topo.source))
    if not world.is_running():
        raise UserError(f"world {world.project} is not up", hint="run `chaoskit up` first")
    images = {n: img.tag for n, img in build_runtime_images(names, log=log).items()}
    region = topo.primary
    other = next(r for r in topo.regions if r != region)
    name = topo.endpoint("kv", region).dns_name
    plan = world.plan
    view = plan.view(region)
    old = plan.answer_ip(region, view, region)
    new = plan.answer_ip(other, view, region)
    served = ask_resolver(world, region, name)
    ttls = [int(a["ttl"]) for a in served["answers"]]
    if served["rcode"] != "NOERROR" or not ttls:
        raise WorldError(f"{name} has no answer in {region} ({served['rcode']}): "
                         "`chaoskit reset` brings the baseline back")
    matrix = Matrix(world.project, region, name, old, new, max(ttls), None, INTERVAL_MS, max_wait)
    seconds = START_TIMEOUT_S + max_wait + 30  # a client stops by itself after this
    # In the region's own CoreDNS, for every view: its clients see it, and so does the host,
    # whose query through the published port confirms it and reads the empty answer's SOA.
    scope = {"target": name, "region": region}

    def is_old(s: Sample) -> bool:
        return s.addr == old

    def is_new(s: Sample) -> bool:
        return s.addr == new

    def fails(s: Sample) -> bool:
        return s.addr is None

    flips: dict[str, tuple[float | None, float | None, int]] = {}
    repairs: dict[str, tuple[float | None, float | None, int]] = {}
    hellos: dict[str, dict[str, Any]] = {}
    with Faults(world, log=log) as faults:
        log(f"flip: {len(images)} clients in {region} resolve {name} (baseline {old})")
        with _Phase(world, images, region, name, seconds) as clients:
            _started(clients, is_old, f"resolved {name} to {old}")
            began = time.time()
            faults.inject({"id": "runtimes-flip", "fault": "dns.wrong-answer",
                           "params": {"to_region": other}, **scope})
            flipped = time.time()
            log(f"flip: {name} now answers {new} in {region} (confirmed in "
                f"{flipped - began:.2f}s); waiting for every client")
            _wait(lambda: all(_after(c.seen(), began, is_new) for c in clients), max_wait)
            for c in clients:
                samples = c.seen()
                flips[c.runtime] = (*delay_after(samples, began, flipped, is_new), len(samples))
                hellos[c.runtime] = c.hello
        faults.revert("runtimes-flip")
        log("repair: the record is emptied, then fresh clients start")
        faults.inject({"id": "runtimes-nodata", "fault": "dns.nodata", **scope})
        matrix.negative_ttl_s = _negative_ttl(world, region, name)
        with _Phase(world, images, region, name, seconds) as clients:
            _started(clients, fails, f"failed to resolve {name}")
            began = time.time()
            faults.revert("runtimes-nodata")
            repaired = time.time()
            log(f"repair: {name} answers {old} again (confirmed in {repaired - began:.2f}s); "
                "waiting for every client")
            _wait(lambda: all(_after(c.seen(), began, is_old) for c in clients), max_wait)
            for c in clients:
                samples = c.seen()
                repairs[c.runtime] = (*delay_after(samples, began, repaired, is_old), len(samples))
                hellos[c.runtime] = hellos[c.runtime] or c.hello
    for rt in images:
        stale, held_answer, n1 = flips[rt]
        failing, held_failure, n2 = repairs[rt]
        hello = hellos[rt]
        matrix.results.append(RuntimeResult(
            rt, str(hello.get("version", "?")), _round(stale), _round(failing),
            _notes(str(hello.get("notes", "")), stale, held_answer, failing, held_failure, max_wait),
            _round(held_answer), _round(held_failure), n1 + n2))
    return matrix


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _notes(own: str, stale: float | None, held_answer: float | None, failing: float | None,
           held_failure: float | None, max_wait: float) -> str:
    # Within two request intervals of the change: the client asked again, it keeps no cache.
    quick = 2 * INTERVAL_MS / 1000 + 0.1
    parts = [own] if own else []
    if stale is None:
        parts.append(f"still the old answer {max_wait:.0f}s after the flip")
    elif stale <= quick:
        parts.append("no answer cache")
    elif held_answer is not None:
        parts.append(f"kept its first answer {held_answer:.1f}s")
    if failing is None:
        parts.append(f"still failing {max_wait:.0f}s after the repair")
    elif failing <= quick:
        parts.append("no failure cache")
    elif held_failure is not None:
        parts.append(f"kept its first failure {held_failure:.1f}s")
    return "; ".join(parts)


def _negative_ttl(world: World, region: str, name: str) -> int | None:
    """How long the empty answer may be cached: min(SOA TTL, SOA minimum) of its authority."""
    import dns.message
    import dns.query
    import dns.rdatatype

    addr = world.dns_address(region)
    try:
        reply = dns.query.udp(dns.message.make_query(name, "A"), addr.host, port=addr.port,
                              timeout=2.0)
    except (OSError, dns.exception.DNSException):
        return None
    for rrset in reply.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return int(min(rrset.ttl, min(r.minimum for r in rrset)))
    return None
