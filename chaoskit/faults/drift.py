"""What in a world is off its baseline: drift, found by looking at the world itself.

Three kinds of finding:

- ``foreign``: a change no journaled fault explains: a toxic another tool added,
  a proxy disabled, deleted, changed or added by hand, a Corefile edited or not
  served, a container stopped, paused, missing or off its network;
- ``lost``: a journaled fault whose effect is no longer in the world (after an
  engine restart and `chaoskit up`, a Corefile put back by hand, a toxic removed
  by another tool), while `chaoskit faults` would still list it as in force;
- ``journal``: a journal entry the reaper will not act on (it names what is not
  this world's) or whose undo is not finished.

`look` only reads. `repair` brings back what `look` calls foreign (after the
journal's faults were undone): `Faults.reset` runs both and says what changed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import yaml

from chaoskit.errors import ChaoskitError, WorldError
from chaoskit.inworld.protocol import corefile, journal, undo
from chaoskit.toxiproxy import ProxySpec

if TYPE_CHECKING:
    from chaoskit.faults.context import Context

Kind = Literal["foreign", "lost", "journal"]
GENERATION = re.compile(r"gen-(\d+)")
# Container actions whose effect lasts (a restart is over once the container runs again).
LASTING = {"stop": ("exited", "dead", "created"), "kill": ("exited", "dead", "created"),
           "pause": ("paused",)}


@dataclass(frozen=True)
class Finding:
    """One thing off the baseline, said so a person can act on it."""

    kind: Kind
    what: str
    fault: str | None = None  # the journaled fault it concerns, if any
    subject: str = ""  # what a reset rewrites for it ("Corefile of us-east-1"), if anything

    def __str__(self) -> str:
        return self.what

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Journaled:
    """What the journal's trusted, applied entries say is in force."""

    entries: list[dict[str, Any]]

    def toxics(self, region: str) -> dict[tuple[str, str], str]:
        return {(t["proxy"], t["name"]): e["id"] for e in self.entries for t in e.get("toxics", [])
                if t["region"] == region}

    def disabled(self, region: str) -> dict[str, str]:
        return {d["proxy"]: e["id"] for e in self.entries for d in e.get("disabled", [])
                if d["region"] == region}

    def containers(self, service: str) -> list[tuple[str, dict[str, Any]]]:
        return [(e["id"], c) for e in self.entries for c in e.get("containers", [])
                if c["service"] == service]


def look(ctx: Context) -> list[Finding]:
    """Everything off the baseline in `ctx`'s world, and every journaled fault whose effect is gone."""
    world = ctx.world
    facts = undo.WorldFacts.read(world.dir)
    data = journal.read(world.dir)
    found: list[Finding] = []
    applied: list[dict[str, Any]] = []
    for entry in data["faults"]:
        problems = undo.entry_problems(entry, facts)
        fid = entry.get("id") if isinstance(entry, dict) else None
        if problems:
            found.append(Finding("journal", f"journal entry {str(fid)[:60]!r} cannot be trusted "
                                 f"(the reaper refuses it): {'; '.join(problems)}", str(fid)))
        elif entry.get("state") == journal.INCOMPLETE:
            found.append(Finding("journal", f"fault {fid}: its undo is not finished "
                                 f"({'; '.join(entry.get('problems') or [])})", fid))
        elif entry.get("state") != "applying":  # one being applied is not in force yet
            applied.append(entry)
    journaled = _Journaled(applied)
    for region in facts.regions:
        found += _toxiproxy(ctx, facts, journaled, region)
        found += _coredns(ctx, facts, journaled, region)
    found += _containers(ctx, journaled)
    return found


