"""Commands about worlds: up, down, status, logs, render, images, doctor."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape

from chaoskit.cli._app import JsonOpt, TopologyOpt, WorldOpt, app, console, emit_json, err_console, table
from chaoskit.errors import EnvironmentProblem, UserError

images_app = typer.Typer(help="Container images: build local equivalents of the pinned ones.",
                         no_args_is_help=True)
app.add_typer(images_app, name="images")


def _world(topology: str | None, world: str | None):  # type: ignore[no-untyped-def]
    """The world named by the arguments, checked without the engine (arguments come first)."""
    from chaoskit.world import World

    if topology is None:
        return World.open(world)
    return World.define(topology, world)


def check_images_mode(images: str | None) -> None:
    """Refuse a bad --images / CHAOSKIT_IMAGES before anything is contacted."""
    from chaoskit.images.catalogue import resolve_images

    resolve_images(images)


@app.command()
def up(topology: str = TopologyOpt, world: str = WorldOpt,
       images: str = typer.Option(None, "--images", envvar="CHAOSKIT_IMAGES",
                                  help="auto (default), local or official"),
       json_out: bool = JsonOpt) -> None:
    """Create the world and wait until every container is healthy; report the faults it lost."""
    from chaoskit.engine import docker_client
    from chaoskit.faults import Faults

    w = _world(topology, world)
    check_images_mode(images)
    docker_client()
    started = time.monotonic()
    if json_out:
        updated = w.up(images=images)
    else:
        with console.status(f"bringing up {w.project}") as status:
            def log(line: str) -> None:
                if line.strip():
                    status.update(f"{w.project}: {line.strip()[:100]}")
            updated = w.up(images=images, log=log)
    took = time.monotonic() - started
    # An engine restart, or a world rendered again, loses the faults it held: say which.
    lost = Faults(w, detached=True).drop_lost()
    if json_out:
        changes = {} if updated is None else {"recreated": updated.recreated,
                                              "image_changed": updated.image_changed,
                                              "proxies_created": updated.proxies_created}
        emit_json({"world": w.project, "seconds": round(took, 2), "lost_faults": lost, **changes,
                   **w.status()})
        return
    if updated is not None:
        console.print(f"world {w.project} was up: {escape(updated.describe())}")
    console.print(f"[green]world {w.project} is up[/] in {took:.1f}s")
    for fault in lost:
        console.print(f"[red]fault {escape(fault['id'])} ({escape(str(fault['describe']))}) was "
                      "lost[/], dropped from the journal: " + escape("; ".join(fault["lost"])))
    _print_status(w.status())


@app.command()
def down(topology: str = TopologyOpt, world: str = WorldOpt) -> None:
    """Remove this world's containers, networks and volumes, nothing else."""
    from chaoskit.engine import docker_client

    w = _world(topology, world)
    docker_client()
    w.down()
    console.print(f"world {w.project} removed")


@app.command()
def status(topology: str = TopologyOpt, world: str = WorldOpt, json_out: bool = JsonOpt) -> None:
    """Regions, services and health; endpoints; the addresses reachable from this host; what is
    off the baseline."""
    from chaoskit.cli.faults import print_drift
    from chaoskit.engine import docker_client
    from chaoskit.faults import Faults

    w = _world(topology, world)
    docker_client()
    data = w.status()
    found = Faults(w, detached=True).drift()
    if json_out:
        emit_json({**data, "drift": [f.to_dict() for f in found]})
        return
    _print_status(data)
    if not found:
        console.print("baseline: as rendered, apart from the journaled faults (`chaoskit faults`)")
    print_drift(found)


def _print_status(data: dict) -> None:  # type: ignore[type-arg]
    console.print(f"[bold]{data['world']}[/] ({'running' if data['running'] else 'NOT running'})"
                  f"  state: {data['directory']}")
    for region, r in data["regions"].items():
        t = table(title=f"{region}  ({r['subnet']})", title_justify="left", show_edge=False)
        t.add_column("service")
        t.add_column("state")
        t.add_column("health")
        for name, s in r["services"].items():
            colour = "green" if s["health"] in ("healthy", "none") and s["state"] == "running" else "red"
            t.add_row(name, s["state"], f"[{colour}]{s['health']}[/]")
        console.print(t)
        e = table(show_edge=False)
        e.add_column("endpoint (DNS name)")
        e.add_column("proxy listener")
        e.add_column("upstream")
        e.add_column("from this host")
        for ep in r["endpoints"]:
            e.add_row(ep["name"], ep["proxy"], ep["upstream"], ep.get("host") or "-")
        console.print(e)
        h = r["host"]
        console.print(f"  DNS udp {h['dns_udp']}  tcp {h['dns_tcp']}   Toxiproxy API "
                      f"{h['toxiproxy_api']}   agent {h['agent']}\n")


