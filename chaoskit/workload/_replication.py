"""Replication lag sampled through a run: each replica's distance behind its primary.

Every `interval` the sampler reads each region's store through its published
address, as the workload reaches it, and records one `Sample` (series
``replication``) per replica into the history:

1. on the primary, a heartbeat: a script sets ``chaoskit:heartbeat`` to the
   store's own clock (``TIME``), so the value travels the replication stream
   like any write;
2. on every store, in one ``MULTI``: ``INFO replication``, the store's clock and
   the heartbeat it holds;
3. on the primary again, ``INFO replication`` for its ``master_repl_offset``,
   read after the replicas' offsets so the difference never goes negative.

Lag in bytes is the primary's ``master_repl_offset`` minus the replica's
``slave_repl_offset``: Redis's own figures, exact, but not comparable across
workloads. Lag in seconds is the age of the newest heartbeat the replica holds
(its clock minus the heartbeat's value; the stores share the machine's clock):
what a reader of the replica misses, in the unit an RPO is written in, at the
price of one small write per interval. It is an upper bound, at most one
interval above the true lag. docs/checks.md defines both.

A replica is paired with the primary whose replication id (``master_replid``)
it carries, so a promotion in the middle of a run is followed without being
told. While a replica has not yet taken its new primary's id (just after a
promotion, or during a full resync, when its offsets count another history)
its lag is not measured, and its sample says so.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaoskit.history import History, Sample
from chaoskit.inworld.protocol.resp import KvError, RespClient

from ._targets import _address

SERIES = "replication"
_KEEP_BEATS = 4096  # heartbeats remembered per primary, for the lag's lower bound
HEARTBEAT_KEY = "chaoskit:heartbeat"
# The store's clock as seconds.microseconds, set in one step on the primary.
_HEARTBEAT_SCRIPT = (
    "local t = redis.call('TIME') "
    "local now = t[1] .. '.' .. string.format('%06d', tonumber(t[2])) "
    "redis.call('SET', KEYS[1], now) return now"
)


@dataclass(frozen=True)
class _Reading:
    """What one store said in one tick, or why it said nothing."""

    region: str
    info: dict[str, str]
    clock: float | None = None
    heartbeat: float | None = None
    error: str | None = None

    @property
    def role(self) -> str | None:
        return self.info.get("role")

    @property
    def replid(self) -> str:
        return self.info.get("master_replid", "")


def _seconds(clock: Any) -> float:
    # TIME answers [seconds, microseconds] as bulk strings.
    secs, micros = (int(bytes(v)) if isinstance(v, bytes) else int(v) for v in clock)
    return secs + micros / 1e6


def _decode(value: Any) -> str | None:
    return None if value is None else (value.decode() if isinstance(value, bytes) else str(value))


class ReplicationSampler:
    """Sample every replica's lag behind its primary into a history, in a background thread.

        sampler = ReplicationSampler({"us-east-1": "127.0.0.1:49160", "us-west-2": "127.0.0.1:49170"})
        sampler.start(history, t0)    # t0: the run's time.monotonic() origin
        ...
        sampler.stop()
        history.samples_of("replication")

    `addresses` maps each region to its store's ``host:port``. `interval` is the
    time between ticks (and the resolution of the lag in seconds); each read
    gives up after `timeout`.
    """

    def __init__(
        self,
        addresses: Mapping[str, str | tuple[str, int]],
        *,
        interval: float = 0.25,
        timeout: float = 1.0,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self.addresses = {region: _address(a) for region, a in addresses.items()}
        self.interval = interval
        self.timeout = timeout
        self._clients = {
            region: RespClient(host, port, timeout=timeout, max_idle=1)
            for region, (host, port) in self.addresses.items()
        }
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._primaries: list[str] = []
        self._written: dict[str, list[float]] = {}
        self._replicas: set[str] = set()
        self.ticks = 0

    # --- one tick ------------------------------------------------------------------------
    def _heartbeat(self, region: str) -> float | None:
        """Write a heartbeat on `region`'s store; its value (the store's clock), or None."""
        try:
            value = _decode(self._clients[region].execute("EVAL", _HEARTBEAT_SCRIPT, 1, HEARTBEAT_KEY))
        except KvError:
            return None
        if value is None:
            return None
        beat = float(value)
        written = self._written.setdefault(region, [])
        written.append(beat)
        del written[:-_KEEP_BEATS]
        return beat

    def _discover(self) -> list[str]:
        found = []
        for region, client in self._clients.items():
            try:
                if client.info("replication").get("role") == "master":
                    found.append(region)
            except KvError:
                continue
        return found

    def _read(self, region: str) -> _Reading:
        try:
            info_raw, clock, beat = self._clients[region].transaction(
                [("INFO", "replication"), ("TIME",), ("GET", HEARTBEAT_KEY)]
            )
        except KvError as e:
            return _Reading(region, {}, error=f"{type(e).__name__}: {e}"[:200])
        text = bytes(info_raw).decode("utf-8", "replace")
        lines = [line for line in text.splitlines() if ":" in line and not line.startswith("#")]
        info = dict(line.split(":", 1) for line in lines)
        beat_text = _decode(beat)
        return _Reading(
            region,
            {k: v.strip() for k, v in info.items()},
            clock=_seconds(clock),
            heartbeat=float(beat_text) if beat_text else None,
        )

    def _primary_offset(self, region: str) -> int | None:
        try:
            info = self._clients[region].info("replication")
        except KvError:
            return None
        if info.get("role") != "master":
            return None
        return int(info["master_repl_offset"])

    def sample_once(self, history: History, now: float) -> list[Sample]:
        """One tick: heartbeats on the primaries known, then a reading of every store.

        Records (and returns) one sample per replica, at run time `now`.
        """
        if not self._primaries:
            self._primaries = self._discover()
        beats = {region: self._heartbeat(region) for region in self._primaries}
        readings = [self._read(r) for r in self.addresses]
        primaries = [r for r in readings if r.role == "master"]
        replicas = [r for r in readings if r.role == "slave"]
        # After the replicas were read: the primary's offset is never behind theirs.
        offsets = {p.region: self._primary_offset(p.region) for p in primaries}
        self._primaries = [p.region for p in primaries]
        self._replicas = {r.region for r in replicas} | {
            r.region for r in readings if r.error is not None and r.region in self._replicas}
        samples = []
        for r in replicas:
            values = _values(r, primaries, offsets, beats, self._written)
            samples.append(Sample(now, SERIES, r.region, values))
        # A store that does not answer is reported if it was last seen as a replica
        # (an unreachable primary shows in its replicas' samples instead).
        for r in readings:
            if r.error is not None and r.region in self._replicas:
                samples.append(Sample(now, SERIES, r.region, {
                    "primary": None, "link": None, "primary_offset": None, "replica_offset": None,
                    "bytes": None, "seconds": None, "seconds_min": None,
                    "error": f"store unreachable: {r.error}"}))
        for s in samples:
            history.sample(s)
        self.ticks += 1
        return samples

    # --- the thread ----------------------------------------------------------------------
    def start(self, history: History, t0: float | None = None) -> ReplicationSampler:
        origin = time.monotonic() if t0 is None else t0

        def loop() -> None:
            while not self._stop.is_set():
                began = time.monotonic()
                with contextlib.suppress(Exception):  # a bad tick must not end the series
                    self.sample_once(history, round(began - origin, 4))
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - began)))

        self._thread = threading.Thread(target=loop, name="chaoskit-replication-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout * 4 + 1)
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> ReplicationSampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _values(
    replica: _Reading,
    primaries: list[_Reading],
    offsets: Mapping[str, int | None],
    beats: Mapping[str, float | None],
    written: Mapping[str, list[float]],
) -> dict[str, Any]:
    info = replica.info
    followed = [p for p in primaries if replica.replid and replica.replid == p.replid]
    base: dict[str, Any] = {
        "primary": None,
        "link": info.get("master_link_status"),
        "primary_offset": None,
        "replica_offset": int(info["slave_repl_offset"]) if "slave_repl_offset" in info else None,
        "bytes": None,
        "seconds": None,
        "seconds_min": None,
        "error": None,
    }
    if not followed:
        reached = ", ".join(p.region for p in primaries) or "none"
        base["error"] = (f"no primary reached whose replication id this replica holds (primaries "
                         f"reached: {reached}; a promotion or a full resync in progress?)")
        return base
    primary = followed[0]
    base["primary"] = primary.region
    offset = offsets.get(primary.region)
    if offset is not None and base["replica_offset"] is not None:
        base["primary_offset"] = offset
        base["bytes"] = max(0, offset - base["replica_offset"])
    # The age of the replica's newest heartbeat bounds the lag only while heartbeats
    # are written: judge it in ticks that wrote one on this primary.
    held, clock = replica.heartbeat, replica.clock
    if beats.get(primary.region) is not None and held is not None and clock is not None:
        # It holds everything the primary had at `held`, and lacks the next heartbeat.
        later = [b for b in written.get(primary.region, []) if b > held + 1e-7]
        base["seconds"] = round(max(0.0, clock - held), 6)
        base["seconds_min"] = round(max(0.0, clock - min(later)), 6) if later else 0.0
    if base["bytes"] is None or base["seconds"] is None:
        base["error"] = "the primary's offset or a fresh heartbeat could not be read"
    return base