def _toxiproxy(ctx: Context, facts: undo.WorldFacts, journaled: _Journaled,
               region: str) -> list[Finding]:
    try:
        live = ctx.toxiproxy(region).list_proxies()
    except ChaoskitError as exc:
        return [Finding("foreign", f"Toxiproxy of {region} does not answer: {exc}")]
    found: list[Finding] = []
    toxics, disabled = journaled.toxics(region), journaled.disabled(region)
    for name, spec in facts.proxies[region].items():
        proxy = live.get(name)
        if proxy is None:
            found.append(Finding("foreign", f"proxy {name} of {region} is missing "
                                 "(deleted by another tool?)"))
            continue
        if not _same_proxy(proxy.listen, proxy.upstream, spec):
            found.append(Finding("foreign", f"proxy {name} of {region} listens on {proxy.listen} "
                                 f"for {proxy.upstream}, not {spec['listen']} for {spec['upstream']}"))
        for toxic in proxy.toxics:
            if (name, toxic.name) not in toxics:
                found.append(Finding("foreign", f"toxic {toxic.name} ({toxic.type}, {toxic.stream}) "
                                     f"on proxy {name} of {region}: no chaoskit fault added it"))
        if not proxy.enabled and name not in disabled:
            found.append(Finding("foreign", f"proxy {name} of {region} is disabled, "
                                 "by no chaoskit fault"))
    for name in sorted(set(live) - set(facts.proxies[region])):
        found.append(Finding("foreign", f"proxy {name} of {region} is not part of the world"))
    for (proxy_name, toxic_name), fid in toxics.items():
        proxy = live.get(proxy_name)
        if proxy is None or toxic_name not in {t.name for t in proxy.toxics}:
            found.append(Finding("lost", f"fault {fid}: its toxic {toxic_name} on proxy "
                                 f"{proxy_name} of {region} is gone", fid))
    for proxy_name, fid in disabled.items():
        proxy = live.get(proxy_name)
        if proxy is not None and proxy.enabled:
            found.append(Finding("lost", f"fault {fid}: proxy {proxy_name} of {region} is "
                                 "enabled again", fid))
    return found


def _same_proxy(listen: str, upstream: str, spec: dict[str, Any]) -> bool:
    # The server reports the address it bound ("[::]:6379" for "0.0.0.0:6379"): compare ports.
    return bool(listen.rsplit(":", 1)[-1] == str(spec["listen"]).rsplit(":", 1)[-1]
                and upstream == spec["upstream"])


def _coredns(ctx: Context, facts: undo.WorldFacts, journaled: _Journaled,
             region: str) -> list[Finding]:
    from chaoskit.render import render_corefile

    directory = facts.coredns_dir(region)
    baseline = render_corefile(ctx.plan, region)
    found: list[Finding] = []
    try:
        on_disk_baseline = (directory / "Corefile.baseline").read_text()
        text = (directory / "Corefile").read_text()
    except OSError as exc:
        return [Finding("foreign", f"Corefile of {region} cannot be read: {exc}")]
    if on_disk_baseline != baseline:
        found.append(Finding("foreign", f"Corefile.baseline of {region} differs from the topology's "
                             "(edited by hand?)"))
    match = GENERATION.search(text)
    generation = int(match.group(1)) if match else -1
    kept: list[str] = []
    for entry in journaled.entries:
        blocks = entry.get("dns_blocks", {}).get(region, [])
        if all(block.rstrip("\n") in text for block in blocks):
            kept += blocks
        else:
            found.append(Finding("lost", f"fault {entry['id']}: its DNS blocks are no longer in "
                                 f"the Corefile of {region}", entry["id"]))
    if text != corefile.assemble(on_disk_baseline, kept, generation):
        found.append(Finding("foreign", f"Corefile of {region} was changed: it is neither its "
                             "baseline nor the baseline with the journal's faults",
                             subject=f"Corefile of {region}"))
    try:
        served = ctx.generation(region)
    except OSError as exc:
        served = -1
        found.append(Finding("foreign", f"CoreDNS of {region} does not answer: {exc}"))
    if served != generation and match:
        found.append(Finding("foreign", f"CoreDNS of {region} serves generation {served}, its "
                             f"Corefile is generation {generation} (changed without a reload, "
                             "or a Corefile CoreDNS rejected)"))
    return found