@app.command()
def logs(service: str = typer.Argument(None, help="compose service, e.g. coredns-us-east-1"),
         tail: int = typer.Option(100, help="lines per container"),
         topology: str = TopologyOpt, world: str = WorldOpt) -> None:
    """Logs of the world's containers (or one)."""
    from chaoskit.engine import docker_client

    w = _world(topology, world)
    docker_client()
    if not w.containers():
        raise UserError(f"world {w.project} is not up", hint="run `chaoskit up` first")
    if service:
        known = {c.labels.get("com.docker.compose.service") for c in w.containers()}
        if service not in known:
            raise UserError(f"no service {service!r} in {w.project}",
                            hint="known: " + ", ".join(sorted(str(k) for k in known)))
    print(w.logs(service, tail))


@app.command()
def render(out: Path = typer.Option(Path("compose"), "--out", "-o", help="directory to write"),
           topology: str = TopologyOpt, world: str = WorldOpt) -> None:
    """Write the world's compose file, Corefiles, zones and proxy lists to a directory."""
    from chaoskit.render import Plan, default_subnets, render_world
    from chaoskit.world import World

    w = World.define(topology, world)
    if out.exists() and not out.is_dir():
        raise UserError("exists and is not a directory", where=f"--out {out}",
                        hint="give a directory; it is created if missing")
    plan = Plan(w.topology, w.project, default_subnets(w.topology))
    try:
        path = render_world(plan, out)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UserError(f"cannot write {exc.filename or out}: {reason}", where=f"--out {out}",
                        hint="give a directory you can write to") from None
    console.print(f"wrote {path} (and regions/) for {w.project}")


@images_app.command("build")
def images_build(mode: str = typer.Option("local", help="local: build every stand-in; auto: only "
                                          "what is missing"),
                 force: bool = typer.Option(False, help="rebuild even when present"),
                 runtimes: str = typer.Option(None, "--runtimes", help="instead, the images of the "
                                              "runtime matrix's clients: comma-separated "
                                              "(glibc,musl,go,jvm,node) or 'all'")) -> None:
    """Build local equivalents of the pinned images (debootstrap, go install, docker build)."""
    from chaoskit.images import build_images

    if mode not in ("local", "auto"):
        raise UserError(f"--mode must be local or auto, not {mode!r}")
    wanted: list[str] = []
    if runtimes is not None:
        from chaoskit.runtimes import parse_only

        wanted = parse_only(None if runtimes == "all" else runtimes, where="--runtimes")
    started = time.monotonic()
    with console.status("building images") as st:
        def log(line: str) -> None:
            if line.startswith("["):
                console.print(escape(line))
            st.update(line[:100])
        if wanted:  # the runtime clients' images only (`chaoskit runtimes` builds them too)
            from chaoskit.runtimes import build_runtime_images

            chosen = {f"runtime {name}": built.tag
                      for name, built in build_runtime_images(wanted, force=force, log=log).items()}
        else:
            chosen = build_images(mode=mode, force=force, log=log)
    for role, image in chosen.items():
        console.print(f"  {role:10} {image}")
    console.print(f"images ready in {time.monotonic() - started:.1f}s")


@app.command()
def doctor(fix: bool = typer.Option(False, "--fix", help="install and start what is missing "
                                    "(Debian, root)"),
           json_out: bool = JsonOpt) -> None:
    """Say in one screen what this machine lacks to run a world, and how to fix it."""
    from chaoskit import doctor as doc

    if fix:
        for line in doc.fix(log=lambda s: err_console.print(s)):
            err_console.print(f"[green]done:[/] {line}")
    checks = doc.diagnose()
    if json_out:
        emit_json([c.__dict__ for c in checks])
    else:
        t = table(show_edge=False)
        t.add_column("")
        t.add_column("check")
        t.add_column("found")
        t.add_column("fix")
        for c in checks:
            t.add_row("[green]ok[/]" if c.ok else "[red]missing[/]", c.name, c.detail,
                      "" if c.ok else c.fix)
        console.print(t)
    essential = [c for c in checks if c.name in ("docker engine", "compose v2") and not c.ok]
    if essential:
        raise EnvironmentProblem("this machine cannot run a world yet: "
                                 + ", ".join(c.name for c in essential),
                                 hint="`chaoskit doctor --fix` on Debian as root")


@app.command("stop-engine", hidden=True)
def stop_engine() -> None:
    """Stop a Docker engine that `doctor --fix` started (for CI)."""
    from chaoskit import doctor as doc

    console.print("stopped" if doc.stop_engine() else "no engine started by chaoskit")
