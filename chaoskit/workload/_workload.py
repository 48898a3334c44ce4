"""The workload: drives targets at a set rate and records every operation into a history."""

from __future__ import annotations

import queue
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from chaoskit.history import Event, History, Op

from ._schedule import Schedule
from ._targets import Result, Session, Target

#: Reads pick among this many most recently acknowledged writes.
RECENT = 100


@dataclass(frozen=True)
class WorkloadStats:
    """Counts of one run. `lost` (issued but never recorded) is 0 unless something is wrong."""

    planned: int
    issued: int
    recorded: int
    skipped: int
    ok: int
    fail: int
    unknown: int
    elapsed: float

    @property
    def lost(self) -> int:
        return self.issued - self.recorded

    @property
    def rate(self) -> float:
        """Recorded ops per second."""
        return self.recorded / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class _Task:
    n: int
    target: Target
    kind: str
    region: str


def _write_fraction(mix: float | Mapping[str, float]) -> float:
    if isinstance(mix, Mapping):
        unknown = set(mix) - {"write", "read"}
        total = sum(mix.values())
        if unknown or total <= 0 or any(v < 0 for v in mix.values()):
            raise ValueError(f'mix must be like {{"write": 1, "read": 3}}, not {dict(mix)!r}')
        return mix.get("write", 0.0) / total
    if not 0.0 <= mix <= 1.0:
        raise ValueError(f"mix (the fraction of writes) must be within [0, 1], not {mix!r}")
    return float(mix)