def _containers(ctx: Context, journaled: _Journaled) -> list[Finding]:
    from chaoskit.engine import docker_client

    world = ctx.world
    compose = yaml.safe_load(world.compose_file.read_text())
    rows = docker_client().api.containers(
        all=True, filters={"label": f"com.docker.compose.project={world.project}"})
    by_service = {row["Labels"].get("com.docker.compose.service"): row for row in rows}
    found: list[Finding] = []
    for service, conf in compose["services"].items():
        if service == "tools":
            continue
        row = by_service.get(service)
        if row is None:
            found.append(Finding("foreign", f"container {service} is missing "
                                 "(`chaoskit up` recreates it)"))
            continue
        state = row["State"]
        held = journaled.containers(service)
        lasting = [(fid, c) for fid, c in held if c["action"] in LASTING]
        for fid, change in lasting:
            if state not in LASTING[change["action"]]:
                found.append(Finding("lost", f"fault {fid}: container {service} is {state} "
                                     f"again ({change['action']} undone outside chaoskit)", fid))
        if state != "running" and not lasting and not any(c["action"] == "restart" for _, c in held):
            found.append(Finding("foreign", f"container {service} is {state}, by no chaoskit fault"))
        have = (row.get("NetworkSettings") or {}).get("Networks") or {}
        for key, net in (conf.get("networks") or {}).items():
            full = f"{world.project}_{key}"
            cut = [fid for fid, c in held if c["action"] == "disconnect" and c.get("network") == full]
            on = have.get(full)
            if on is None and not cut and state == "running":
                found.append(Finding("foreign", f"container {service} is not on {key}, "
                                     "by no chaoskit fault"))
            elif on is not None and cut:
                found.append(Finding("lost", f"fault {cut[0]}: container {service} is back on "
                                     f"{key}", cut[0]))
            elif on is not None and (net or {}).get("ipv4_address") not in (None, on.get("IPAddress")):
                found.append(Finding("foreign", f"container {service} is on {key} at "
                                     f"{on.get('IPAddress')}, not {net['ipv4_address']}"))
    return found


def repair(ctx: Context, means: undo.Means) -> list[str]:
    """Bring back the baseline that `look` would call foreign; what was changed, one line each.

    Run after the journal's faults were undone: everything left is no fault's.
    Corefiles are not touched here (a reset rewrites them all).
    """
    # Containers first: a paused Toxiproxy answers no API call until it runs again.
    changes = _repair_containers(ctx, means)
    for region in means.facts.regions:
        changes += _repair_toxiproxy(ctx, means.facts, region)
    return changes


def _repair_toxiproxy(ctx: Context, facts: undo.WorldFacts, region: str) -> list[str]:
    client = ctx.toxiproxy(region)
    rendered = facts.proxies[region]
    live = client.list_proxies()
    changes: list[str] = []
    for name in sorted(set(live) - set(rendered)):
        client.delete_proxy(name)
        changes.append(f"removed proxy {name} of {region} (not part of the world)")
    restore = [spec for name, spec in rendered.items()
               if name not in live or not _same_proxy(live[name].listen, live[name].upstream, spec)]
    if restore:
        # Toxiproxy's populate creates the missing ones and replaces the changed ones.
        client.populate([ProxySpec(name=s["name"], upstream=s["upstream"], listen=s["listen"])
                         for s in restore])
        changes += [f"restored proxy {s['name']} of {region} "
                    f"({'it was missing' if s['name'] not in live else 'it had been changed'})"
                    for s in restore]
    report = client.ensure_baseline(list(rendered))
    for proxy, removed in report.removed.items():
        changes += [f"removed toxic {t.name} ({t.type}, {t.stream}) from proxy {proxy} of {region}"
                    for t in removed]
    changes += [f"enabled proxy {name} of {region}" for name in report.enabled]
    return changes


def _repair_containers(ctx: Context, means: undo.Means) -> list[str]:
    from chaoskit.engine import docker_client

    world = ctx.world
    compose = yaml.safe_load(world.compose_file.read_text())
    rows = docker_client().api.containers(
        all=True, filters={"label": f"com.docker.compose.project={world.project}"})
    missing = sorted(set(compose["services"]) - {"tools"}
                     - {row["Labels"].get("com.docker.compose.service") for row in rows})
    if missing:
        raise WorldError(f"containers {', '.join(missing)} of {world.project} are missing: "
                         "a reset does not recreate containers; `chaoskit up` does")
    changes: list[str] = []
    for row in rows:
        service = row["Labels"].get("com.docker.compose.service")
        conf = compose["services"].get(service)
        if service == "tools" or conf is None:
            continue
        if row["State"] != "running":
            did = undo.restore_container({"service": service, "undo": "start"}, means)
            changes.append(f"container {service}: {did}")
        have = (row.get("NetworkSettings") or {}).get("Networks") or {}
        for key, net in (conf.get("networks") or {}).items():
            full = f"{world.project}_{key}"
            if full not in have:
                change = {"service": service, "undo": "connect", "network": full,
                          "ipv4_address": (net or {}).get("ipv4_address")}
                changes.append(f"container {service}: {undo.restore_container(change, means)}")
    return changes
