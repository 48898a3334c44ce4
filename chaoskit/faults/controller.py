"""Applying and reverting faults on a world, with a journal, a lease and confirmation.

    with Faults(world) as faults:
        faults.inject({"fault": "dns.nodata", "target": "kv.us-east-1.chaoskit.internal"})
        ...                                   # reverted on exit, whatever happens

Order of operations, so nothing is ever left behind:
1. the fault is written to the journal (with what undoing it takes) *before*
   it is applied, under the holder's lease and with its maximum duration;
2. it is applied, then confirmed on the wire; if either fails it is reverted;
3. revert removes it from the journal, undoes it through the one undo path the
   reaper and `reset` take too (`chaoskit/inworld/undo.py`), and confirms the
   baseline; what could not be undone stays journaled for the reaper to retry.
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

from chaoskit.errors import ConfirmTimeout, FaultSpecError, WorldError
from chaoskit.faults import registry
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.drift import Finding, look, repair
from chaoskit.faults.spec import DEFAULT_MAX_DURATION_S, FaultSpec, new_id
from chaoskit.inworld.protocol import journal, undo
from chaoskit.region import World
from chaoskit.toxiproxy import parse_attributes

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
        facts = self.facts()
        untrusted = undo.entry_problems(record, facts)
        if untrusted:  # the reaper would refuse it: never apply what cannot be undone
            raise WorldError(f"fault {fid} would make a journal entry the reaper refuses: "
                             + "; ".join(untrusted))
        with self._lock:
            self._heartbeat()
            with journal.locked(self.world.dir) as data:
                if any(f.get("id") == fid for f in data["faults"] if isinstance(f, dict)):
                    raise FaultSpecError(f"a fault with id {fid!r} is already active",
                                         hint="choose another id or revert it first")
                self._check_conflicts(undo.trusted(data["faults"], facts), change, fid)
                data["faults"].append(record)
                gen = undo.write_corefiles(data, facts, change.dns_blocks)
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

    def _check_conflicts(self, entries: list[dict[str, Any]], change: Change, fid: str) -> None:
        taken = {(t["region"], t["proxy"], t["name"]) for f in entries for t in f.get("toxics", [])}
        # A toxic marked exclusive (the kind says so) takes its proxy for itself alone.
        holders = {(t["region"], t["proxy"]): (f["id"], bool(t.get("exclusive")))
                   for f in entries for t in f.get("toxics", [])}
        for t in change.toxics:
            if (t["region"], t["proxy"], t["name"]) in taken:
                raise FaultSpecError(f"toxic {t['name']} on {t['proxy']} in {t['region']} is "
                                     "already in force", hint="revert the other fault first")
            other = holders.get((t["region"], t["proxy"]))
            if other and (t.get("exclusive") or other[1]):
                raise FaultSpecError(f"proxy {t['proxy']} in {t['region']} is held by fault "
                                     f"{other[0]} and takes one fault at a time",
                                     hint=f"revert {other[0]} first")
        if change.replication and any(f.get("replication") for f in entries):
            raise FaultSpecError("a promotion is already in force",
                                 hint="revert it first: one store primary at a time")
        # Undoing a failed second action on a container would undo the first fault's too.
        held = {c["service"]: f["id"] for f in entries for c in f.get("containers", [])}
        for c in change.containers:
            if c["service"] in held:
                raise FaultSpecError(f"container {c['service']} is already the target of fault "
                                     f"{held[c['service']]}", hint="revert that fault first")

    # --- apply / undo ---------------------------------------------------------
    def facts(self) -> undo.WorldFacts:
        return undo.WorldFacts.read(self.world.dir)

    def means(self) -> undo.Means:
        """How the undo path reaches this world from the host."""
        from chaoskit.engine import engine_request

        return undo.Means(self.facts(), engine_request(),
                          self.world.toxiproxy_url)

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
            from chaoskit.engine import docker_client

            docker_client().networks.get(c["network"]).disconnect(container, force=True)
        elif action == "connect":
            from chaoskit.engine import docker_client

            net = docker_client().networks.get(c["network"])
            container.reload()
            if c["network"] not in container.attrs["NetworkSettings"]["Networks"]:
                net.connect(container, ipv4_address=c.get("ipv4_address"))
        else:
            raise WorldError(f"unknown container action {action!r}")

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
        means = self.means()
        with journal.locked(self.world.dir) as data:
            listed = next((f for f in data["faults"] if isinstance(f, dict) and f.get("id") == fid),
                          None)
            untrusted = undo.entry_problems(listed, means.facts) if listed is not None else []
            if untrusted:
                raise WorldError(f"journal entry {fid!r} cannot be trusted, nothing done: "
                                 + "; ".join(untrusted) + " (`chaoskit reset` clears it)")
            record, gen = undo.forget(data, means.facts, fid)
            remaining = list(data["faults"])
        if record is None:
            if fault is None:
                raise FaultSpecError(f"no active fault {fid!r}", hint="`chaoskit faults` lists them")
            return "already reverted (by the reaper)"
        outcome = undo.undo(record, means, remaining)
        problems = list(outcome.problems)
        for region in record.get("dns_blocks", {}):
            try:
                # A Corefile CoreDNS rejects keeps the old configuration: this times out.
                eventually(self._at_generation(region, gen),
                           f"CoreDNS of {region} reloading generation {gen}", timeout=5)
            except ConfirmTimeout as exc:
                problems.append(str(exc))
        if outcome.left is not None:
            with journal.locked(self.world.dir) as data:
                journal.keep_incomplete(data, outcome.left, outcome.problems, time.time())
        if problems:
            raise WorldError(f"revert of {fid} incomplete: " + "; ".join(problems)
                             + " (the reaper tries the rest again; `chaoskit reset` restores "
                             "the whole baseline)")
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

    def reaped(self) -> list[dict[str, Any]]:
        """The last faults the reaper reverted by itself (oldest first), and why."""
        return list(journal.read(self.world.dir).get("reaped", []))

    def refused(self) -> list[dict[str, Any]]:
        """The last journal entries the reaper refused to act on (oldest first), and why."""
        return list(journal.read(self.world.dir).get("refused", []))

    def drift(self) -> list[Finding]:
        """What is off the baseline and no journaled fault explains, and journaled faults whose
        effect is gone (`chaoskit/faults/drift.py`)."""
        return look(self.ctx)

    def off_baseline(self) -> list[str]:
        """Why a run must not start on this world now (empty: it is at its baseline): the
        faults still journaled, and everything `drift` finds."""
        lines = [f"fault {f.get('id')} ({f.get('describe') or '?'}) is in force, held by "
                 f"{f.get('holder') or 'nobody (detached)'}"
                 for f in undo.trusted(self.listing(), self.facts())]
        return lines + [str(f) for f in self.drift()]

    def drop_lost(self) -> list[dict[str, Any]]:
        """Forget the journaled faults whose effect is gone (the engine restarted, `up` rendered
        the world again, someone put it back by hand), undoing whatever is left of them.

        Returns, for each, its id, what it was and how it was found lost.
        """
        lost: dict[str, list[str]] = {}
        for finding in self.drift():
            if finding.kind == "lost" and finding.fault:
                lost.setdefault(finding.fault, []).append(finding.what)
        if not lost:
            return []
        means = self.means()
        dropped: list[dict[str, Any]] = []
        for fid, why in lost.items():
            with journal.locked(self.world.dir) as data:
                entry, _gen = undo.forget(data, means.facts, fid)
                remaining = list(data["faults"])
                if entry is not None:
                    record: dict[str, Any] = {"id": fid, "fault": (entry.get("spec") or {}).get("fault"),
                              "reason": "effect lost: " + "; ".join(why), "at": time.time(),
                              "errors": []}
                    data["reaped"] = (data.get("reaped", []) + [record])[-50:]
            if entry is None:
                continue
            outcome = undo.undo(entry, means, remaining)
            self.active.pop(fid, None)
            dropped.append({"id": fid, "describe": entry.get("describe"), "lost": why,
                            "undone": outcome.done, "problems": outcome.problems})
        return dropped

    def reset(self, *, confirm: bool = True) -> dict[str, Any]:
        """Restore the baseline of the whole world and confirm it; say what changed. Idempotent.

        The journal's faults are undone one by one through the same undo path as a
        revert (newest first); then whatever is still off the baseline (a foreign
        toxic, a deleted or disabled proxy, an edited Corefile, a stopped or
        disconnected container) is brought back.
        """
        from chaoskit.render import render_corefile

        means = self.means()
        facts = means.facts
        found = self.drift()
        changes: list[str] = []
        for region in facts.regions:
            path = facts.coredns_dir(region) / "Corefile.baseline"
            rendered = render_corefile(self.ctx.plan, region)
            if path.read_text() != rendered:
                path.write_text(rendered)
                changes.append(f"Corefile.baseline of {region} rendered again (it had been edited)")
        with journal.locked(self.world.dir) as data:
            entries = list(data["faults"])
            data["faults"] = []
            data["leases"] = {}
            gen = undo.write_corefiles(data, facts, facts.regions)
        self.active.clear()
        reverted: list[dict[str, Any]] = []
        for entry in reversed(entries):
            fid = entry.get("id") if isinstance(entry, dict) else None
            untrusted = undo.entry_problems(entry, facts)
            if untrusted:
                changes.append(f"dropped journal entry {str(fid)[:60]!r} without acting on it "
                               f"(it cannot be trusted: {'; '.join(untrusted)})")
                continue
            outcome = undo.undo(entry, means, [])
            reverted.append({"id": fid, "fault": (entry.get("spec") or {}).get("fault"),
                             "done": outcome.done, "problems": outcome.problems})
            changes.append(f"reverted fault {fid} ({entry.get('describe') or '?'})"
                           + (f", with problems: {'; '.join(outcome.problems)}"
                              if outcome.problems else ""))
        changes += [f"{f.subject} rewritten from its baseline (it had been changed)"
                    for f in found if f.kind == "foreign" and f.subject.startswith("Corefile of")]
        changes += repair(self.ctx, means)
        from chaoskit.faults.store import restore_primary

        changes += [f"store roles confirmed: {line}" for line in restore_primary(self.ctx)]
        for region in facts.regions:
            self.world.signal(f"coredns-{region}", "SIGUSR1")
        for region in facts.regions:
            eventually(self._at_generation(region, gen),
                       f"CoreDNS of {region} reloading the baseline", timeout=10)
        done: dict[str, Any] = {
            "faults_dropped": [e.get("id") for e in entries if isinstance(e, dict)],
            "reverted": reverted, "found": [f.to_dict() for f in found], "changes": changes}
        if confirm:
            self.world.wait_healthy(timeout=60)
            done["confirmed"] = self.confirm_baseline()
        return done

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

        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [pool.submit(dns_ok, r, e) for r in regions for e in self.world.topology.endpoints]
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