class Workload:
    """Open-loop writes and reads against one or more targets, recorded into a `History`.

    Op n is started at ``n / rate`` seconds after `start`, by one of `concurrency` worker
    threads (at most that many in flight), until `duration` has passed or `stop()`.
    Writes add unique ids ``<run_id>-<n>``; reads read a recently acknowledged id.

        history = History()
        t0 = time.monotonic()
        target = OrdersTarget({"us-east-1": "http://127.0.0.1:49153"})
        with Workload(target, rate=500, duration=30) as w:
            w.start(history, t0)
            ...                      # inject faults
            w.wait()
        w.final_read()
    """

    def __init__(
        self,
        targets: Target | Sequence[Target],
        *,
        rate: float,
        mix: float | Mapping[str, float] = 0.5,
        concurrency: int = 32,
        timeout: float = 2.0,
        duration: float = 60.0,
        run_id: str | None = None,
        seed: int | None = None,
        catch_up: float = 0.5,
        rate_steps: Sequence[tuple[float, float]] = (),
    ) -> None:
        self.targets: list[Target] = list(targets) if isinstance(targets, Sequence) else [targets]
        if not self.targets:
            raise ValueError("a workload needs at least one target")
        if not rate > 0:
            raise ValueError(f"rate must be > 0 ops/s, not {rate!r}")
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if not duration > 0:
            raise ValueError("duration must be > 0 s")
        self.rate = rate
        self.write_fraction = _write_fraction(mix)
        self.concurrency = concurrency
        self.timeout = timeout
        self.duration = duration
        self.catch_up = catch_up
        #: ``(seconds since t0, rate)``: from then on, ops are due at that rate.
        self.rate_steps = tuple((float(at), float(r)) for at, r in rate_steps)
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self._rng = random.Random(seed)
        self._seed = self._rng.random()
        self._acked: dict[str, deque[str]] = {t.name: deque(maxlen=RECENT) for t in self.targets}
        # Every id written (whatever the outcome), for a final read that reads each id; not
        # kept for a target that says it lists every id at once (`lists`), to bound memory.
        self._written: dict[str, list[str] | None] = {
            t.name: None if getattr(t, "lists", False) else [] for t in self.targets
        }
        self._history: History | None = None
        self._t0 = 0.0
        self._schedule: Schedule | None = None
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(concurrency)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler: threading.Thread | None = None
        self._counts = {"issued": 0, "skipped": 0, "recorded": 0, "ok": 0, "fail": 0, "unknown": 0}
        self._count_lock = threading.Lock()
        self._next_n = 0
        self._issue_ended: float | None = None
        self._stop_recorded = False

    # --- life cycle ------------------------------------------------------------------
    def start(self, history: History, t0: float | None = None) -> Workload:
        """Start issuing ops now; times are recorded in seconds since `t0` (`time.monotonic`)."""
        if self._scheduler is not None:
            raise RuntimeError("a workload is started once")
        self._history = history
        now = time.monotonic()
        self._t0 = now if t0 is None else t0
        passed = [r for at, r in self.rate_steps if self._t0 + at <= now]
        self._schedule = Schedule(passed[-1] if passed else self.rate, now, now + self.duration,
                                  self.catch_up, tuple((self._t0 + at, r) for at, r in self.rate_steps
                                                       if self._t0 + at > now))
        history.event(
            Event(
                now - self._t0,
                "note",
                "workload-start",
                detail={
                    "run_id": self.run_id,
                    "targets": [t.name for t in self.targets],
                    "rate": self.rate,
                    "write_fraction": self.write_fraction,
                    "concurrency": self.concurrency,
                    "timeout": self.timeout,
                    "duration": self.duration,
                    **({"rate_steps": [list(s) for s in self.rate_steps]} if self.rate_steps else {}),
                },
            )
        )
        for k in range(self.concurrency):
            t = threading.Thread(target=self._work, args=(k,), name=f"workload-w{k}", daemon=True)
            t.start()
            self._threads.append(t)
        self._scheduler = threading.Thread(target=self._issue, name="workload-scheduler", daemon=True)
        self._scheduler.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the workload stops by itself (its duration has passed) and every
        op in flight is recorded; True if it has."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in [self._scheduler, *self._threads]:
            if t is None:
                continue
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if t.is_alive():
                return False
        return True

    def stop(self) -> WorkloadStats:
        """Stop issuing ops, wait for those in flight to be recorded, and return the counts."""
        self._stopping.set()
        if self._scheduler is not None:
            # every op in flight ends within its timeout (twice, for one reconnect)
            self.wait(2 * self.timeout + 5.0)
            if not self._stop_recorded:
                self._stop_recorded = True
                assert self._history is not None
                self._history.event(
                    Event(
                        time.monotonic() - self._t0,
                        "note",
                        "workload-stop",
                        detail=self._stats_dict(),
                    )
                )
        return self.stats

    def __enter__(self) -> Workload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- counts ----------------------------------------------------------------------
    @property
    def stats(self) -> WorkloadStats:
        with self._count_lock:
            c = dict(self._counts)
        schedule = self._schedule
        if schedule is None:
            return WorkloadStats(0, 0, 0, 0, 0, 0, 0, 0.0)
        end = min(self._issue_ended or time.monotonic(), schedule.stop)
        return WorkloadStats(
            # due while issuing; more than issued + skipped if workers were busy at the end
            planned=max(schedule.planned(end), c["issued"] + c["skipped"]),
            issued=c["issued"],
            recorded=c["recorded"],
            skipped=c["skipped"],
            ok=c["ok"],
            fail=c["fail"],
            unknown=c["unknown"],
            elapsed=end - schedule.start,
        )

    def _stats_dict(self) -> dict[str, Any]:
        s = self.stats
        return {**asdict(s), "lost": s.lost, "rate": round(s.rate, 1)}

    # --- the scheduler ---------------------------------------------------------------
    def _plan(self, n: int) -> _Task:
        target = self.targets[n % len(self.targets)]
        kind = "write" if self._rng.random() < self.write_fraction else "read"
        regions = target.write_regions if kind == "write" else target.read_regions
        return _Task(n, target, kind, regions[(n // len(self.targets)) % len(regions)])

    def _issue(self) -> None:
        schedule = self._schedule
        assert schedule is not None
        n = 0
        try:
            while not self._stopping.is_set() and not schedule.finished(n):
                wait = schedule.due(n) - time.monotonic()
                if wait > 0:
                    # short sleeps keep the schedule; long ones wake to notice stop()
                    if wait > 0.05:
                        self._stopping.wait(0.05)
                        continue
                    time.sleep(wait)
                if not self._slots.acquire(timeout=0.05):
                    continue  # all workers busy: check stop and the catch-up rule again
                n, skipped = schedule.catch_up_to(n, time.monotonic())
                if skipped:
                    with self._count_lock:
                        self._counts["skipped"] += skipped
                if self._stopping.is_set() or schedule.finished(n):
                    self._slots.release()
                    break
                with self._count_lock:
                    self._counts["issued"] += 1
                self._tasks.put(self._plan(n))
                n += 1
        finally:
            self._next_n = n
            self._issue_ended = time.monotonic()
            for _ in self._threads:
                self._tasks.put(None)

    # --- the workers -----------------------------------------------------------------
    def _work(self, k: int) -> None:
        rng = random.Random(f"{self._seed}-{k}")
        sessions: dict[str, Session] = {}
        try:
            while True:
                task = self._tasks.get()
                if task is None:
                    return
                try:
                    session = sessions.get(task.target.name)
                    if session is None:
                        session = sessions[task.target.name] = task.target.session(self.timeout)
                    self._run(task, session, k, rng)
                finally:
                    self._slots.release()
        finally:
            for session in sessions.values():
                session.close()

    def _run(self, task: _Task, session: Session, k: int, rng: random.Random) -> None:
        acked = self._acked[task.target.name]
        kind, region = task.kind, task.region
        if kind == "read" and not acked:
            # nothing acknowledged yet to read: write instead, where writes go
            kind = "write"
            region = task.target.write_regions[task.n % len(task.target.write_regions)]
        order_id = f"{self.run_id}-{task.n}" if kind == "write" else acked[-rng.randint(1, len(acked))]
        start = time.monotonic()
        try:
            written = self._written[task.target.name]
            if kind == "write" and written is not None:
                written.append(order_id)
            call = session.write if kind == "write" else session.read
            result = call(region, order_id, seq=task.n)
        except Exception as e:  # a client bug must not lose the record
            result = Result("unknown", error=f"client error: {type(e).__name__}: {e}")
        end = time.monotonic()
        if kind == "write" and result.outcome == "ok":
            acked.append(order_id)
        self._record(
            Op(
                index=task.n,
                process=f"{region}/w{k}",
                kind=kind,
                target=task.target.name,
                start=start - self._t0,
                end=end - self._t0,
                outcome=result.outcome,
                key=order_id,
                value=order_id if kind == "write" else result.value,
                region=result.region,
                error=result.error,
            )
        )

    def _record(self, op: Op) -> None:
        assert self._history is not None
        self._history.record(op)
        with self._count_lock:
            self._counts["recorded"] += 1
            self._counts[op.outcome] += 1

    # --- the end ---------------------------------------------------------------------
    def _read_each(self, target: Target, session: Session, regions: list[str], deadline: float) -> Result:
        """Read every id written, in every region until one has it: the ids some region has.

        An id no region would answer for before `deadline` makes the whole read fail:
        a set with holes cannot tell lost writes from unanswered reads.
        """
        present: list[str] = []
        for key in dict.fromkeys(self._written[target.name] or ()):
            while True:
                found = answered = False
                error = None
                for region in regions:
                    result = session.read(region, key)
                    answered = answered or result.outcome == "ok"
                    error = error or result.error
                    if result.outcome == "ok" and result.value is not None:
                        found = True
                        break
                if found or answered:
                    if found:
                        present.append(key)
                    break
                if time.monotonic() + 0.25 >= deadline:
                    return Result("fail", error=f"no region answered a read of {key!r}: {error}")
                time.sleep(0.25)
        return Result("ok", None, sorted(present))

    def final_read(self, timeout: float = 30.0, history: History | None = None) -> list[Op]:
        """Read the whole set of ids once per target and record it as a ``final-read`` op.

        Asks each region in turn until one answers with no write still queued, for at
        most `timeout` seconds (the world may still be recovering); then records the
        last answer, or a failure.
        """
        history = history or self._history
        if history is None:
            raise RuntimeError("final_read needs a history: start() the workload or pass one")
        if self._scheduler is not None and not self._stop_recorded:
            self.stop()
        ops = []
        for i, target in enumerate(self.targets):
            op = self._final_read(target, timeout, index=self._next_n + i)
            history.record(op)
            ops.append(op)
        return ops

    def _final_read(self, target: Target, timeout: float, index: int) -> Op:
        regions = list(dict.fromkeys((*target.write_regions, *target.read_regions)))
        session = target.session(self.timeout)
        start = time.monotonic()
        deadline = start + timeout
        best: Result | None = None
        last: Result | None = None
        try:
            while True:
                for region in regions:
                    try:
                        result = session.read_all(region)
                    except NotImplementedError:  # no list: read each id written instead
                        result = self._read_each(target, session, regions, deadline)
                        best = result if result.outcome == "ok" else best
                        last = result
                        break
                    last = result
                    if result.outcome == "ok":
                        best = result
                        if result.pending == 0:
                            break
                if best is not None and best.pending == 0:
                    break
                if time.monotonic() + 0.25 >= deadline:
                    break
                time.sleep(0.25)
        finally:
            session.close()
        end = time.monotonic()
        chosen = best or last or Result("fail", error="no region answered")
        error = chosen.error
        if chosen.outcome == "ok" and chosen.pending:
            error = f"{chosen.pending} acknowledged writes were still queued"
        return Op(
            index=index,
            process="final",
            kind="final-read",
            target=target.name,
            start=start - self._t0,
            end=end - self._t0,
            outcome=chosen.outcome,
            value=chosen.value if chosen.outcome == "ok" else None,
            region=chosen.region,
            error=error,
        )
