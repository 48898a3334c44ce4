"""Commands about faults: inject, revert, reset, faults, kinds."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from chaoskit.cli._app import JsonOpt, TopologyOpt, WorldOpt, app, console, emit_json
from chaoskit.errors import FaultSpecError, UserError


def _running_world(topology: str | None, world: str | None):  # type: ignore[no-untyped-def]
    from chaoskit.engine import docker_client
    from chaoskit.region import World

    docker_client()
    w = World.open(world, topology)
    if not w.info():
        raise UserError(f"world {w.project} is not up", hint="run `chaoskit up` first")
    return w


def _when(ts: float | None) -> str:
    if not ts:
        return "-"
    return dt.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise FaultSpecError(f"--param {pair!r} is not KEY=VALUE")
        try:
            out[key.replace("-", "_")] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key.replace("-", "_")] = value
    return out


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def inject(
    what: list[str] = typer.Argument(..., help="FAMILY KIND TARGET (dns nxdomain NAME, net latency kv, "
                                     "container pause kv, region outage us-east-1) or FAULT TARGET"),
    region: str = typer.Option(None, "--region", "-r", help="region (whose CoreDNS / proxies / containers)"),
    clients_of: str = typer.Option(None, "--clients-of", help="DNS: only for clients of this region"),
    fraction: float = typer.Option(None, "--fraction", help="DNS: only this fraction of queries"),
    for_: str = typer.Option(None, "--for", help="wait this long, then revert (e.g. 30s)"),
    max_duration: str = typer.Option(None, "--max", help="maximum duration (reaper reverts after)"),
    fault_id: str = typer.Option(None, "--id", help="id for the fault (default: generated)"),
    ms: int = typer.Option(None, "--ms", help="latency / delay in milliseconds"),
    jitter: int = typer.Option(None, "--jitter", help="latency jitter in milliseconds"),
    stream: str = typer.Option(None, "--stream", help="upstream, downstream or both"),
    toxicity: float = typer.Option(None, "--toxicity", help="fraction of connections affected"),
    rate: int = typer.Option(None, "--rate", help="bandwidth in KB/s"),
    ttl: int = typer.Option(None, "--ttl", help="DNS TTL in seconds"),
    address: str = typer.Option(None, "--address", help="DNS wrong answer address"),
    to_region: str = typer.Option(None, "--to-region", help="DNS wrong answer: another region's address"),
    signal_: str = typer.Option(None, "--signal", help="container kill signal"),
    network: str = typer.Option(None, "--network", help="container disconnect: region's network"),
    direction: str = typer.Option(None, "--direction", help="partition: both, to-replica, to-primary"),
    param: list[str] = typer.Option([], "--param", "-p", help="any other parameter, KEY=VALUE"),
    topology: str = TopologyOpt, world: str = WorldOpt, json_out: bool = JsonOpt,
) -> None:
    """Apply a fault and return once it is observed (with --for: wait, then revert)."""
    from chaoskit.durations import parse_duration
    from chaoskit.faults import Faults, FaultSpec, revert_on_signals

    if len(what) == 3:
        name, target = f"{what[0]}.{what[1]}", what[2]
    elif len(what) == 2:
        name, target = what
    else:
        raise FaultSpecError("give FAMILY KIND TARGET (e.g. dns nxdomain kv.us-east-1.chaoskit.internal)",
                             hint="`chaoskit kinds` lists every fault")
    values = {"ms": ms, "jitter": jitter, "stream": stream, "toxicity": toxicity, "rate": rate,
              "ttl": ttl, "address": address, "to_region": to_region, "signal": signal_,
              "network": network, "direction": direction}
    params = {k: v for k, v in values.items() if v is not None}
    params.update(_parse_params(param))
    try:
        duration = parse_duration(for_) if for_ is not None else None
        max_s = parse_duration(max_duration) if max_duration is not None else None
    except ValueError as exc:
        raise FaultSpecError(str(exc)) from None
    spec_data: dict[str, Any] = {"fault": name, "target": target, "params": params,
                                 "region": region, "clients_of": clients_of, "fraction": fraction,
                                 "id": fault_id, "max_duration": max_s}
    if duration is not None:
        spec_data["for"] = duration
    spec = FaultSpec.parse(spec_data)
    w = _running_world(topology, world)
    faults = Faults(w, detached=duration is None, log=lambda s: None)
    faults.build(spec)  # all validation before anything is touched
    with revert_on_signals():
        active = faults.inject(spec)
        record = {"id": active.id, "fault": active.name, "describe": active.fault.describe(),
                  "confirmed_in_ms": round(active.confirmed_in * 1000, 1), "evidence": active.evidence}
        if duration is None:
            expires = max_s or 600
            record["expires_in_s"] = expires
            if json_out:
                emit_json(record)
            else:
                console.print(f"[yellow]{active.id}[/] {active.fault.describe()} in force "
                              f"(seen in {active.confirmed_in * 1000:.0f} ms): {active.evidence}")
                console.print(f"stays until `chaoskit revert {active.id}` or {expires:.0f}s pass")
            return
        try:
            if not json_out:
                console.print(f"[yellow]{active.id}[/] {active.fault.describe()} in force for "
                              f"{duration:.0f}s (seen in {active.confirmed_in * 1000:.0f} ms); "
                              "Ctrl-C reverts now")
            time.sleep(duration)
        finally:
            faults.close()
        record["reverted"] = True
        record["revert_evidence"] = active.revert_evidence
        if json_out:
            emit_json(record)
        else:
            console.print(f"{active.id} reverted; baseline seen: {active.revert_evidence}")


@app.command()
def revert(fault_id: str = typer.Argument(None, metavar="ID", help="fault id (`chaoskit faults`)"),
           all_: bool = typer.Option(False, "--all", help="revert every active fault"),
           topology: str = TopologyOpt, world: str = WorldOpt) -> None:
    """Revert one active fault, or all of them, and confirm the baseline."""
    from chaoskit.faults import Faults

    if bool(fault_id) == all_:
        raise UserError("give a fault ID or --all")
    w = _running_world(topology, world)
    faults = Faults(w, detached=True)
    known = [f["id"] for f in faults.listing()]
    if not all_ and fault_id not in known:
        raise UserError(f"no active fault {fault_id!r}", hint="`chaoskit faults` lists them")
    ids = known if all_ else [fault_id]
    for fid in ids:
        evidence = faults.revert_recorded(fid)
        console.print(f"{fid} reverted; baseline seen: {evidence}")
    if not ids:
        console.print("no active faults")


@app.command()
def reset(topology: str = TopologyOpt, world: str = WorldOpt, json_out: bool = JsonOpt) -> None:
    """Restore the baseline everywhere (journaled faults reverted; foreign toxics removed; deleted,
    changed or disabled proxies restored; Corefiles rewritten; containers running and connected),
    confirm it, and say what changed. Safe to run any number of times."""
    from chaoskit.faults import Faults

    w = _running_world(topology, world)
    started = time.monotonic()
    done = Faults(w, detached=True).reset()
    done["seconds"] = round(time.monotonic() - started, 2)
    if json_out:
        emit_json(done)
        return
    for line in done["changes"]:
        console.print(f"changed: {escape(line)}")
    if not done["changes"]:
        console.print("nothing to change: the world was at its baseline")
    console.print(f"baseline restored and confirmed in {done['seconds']}s: {escape(done['confirmed'])}")


@app.command("faults")
def faults_cmd(topology: str = TopologyOpt, world: str = WorldOpt, json_out: bool = JsonOpt) -> None:
    """List the active faults (what, where, applied by whom and when, when they expire), the ones
    whose effect is gone, and whatever else is off the baseline."""
    from chaoskit.faults import Faults

    faults = Faults(_running_world(topology, world), detached=True)
    found = faults.drift()
    lost = {f.fault: f.what for f in found if f.kind == "lost" and f.fault}
    reaped = faults.reaped()
    rows: list[dict[str, Any]] = [
        {"id": f.get("id"), "fault": (f.get("spec") or {}).get("fault"),
         "target": (f.get("spec") or {}).get("target"), "describe": f.get("describe"),
         "state": "effect gone" if f.get("id") in lost else f.get("state"),
         "holder": f.get("holder") or "detached", "applied_at": f.get("applied_at"),
         "expires_at": f.get("expires_at")}
        for f in faults.listing() if isinstance(f, dict)]
    if json_out:
        emit_json({"faults": rows, "drift": [f.to_dict() for f in found],
                   "recently_reaped": reaped[-10:], "refused": faults.refused()[-10:]})
        return
    if not rows:
        console.print("no active faults")
    else:
        t = Table(show_edge=False)
        for col in ("id", "fault", "what", "state", "held by", "applied", "expires"):
            t.add_column(col)
        for r in rows:
            state = f"[red]{r['state']}[/]" if r["state"] == "effect gone" else str(r["state"])
            t.add_row(escape(str(r["id"])), escape(str(r["fault"])),
                      escape(str(r["describe"] or r["target"])), state, escape(str(r["holder"])),
                      _when(r["applied_at"]), _when(r["expires_at"]))
        console.print(t)
    print_drift(found)
    for r in reaped[-5:]:
        console.print(f"[dim]reaped {escape(str(r['id']))} ({r.get('fault')}) at {_when(r['at'])}: "
                      f"{escape(str(r['reason']))}[/]")


def print_drift(found: list[Any]) -> None:
    """Say what is off the baseline, one line each (nothing when all is well)."""
    for finding in found:
        label = {"lost": "effect gone", "foreign": "not chaoskit's", "journal": "journal"}[finding.kind]
        console.print(f"[red]{label}:[/] {escape(finding.what)}")
    if found:
        console.print("`chaoskit reset` restores the baseline and says what it changed")


@app.command()
def kinds(json_out: bool = JsonOpt,
          markdown: bool = typer.Option(False, "--markdown", help="the docs' table of kinds")) -> None:
    """Every fault chaoskit knows, with its parameters."""
    from chaoskit.faults import kinds as all_kinds

    if markdown:
        from chaoskit.faults.catalogue import kinds_markdown

        print(kinds_markdown(), end="")
        return

    rows: list[dict[str, Any]] = []
    for name, cls in all_kinds().items():
        params = {k: (f.description or str(f.annotation)) for k, f in cls.Params.model_fields.items()}
        rows.append({"name": name, "summary": cls.summary, "params": params,
                     "options": sorted(cls.options)})
    if json_out:
        emit_json(rows)
        return
    t = Table(show_edge=False)
    t.add_column("fault")
    t.add_column("what it does")
    t.add_column("parameters")
    for r in rows:
        t.add_row(r["name"], r["summary"], ", ".join(r["params"]) or "-")
    console.print(t)
