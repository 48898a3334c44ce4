"""Does a failed write say truly whether it ran? chaoskit's RespClient against redis-py.

A real redis-server on 127.0.0.1 sits behind a real Toxiproxy proxy. Each client writes
unique keys (one SET per operation) while the proxy cycles through faults: the proxy
disabled (connection refused), reset_peer, timeout, latency above the client timeout,
slicer and limit_data cutting a reply, and the proxy disabled while a write is in flight;
each fault meets a pooled connection first, as a running service's would. Every
operation's error is labelled, as a history needs it, either a **definite failure** (the
write did not run: `fail`) or an **unknown outcome** (it may have run: `info`). After each
fault the keys are read back over a separate, clean redis-py connection straight to
redis-server, which gives the truth:

- mislabelled: labelled definite, but the write ran (the lost-writes check then reports
  it as "unexpected: the store applied a write reported failed"; the error rate is wrong);
- imprecise: labelled unknown, but the write did not run (safe, but vaguer counts).

Clients and labellings (redis-py has no documented "did it run" signal; its exception
types are the natural one, every error unknown the only safe one):

- chaoskit: `RespClient` (KvUnavailable = definite, KvOutcomeUnknown = unknown);
- redis-py as it comes (redis-py 8: 10 retries with jittered backoff on ConnectionError and
  TimeoutError; each new connection opens with ``HELLO 3`` and ``CLIENT SETINFO``), with
  retries off (``retry=Retry(NoBackoff(), 0)``), and with retries and the handshake off
  (``protocol=2, driver_info=None``: the SET is the first thing a new connection sends);
  each labelled three ways: ``by type`` (redis.ConnectionError = definite,
  redis.TimeoutError = unknown: what the exception names suggest), ``by message``
  (definite only when the error's text says the connect itself failed: redis-py's texts,
  not a documented interface) and ``all unknown`` (the only safe reading of the types).

It also prints, on the same run: throughput with no fault (sequential SETs straight to
redis-server, no proxy; ratio of the two clients), how many name lookups each client makes
(a stub resolver, patched in as ``socket.getaddrinfo``, answers the endpoint's name), and
how long one command takes when that resolver hangs.

    python bench/resp_vs_redispy.py                       # 10 operations per fault and client
    python bench/resp_vs_redispy.py --ops 20 --timeout 0.25 --throughput-ops 3000
    python bench/resp_vs_redispy.py --skip-default-retries   # minutes faster

Needs ``redis-server`` (apt-get install -y redis-server) and a Toxiproxy server binary
(`$CHAOSKIT_TOXIPROXY_BIN`, the one `chaoskit images build` built, or toxiproxy-server on
the PATH). Bounded: every command has a timeout, every loop a count; only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoskit.inworld.protocol.resp import KvError, KvOutcomeUnknown, KvReplyError, KvUnavailable, RespClient
from chaoskit.toxiproxy import (
    Latency,
    LimitData,
    LocalToxiproxyServer,
    ResetPeer,
    Slicer,
    Stream,
    Timeout,
    ToxicAttributes,
    ToxiproxyClient,
    find_server_binary,
)
from chaoskit.workload.local import LocalRedis, free_port, redis_server_binary

NAME = "kv.bench.chaoskit.internal"  # answered by the stub resolver below, never sent anywhere
DEV_BINARY = "/tmp/gobin/server"


# --- the stub resolver --------------------------------------------------------------------
class StubResolver:
    """Stands in for ``socket.getaddrinfo``: answers NAME with 127.0.0.1, counts, can hang."""

    def __init__(self) -> None:
        self.real = socket.getaddrinfo
        self.lookups = 0
        self.hang = 0.0
        self._lock = threading.Lock()

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME:
            return self.real(host, port, *args, **kwargs)
        with self._lock:
            self.lookups += 1
        if self.hang:
            time.sleep(self.hang)  # a resolver that does not answer (glibc waits 5 s a try)
        return self.real("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM)


# --- the faults ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    label: str
    toxic: ToxicAttributes | None  # None: the proxy is disabled (connection refused)
    stream: Stream = "downstream"
    settle: float = 0.3  # seconds to wait after removing it before reading the truth
    cut_after: float | None = None  # disable the proxy this long after each operation starts


def faults(timeout: float) -> list[Fault]:
    over = int(timeout * 1000 * 4)  # latency well above the client timeout
    return [
        Fault("refused (proxy disabled)", None),
        Fault("reset_peer downstream", ResetPeer(0)),
        Fault("reset_peer upstream", ResetPeer(0), "upstream"),
        Fault("timeout downstream", Timeout(0)),
        Fault("timeout upstream", Timeout(0), "upstream"),
        Fault(f"latency downstream {over} ms", Latency(over), settle=over / 1000 + 0.3),
        Fault(f"latency upstream {over} ms", Latency(over), "upstream", settle=over / 1000 + 0.3),
        Fault("slicer downstream 1 B / 100 ms", Slicer(1, 0, 100_000)),
        Fault("limit_data downstream 2 B", LimitData(2)),
        Fault("limit_data downstream 12 B", LimitData(12)),
        # net.down while a write is in flight: the reply is held back, then the proxy goes down
        Fault(f"proxy disabled mid-command (latency downstream {over} ms)", Latency(over),
              settle=over / 1000 + 0.3, cut_after=timeout / 2),
    ]


# --- the clients --------------------------------------------------------------------------
DEFINITE, UNKNOWN, REPLY, OK = "definite", "unknown", "reply error", "ok"


@dataclass
class Op:
    fault: str
    key: str
    error: BaseException | None
    labels: dict[str, str]  # labelling -> label
    seconds: float
    ran: bool | None = None


class Contender:
    """One client configuration; `labellings` maps a labelling's name to a function of the error."""

    name: str
    labellings: dict[str, Callable[[BaseException], str]]

    def set(self, key: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class Chaoskit(Contender):
    name = "chaoskit RespClient"

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.client = RespClient(host, port, timeout=timeout)
        self.labellings = {"its own types": self.label}

    @staticmethod
    def label(error: BaseException) -> str:
        if isinstance(error, KvUnavailable):
            return DEFINITE
        if isinstance(error, KvOutcomeUnknown):
            return UNKNOWN
        if isinstance(error, KvReplyError):
            return REPLY
        raise error

    def set(self, key: str) -> None:
        self.client.set(key, "1")

    def close(self) -> None:
        self.client.close()


class RedisPy(Contender):
    def __init__(
        self, host: str, port: int, timeout: float, *, retries: bool, handshake: bool = True,
    ) -> None:
        extra: dict[str, Any] = {} if retries else {"retry": Retry(NoBackoff(), 0)}
        if not handshake:  # no HELLO 3 and CLIENT SETINFO round trips when connecting
            extra.update(protocol=2, driver_info=None)
        self.client = redis.Redis(host, port, socket_timeout=timeout, socket_connect_timeout=timeout, **extra)
        self.name = "redis-py (" + ("default retries" if retries else "retries off") + (
            "" if handshake else ", no handshake") + ")"
        self.labellings = {
            "by type": self.by_type, "by message": self.by_message, "all unknown": self.all_unknown,
        }

    @staticmethod
    def by_type(error: BaseException) -> str:
        if isinstance(error, redis.ResponseError):
            return REPLY
        if isinstance(error, redis.TimeoutError):  # (checked first: not a ConnectionError)
            return UNKNOWN
        if isinstance(error, redis.ConnectionError):
            return DEFINITE
        raise error

    @staticmethod
    def by_message(error: BaseException) -> str:
        """Definite only for errors whose (undocumented) text says the connect itself failed."""
        if isinstance(error, redis.ResponseError):
            return REPLY
        if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
            return DEFINITE if CONNECT_FAILED.match(str(error)) else UNKNOWN
        raise error

    @staticmethod
    def all_unknown(error: BaseException) -> str:
        if isinstance(error, redis.ResponseError):
            return REPLY
        if isinstance(error, (redis.ConnectionError, redis.TimeoutError)):
            return UNKNOWN
        raise error

    def set(self, key: str) -> None:
        self.client.set(key, "1")

    def close(self) -> None:
        self.client.close()


ERRORS = (KvError, redis.RedisError)
# redis-py's texts for a failed connect (`AbstractConnection._error_message`, `connect_check_health`)
CONNECT_FAILED = re.compile(r"(Error -?\d+ connecting to |Timeout connecting to server)")


@dataclass
class Tally:
    ops: int = 0
    errors: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    mislabelled: int = 0
    imprecise: int = 0
    ok_missing: int = 0  # acknowledged but not there: must stay 0
    seconds: float = 0.0
    slowest: float = 0.0  # the longest single operation, s
    lookups: int = 0

    def add(self, op: Op, labelling: str) -> None:
        self.ops += 1
        self.slowest = max(self.slowest, op.seconds)
        if op.error is None:
            self.ok_missing += op.ran is False
            return
        self.errors += 1
        label = op.labels[labelling]
        self.labels[label] += 1
        self.mislabelled += label == DEFINITE and op.ran is True
        self.imprecise += label == UNKNOWN and op.ran is False


# --- the run ------------------------------------------------------------------------------
@contextmanager
def fault_on(tox: ToxiproxyClient, proxy: str, fault: Fault) -> Iterator[None]:
    if fault.toxic is None:
        tox.disable_proxy(proxy)
    else:
        tox.add_toxic(proxy, fault.toxic, stream=fault.stream, name="fault")
    try:
        yield
    finally:
        if fault.toxic is None:
            tox.enable_proxy(proxy)
        else:
            tox.remove_toxic(proxy, "fault")


def warm_up(contender: Contender, run_id: str) -> None:
    """A clean SET before each fault, so the fault meets a pooled connection, as a service's does."""
    for _ in range(20):
        try:
            contender.set(f"warm:{run_id}")
            return
        except ERRORS:
            time.sleep(0.1)  # the previous fault's broken connections, cleared by trying
    raise RuntimeError(f"{contender.name}: no clean SET after a fault was removed")


def drive(
    make: Callable[[], Contender], tox: ToxiproxyClient, proxy: str, truth: redis.Redis,
    stub: StubResolver, fault_list: list[Fault], ops: int,
) -> tuple[str, dict[str, Tally], dict[str, dict[str, Tally]], list[Op]]:
    contender = make()
    run_id = uuid.uuid4().hex[:8]
    log: list[Op] = []
    seconds: dict[str, float] = {}
    lookups: dict[str, int] = {}
    try:
        for fault in fault_list:
            warm_up(contender, run_id)
            started, looked = time.monotonic(), stub.lookups
            batch: list[Op] = []
            with fault_on(tox, proxy, fault):
                for i in range(ops):
                    key = f"bench:{run_id}:{len(log) + len(batch)}:{i}"
                    cut = None
                    if fault.cut_after is not None:
                        cut = threading.Timer(fault.cut_after, tox.disable_proxy, [proxy])
                    op_started = time.monotonic()
                    if cut is not None:
                        cut.start()
                    try:
                        contender.set(key)
                        error: BaseException | None = None
                    except ERRORS as e:
                        error = e
                    if cut is not None:
                        cut.cancel()
                        cut.join()
                        tox.enable_proxy(proxy)
                    labels = {n: (OK if error is None else f(error)) for n, f in contender.labellings.items()}
                    batch.append(Op(fault.label, key, error, labels, time.monotonic() - op_started))
            seconds[fault.label] = time.monotonic() - started
            lookups[fault.label] = stub.lookups - looked
            time.sleep(fault.settle)  # let delayed writes land before reading the truth
            values = truth.mget([op.key for op in batch])
            for op, value in zip(batch, values, strict=True):
                op.ran = value is not None
            log += batch
            # connections the fault left half-open are the client's business, as in a service
    finally:
        contender.close()
    totals = {n: Tally() for n in contender.labellings}
    per_fault: dict[str, dict[str, Tally]] = {n: {} for n in contender.labellings}
    for op in log:
        for n in contender.labellings:
            totals[n].add(op, n)
            per_fault[n].setdefault(op.fault, Tally()).add(op, n)
    for n in contender.labellings:
        for label, tally in per_fault[n].items():
            tally.seconds, tally.lookups = seconds[label], lookups[label]
        totals[n].seconds = sum(seconds.values())
        totals[n].lookups = sum(lookups.values())
    return contender.name, totals, per_fault, log


def throughput(host: str, port: int, n: int, rounds: int) -> dict[str, float]:
    """Sequential SETs straight to redis-server, the clients interleaved round by round."""
    makers: dict[str, Callable[[], Any]] = {
        "chaoskit RespClient": lambda: RespClient(host, port, timeout=2.0),
        "redis-py": lambda: redis.Redis(host, port, socket_timeout=2.0),
    }
    rates: dict[str, list[float]] = {name: [] for name in makers}
    for r in range(rounds):
        for name, make in makers.items():
            client = make()
            try:
                client.set("tp:warm", "1")
                started = time.perf_counter()
                for i in range(n):
                    client.set(f"tp:{r}:{i}", "1")
                rates[name].append(n / (time.perf_counter() - started))
            finally:
                client.close()
    return {name: statistics.median(values) for name, values in rates.items()}


def hung_resolver(
    port: int, stub: StubResolver, hang: float, timeout: float,
) -> list[tuple[str, float, int, str]]:
    """One SET per client while every lookup of NAME hangs for `hang` seconds."""
    rows = []
    makers: list[tuple[str, Callable[[], Any]]] = [
        ("chaoskit RespClient", lambda: RespClient(NAME, port, timeout=timeout)),
        ("redis-py (retries off)", lambda: RedisPy(NAME, port, timeout, retries=False).client),
        ("redis-py (default retries)", lambda: RedisPy(NAME, port, timeout, retries=True).client),
    ]
    stub.hang = hang
    try:
        for name, make in makers:
            client = make()
            looked, started = stub.lookups, time.monotonic()
            try:
                client.set("hung:k", "1")
                outcome = "ok"
            except ERRORS as e:
                outcome = type(e).__name__
            finally:
                client.close()
            rows.append((name, time.monotonic() - started, stub.lookups - looked, outcome))
    finally:
        stub.hang = 0.0
    return rows


# --- printing -----------------------------------------------------------------------------
def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def print_totals(results: list[tuple[str, dict[str, Tally]]]) -> None:
    print("| client | labelling | ops | errors | labelled definite | labelled unknown |"
          " **mislabelled** (definite, but it ran) | **imprecise** (unknown, but it did not run) |"
          " acknowledged but missing | seconds | slowest op, s | name lookups |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, totals in results:
        for labelling, t in totals.items():
            print(f"| {name} | {labelling} | {t.ops} | {t.errors} | {t.labels[DEFINITE]} |"
                  f" {t.labels[UNKNOWN]} |"
                  f" **{t.mislabelled}** | **{t.imprecise}** ({pct(t.imprecise, t.errors)} of errors) |"
                  f" {t.ok_missing} | {t.seconds:.1f} | {t.slowest:.2f} | {t.lookups} |")


def print_per_fault(results: list[tuple[str, dict[str, dict[str, Tally]]]], fault_list: list[Fault]) -> None:
    columns = [(name, labelling) for name, per in results for labelling in per]
    print("per fault: errors / mislabelled / imprecise (name lookups per operation; seconds):\n")
    print("| fault | " + " | ".join(f"{n}, {lab}" for n, lab in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for fault in fault_list:
        cells = []
        for _name, per in results:
            for labelling in per:
                t = per[labelling][fault.label]
                cells.append(f"{t.errors} / {t.mislabelled} / {t.imprecise}"
                             f" ({t.lookups / max(t.ops, 1):.1f}; {t.seconds:.1f} s)")
        print(f"| {fault.label} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=10, help="SETs per fault and client (default 10)")
    parser.add_argument("--timeout", type=float, default=0.25, help="the clients' command timeout, s")
    parser.add_argument("--throughput-ops", type=int, default=3000, help="SETs per client and round")
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds (median)")
    parser.add_argument("--hang", type=float, default=1.0, help="seconds a hung lookup takes")
    parser.add_argument("--skip-default-retries", action="store_true",
                        help="leave out redis-py with its default retries (the slowest contender)")
    args = parser.parse_args(argv)
    if not 1 <= args.ops <= 1000 or not 0.01 <= args.timeout <= 5:
        parser.error("--ops must be 1..1000 and --timeout 0.01..5")
    if redis_server_binary() is None:
        print("bench: redis-server not found (apt-get install -y redis-server); nothing to measure")
        return 1
    binary = find_server_binary([DEV_BINARY])
    if binary is None:
        print("bench: no toxiproxy server binary: set CHAOSKIT_TOXIPROXY_BIN or run chaoskit images build")
        return 1

    stub = StubResolver()
    socket.getaddrinfo = stub  # both clients resolve through it
    fault_list = faults(args.timeout)
    with LocalRedis() as store, LocalToxiproxyServer(binary) as server, \
            ToxiproxyClient(server.url, timeout=5.0) as tox:
        listen_port = free_port()
        proxy = f"bench-kv-{uuid.uuid4().hex[:6]}"
        tox.create_proxy(proxy, store.address, listen=f"127.0.0.1:{listen_port}")
        truth = redis.Redis("127.0.0.1", store.port, socket_timeout=5, socket_connect_timeout=5)
        makers: list[Callable[[], Contender]] = [
            lambda: Chaoskit(NAME, listen_port, args.timeout),
            lambda: RedisPy(NAME, listen_port, args.timeout, retries=False),
            lambda: RedisPy(NAME, listen_port, args.timeout, retries=False, handshake=False),
        ]
        if not args.skip_default_retries:
            makers.append(lambda: RedisPy(NAME, listen_port, args.timeout, retries=True))
        totals: list[tuple[str, dict[str, Tally]]] = []
        per_fault: list[tuple[str, dict[str, dict[str, Tally]]]] = []
        for make in makers:
            name, total, per, _log = drive(make, tox, proxy, truth, stub, fault_list, args.ops)
            totals.append((name, total))
            per_fault.append((name, per))
            print(f"[{name}: done]", file=sys.stderr)
        rates = throughput("127.0.0.1", store.port, args.throughput_ops, args.rounds)
        hung = hung_resolver(listen_port, stub, args.hang, args.timeout)
        truth.close()

    print(f"\n`python bench/resp_vs_redispy.py --ops {args.ops} --timeout {args.timeout:g}`"
          f" (redis-py {redis.__version__}; {args.ops} unique SETs per fault and client;"
          f" command timeout {args.timeout:g} s; faults in this order: "
          + ", ".join(f.label for f in fault_list) + ")\n")
    print_totals(totals)
    print()
    print_per_fault(per_fault, fault_list)
    ours, theirs = rates["chaoskit RespClient"], rates["redis-py"]
    print(f"\nthroughput, no fault ({args.throughput_ops} sequential SETs straight to redis-server,"
          f" median of {args.rounds} interleaved rounds):\n")
    print("| client | ops/s |\n|---|---|")
    print(f"| chaoskit RespClient | {ours:,.0f} |\n| redis-py | {theirs:,.0f} |")
    print(f"| **ratio** RespClient / redis-py | **{ours / theirs:.2f}** |")
    print(f"\none SET while every lookup of the name hangs {args.hang:g} s (timeout {args.timeout:g} s):\n")
    print("| client | seconds | lookups | outcome |\n|---|---|---|---|")
    for name, seconds, lookups, outcome in hung:
        print(f"| {name} | {seconds:.2f} | {lookups} | {outcome} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
