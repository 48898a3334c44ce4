"""Applying and reverting faults on a world, with a journal, a lease and confirmation.

    with Faults(world) as faults:
        faults.inject({"fault": "dns.nodata", "target": "kv.us-east-1.chaoskit.internal"})
        ...                                   # reverted on exit, whatever happens

Order of operations, so nothing is ever left behind:
1. the fault is written to the journal (with what undoing it takes) *before*
   it is applied, under the holder's lease and with its maximum duration;
2. it is applied, then confirmed on the wire; if either fails it is reverted;
3. revert removes it from the journal, undoes it, and confirms the baseline.
While faults are held a heartbeat renews the lease; if the process dies, the
reaper inside the world reverts them once the lease lapses (8 s).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from chaoskit.errors import ConfirmTimeout, FaultSpecError, WorldError
from chaoskit.faults import registry
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.spec import DEFAULT_MAX_DURATION_S, FaultSpec
from chaoskit.inworld import journal
from chaoskit.inworld.corefile import write_corefile
from chaoskit.region import World
from chaoskit.render import proxies
from chaoskit.toxiproxy import ToxiproxyNotFound, parse_attributes

HEARTBEAT_S = 1.0
Log = Callable[[str], None]


@dataclass
class ActiveFault:
    """A fault in force: its id, kind, what it changed and the evidence it was seen."""

    id: str
    fault: Fault
    change: Change
    applied_at: float
    confirmed_in: float
    evidence: str
    reverted_at: float | None = None
    revert_evidence: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.fault.name


def new_id() -> str:
    return "f-" + secrets.token_hex(3)


class Faults:
    """The faults one holder (this process) applies to a world."""

    def __init__(self, world: World, *, holder: str | None = None, detached: bool = False,
                 log: Log | None = None,
                 on_event: Callable[[str, ActiveFault], None] | None = None) -> None:
        self.world = world
        self.ctx = Context(world)
        self.detached = detached
        self.holder = None if detached else (holder or f"{socket.gethostname()}:{os.getpid()}:"
                                                       f"{secrets.token_hex(2)}")
        self.log = log or (lambda s: None)
        self.on_event = on_event
        self.active: dict[str, ActiveFault] = {}
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._lock = threading.RLock()

    # --- lifecycle ----------------------------------------------------------
    def __enter__(self) -> Faults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Revert every fault this holder applied, then drop the lease."""
        try:
            self.revert_all()
        finally:
            self._stop.set()
            if self.holder:
                with contextlib.suppress(OSError):
                    journal.drop_lease(self.world.dir, self.holder)

    def _heartbeat(self) -> None:
        if self.holder is None or (self._beat and self._beat.is_alive()):
            return
        journal.renew_lease(self.world.dir, self.holder, info={"pid": os.getpid()})
        self._stop.clear()

        def beat() -> None:
            while not self._stop.wait(HEARTBEAT_S):
                with contextlib.suppress(OSError):
                    journal.renew_lease(self.world.dir, self.holder or "", info={"pid": os.getpid()})

        self._beat = threading.Thread(target=beat, name="chaoskit-lease", daemon=True)
        self._beat.start()

    # --- inject ---------------------------------------------------------------
    def build(self, spec: FaultSpec | dict[str, Any]) -> Fault:
        return registry.build(spec, self.world.topology)

    def inject(self, spec: FaultSpec | dict[str, Any]) -> ActiveFault:
        """Apply a fault and return once it is observed; revert it if it cannot be confirmed."""
        fault = self.build(spec)
        fid = fault.spec.id or new_id()
        fault.spec = fault.spec.model_copy(update={"id": fid})
        change = fault.prepare(self.ctx)
        now = time.time()
        max_s = fault.spec.max_duration or DEFAULT_MAX_DURATION_S
        record = {"id": fid, "spec": fault.spec.model_dump(by_alias=True), "holder": self.holder,
                  "applied_at": now, "expires_at": now + max_s, "state": "applying",
                  "describe": fault.describe(), **change.to_json()}
        with self._lock:
            self._heartbeat()
            with journal.locked(self.world.dir) as data:
                if any(f["id"] == fid for f in data["faults"]):
                    raise FaultSpecError(f"a fault with id {fid!r} is already active",
                                         hint="choose another id or revert it first")
                self._check_conflicts(data, change, fid)
                data["faults"].append(record)
                gen = self._write_corefiles(data, list(change.dns_blocks))
            started = time.monotonic()
            try:
                self._apply(change, gen)
                evidence = fault.confirm(self.ctx, change)
            except BaseException:
                self.log(f"{fid}: could not apply or confirm {fault.describe()}; reverting")
                with contextlib.suppress(Exception):
                    self._revert_record(fid, fault, confirm=False)
                raise
            confirmed_in = time.monotonic() - started
            with journal.locked(self.world.dir) as data:
                for f in data["faults"]:
                    if f["id"] == fid:
                        f["state"] = "active"
            active = ActiveFault(fid, fault, change, now, confirmed_in, evidence)
            self.active[fid] = active
        self.log(f"{fid}: {fault.describe()} in force ({confirmed_in * 1000:.0f} ms): {evidence}")
        if self.on_event:
            self.on_event("fault-applied", active)
        return active

    @contextlib.contextmanager
    def fault(self, spec: FaultSpec | dict[str, Any]) -> Iterator[ActiveFault]:
        """Apply a fault for the duration of a `with` block; always revert it."""
        active = self.inject(spec)
        try:
            yield active
        finally:
            self.revert(active.id)

    def _check_conflicts(self, data: dict[str, Any], change: Change, fid: str) -> None:
        taken = {(t["region"], t["proxy"], t["name"]) for f in data["faults"] for t in f["toxics"]}
        for t in change.toxics:
            if (t["region"], t["proxy"], t["name"]) in taken:
                raise FaultSpecError(f"toxic {t['name']} on {t['proxy']} in {t['region']} is "
                                     "already in force", hint="revert the other fault first")
            if t["proxy"].startswith("dns-") and any(
                    x[0] == t["region"] and x[1] == t["proxy"] for x in taken):
                raise FaultSpecError(f"a slow-DNS fault is already active in {t['region']}",
                                     hint="one dns.slow per region at a time")
        if change.replication and any(f.get("replication") for f in data["faults"]):
            raise FaultSpecError("a promotion is already in force",
                                 hint="revert it first: one store primary at a time")
        # Undoing a failed second action on a container would undo the first fault's too.
        held = {c["service"]: f["id"] for f in data["faults"] for c in f.get("containers", [])}
        for c in change.containers:
            if c["service"] in held:
                raise FaultSpecError(f"container {c['service']} is already the target of fault "
                                     f"{held[c['service']]}", hint="revert that fault first")

    # --- apply / undo ---------------------------------------------------------
    def _write_corefiles(self, data: dict[str, Any], regions: list[str]) -> int:
        if not regions:
            return int(data["generation"])
        data["generation"] += 1
        for r in regions:
            write_corefile(self.world.dir / "regions" / r / "coredns",
                           journal.dns_blocks(data, r), data["generation"])
        return int(data["generation"])

    def _at_generation(self, region: str, gen: int) -> Callable[[], bool | None]:
        """A check for `eventually`: True once `region`'s CoreDNS serves generation `gen`."""
        return lambda: True if self.ctx.generation(region) >= gen else None

    def _reload(self, regions: list[str], gen: int) -> None:
        for r in regions:
            self.world.signal(f"coredns-{r}", "SIGUSR1")
        for r in regions:
            # A Corefile CoreDNS rejects keeps the old configuration: this times out.
            eventually(self._at_generation(r, gen),
                       f"CoreDNS of {r} reloading generation {gen}", timeout=5)

    def _apply(self, change: Change, gen: int) -> None:
        if change.replication:
            from chaoskit.faults.store import StoreEngine

            # A store that is down is left for the reaper, which sets its role when it is back.
            for problem in StoreEngine(self.ctx).apply(change.replication):
                self.log(problem)
        if change.dns_blocks:
            self._reload(list(change.dns_blocks), gen)
        for t in change.toxics:
            self.ctx.toxiproxy(t["region"]).add_toxic(
                t["proxy"], parse_attributes(t["type"], t["attributes"]),
                stream=t["stream"], toxicity=t["toxicity"], name=t["name"])
        for d in change.disabled:
            self.ctx.toxiproxy(d["region"]).disable_proxy(d["proxy"])
        for c in change.containers:
            self._container_action(c, undo=False)

    def _container_action(self, c: dict[str, Any], *, undo: bool) -> None:
        container = self.world.container(c["service"])
        action = c["undo"] if undo else c["action"]
        if action in (None, "none"):
            return
        container.reload()
        if action == "stop":
            container.stop(timeout=int(c.get("timeout", 2)))
        elif action == "kill":
            container.kill(signal=c.get("signal", "SIGKILL"))
        elif action == "pause":
            container.pause()
        elif action == "unpause":
            if container.status == "paused":
                container.unpause()
        elif action == "start":
            if container.status != "running":
                container.start()
        elif action == "restart":
            container.restart(timeout=int(c.get("timeout", 2)))
        elif action == "disconnect":
            from chaoskit.region.engine import docker_client

            docker_client().networks.get(c["network"]).disconnect(container, force=True)
        elif action == "connect":
            from chaoskit.region.engine import docker_client

            net = docker_client().networks.get(c["network"])
            container.reload()
            if c["network"] not in container.attrs["NetworkSettings"]["Networks"]:
                net.connect(container, ipv4_address=c.get("ipv4_address"))
        else:
            raise WorldError(f"unknown container action {action!r}")

    def _undo(self, record: dict[str, Any], data_after: dict[str, Any], gen: int) -> None:
        errors: list[str] = []
        for c in reversed(record.get("containers", [])):
            try:
                self._container_action(c, undo=True)
            except Exception as exc:  # keep undoing the rest
                errors.append(f"container {c['service']}: {exc}")
        for t in record.get("toxics", []):
            try:
                self.ctx.toxiproxy(t["region"]).remove_toxic(t["proxy"], t["name"])
            except ToxiproxyNotFound:
                pass
            except Exception as exc:
                errors.append(f"toxic {t['name']}: {exc}")
        for d in record.get("disabled", []):
            if journal.disabled_elsewhere(data_after, d["region"], d["proxy"], record["id"]):
                continue
            try:
                self.ctx.toxiproxy(d["region"]).enable_proxy(d["proxy"])
            except Exception as exc:
                errors.append(f"proxy {d['proxy']}: {exc}")
        if record.get("dns_blocks"):
            try:
                self._reload(list(record["dns_blocks"]), gen)
            except Exception as exc:
                errors.append(f"dns: {exc}")
        if record.get("replication"):
            from chaoskit.faults.store import StoreEngine

            errors.extend(StoreEngine(self.ctx).undo(record["replication"]))
        if errors:
            raise WorldError(f"revert of {record['id']} incomplete: " + "; ".join(errors),
                             ) from None

    # --- revert ---------------------------------------------------------------
    def revert(self, fid: str) -> ActiveFault | None:
        """Revert one fault (this holder's or any in the journal) and confirm the baseline."""
        with self._lock:
            active = self.active.pop(fid, None)
            fault = active.fault if active else None
            started = time.monotonic()
            result = self._revert_record(fid, fault, confirm=True)
            if active:
                active.reverted_at = time.time()
                active.extra["revert_took"] = time.monotonic() - started
                active.revert_evidence = result
                self.log(f"{fid}: reverted; baseline seen: {result}")
                if self.on_event:
                    self.on_event("fault-reverted", active)
            return active

    def revert_recorded(self, fid: str) -> str:
        """Revert any fault in the journal, whoever applied it (`chaoskit revert`); the evidence."""
        if fid in self.active:
            active = self.revert(fid)
            return active.revert_evidence if active else ""
        return self._revert_record(fid, None, confirm=True)

    def _revert_record(self, fid: str, fault: Fault | None, *, confirm: bool) -> str:
        with journal.locked(self.world.dir) as data:
            record = next((f for f in data["faults"] if f["id"] == fid), None)
            if record is None:
                # Already reverted (by the reaper, or another process): confirm anyway.
                record = None
            else:
                data["faults"] = [f for f in data["faults"] if f["id"] != fid]
                gen = self._write_corefiles(data, list(record.get("dns_blocks", {})))
            after = {k: v for k, v in data.items()}
        if record is None:
            if fault is None:
                raise FaultSpecError(f"no active fault {fid!r}", hint="`chaoskit faults` lists them")
            return "already reverted (by the reaper)"
        self._undo(record, after, gen)
        if not confirm:
            return ""
        if fault is None:
            fault = registry.build(FaultSpec.model_validate(record["spec"]), self.world.topology)
        return fault.confirm_reverted(self.ctx, Change(
            record.get("dns_blocks", {}), record.get("toxics", []), record.get("disabled", []),
            record.get("containers", []), record.get("replication", [])))

    def revert_all(self) -> list[ActiveFault]:
        """Revert this holder's faults, newest first; every one is tried."""
        done, failures = [], []
        for fid in list(reversed(self.active)):
            try:
                r = self.revert(fid)
                if r:
                    done.append(r)
            except Exception as exc:
                failures.append(f"{fid}: {exc}")
        if failures:
            raise WorldError("some faults could not be reverted: " + "; ".join(failures)
                             + " (run `chaoskit reset`)")
        return done

    # --- whole world ------------------------------------------------------------
    def listing(self) -> list[dict[str, Any]]:
        data = journal.read(self.world.dir)
        return list(data["faults"])

    def reset(self, *, confirm: bool = True) -> dict[str, Any]:
        """Restore the baseline of the whole world and confirm it. Idempotent."""
        done: dict[str, Any] = {"faults_dropped": [], "containers": [], "toxiproxy": {}}
        with journal.locked(self.world.dir) as data:
            done["faults_dropped"] = [f["id"] for f in data["faults"]]
            data["faults"] = []
            data["leases"] = {}
            gen = self._write_corefiles(data, self.world.topology.regions)
        self.active.clear()
        for c in self._restore_containers():
            done["containers"].append(c)
        from chaoskit.faults.store import restore_primary

        done["stores"] = restore_primary(self.ctx)
        for r in self.world.topology.regions:
            self.world.signal(f"coredns-{r}", "SIGUSR1")
        for r in self.world.topology.regions:
            eventually(self._at_generation(r, gen),
                       f"CoreDNS of {r} reloading the baseline", timeout=10)
            expected = [p["name"] for p in proxies(self.ctx.plan, r)]
            # ensure_baseline removes toxics and enables proxies, naming any that refuses.
            report = self.ctx.toxiproxy(r).ensure_baseline(expected)
            done["toxiproxy"][r] = report.to_dict()
        if confirm:
            self.world.wait_healthy(timeout=60)
            done["confirmed"] = self.confirm_baseline()
        return done

    def _restore_containers(self) -> list[str]:
        changed = []
        compose = yaml.safe_load(self.world.compose_file.read_text())
        for c in self.world.containers():
            svc = c.labels.get("com.docker.compose.service")
            if svc == "tools":
                continue
            if c.status == "paused":
                c.unpause()
                changed.append(f"{svc}: unpaused")
            elif c.status != "running":
                c.start()
                changed.append(f"{svc}: started")
            want = (compose["services"].get(svc) or {}).get("networks") or {}
            c.reload()
            have = c.attrs["NetworkSettings"]["Networks"]
            for net, cfg in want.items():
                full = f"{self.world.project}_{net}"
                if full not in have:
                    from chaoskit.region.engine import docker_client

                    docker_client().networks.get(full).connect(c, ipv4_address=cfg.get("ipv4_address"))
                    changed.append(f"{svc}: reconnected to {net}")
        return changed

    def confirm_baseline(self) -> str:
        """Observe the baseline: DNS answers, no toxics, proxies enabled. Queries run in parallel."""
        from concurrent.futures import ThreadPoolExecutor

        regions = self.world.topology.regions

        def dns_ok(r: str, e: Any) -> str | None:
            want = self.ctx.plan.toxiproxy_ip(e.region, on=r)
            ans = self.ctx.ask_host(r, e.dns_name)
            got = [a["value"] for a in ans["answers"]]
            if ans["rcode"] != "NOERROR" or got != [want]:
                return f"{e.dns_name} from {r} gave {ans['rcode']} {got}, expected {want}"
            return None

        def proxies_ok(r: str) -> str | None:
            bad = [p.name for p in self.ctx.toxiproxy(r).list_proxies().values()
                   if p.toxics or not p.enabled]
            return f"proxies with toxics or disabled in {r}: {bad}" if bad else None

        def global_ok(r: str) -> str | None:
            # The store's write name answers the topology's primary (no promotion in force).
            name = self.world.topology.write_name("kv")
            want = self.ctx.plan.toxiproxy_ip(self.world.topology.primary, on=r)
            ans = self.ctx.ask_host(r, name)
            got = [a["value"] for a in ans["answers"]]
            return None if got == [want] else f"{name} from {r} gave {ans['rcode']} {got}, expected {want}"

        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [pool.submit(dns_ok, r, e) for r in regions for e in self.world.topology.endpoints]
            jobs += [pool.submit(global_ok, r) for r in regions]
            jobs += [pool.submit(proxies_ok, r) for r in regions]
            problems = [p for p in (j.result() for j in jobs) if p]
        if problems:
            raise ConfirmTimeout("baseline not restored: " + "; ".join(problems))
        return "; ".join(f"{r}: DNS baseline, proxies clean" for r in regions)


@contextlib.contextmanager
def revert_on_signals() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into KeyboardInterrupt so `finally` blocks revert faults."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
