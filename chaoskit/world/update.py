"""`chaoskit up` on a running world: recreate exactly the services whose image or configuration changed.

Compose's own ``up -d`` recreates a container whose configuration changed (its
config hash), but a rebuilt image under the same tag leaves the configuration
as it was; so chaoskit compares each container's image id with the id its
image name has now and recreates those that differ, then lets Compose converge
the rest. What was recreated is read off the container ids before and after,
so the report is what happened, not what was planned.

The world is rendered again with the subnets it already has (addresses do not
move), each region's Corefile is assembled again from the fault journal (so
faults in force keep their blocks), proxies of new endpoints are created, and
CoreDNS reloads its baseline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chaoskit.engine import docker_client
from chaoskit.errors import UserError, WorldError
from chaoskit.inworld.protocol import journal, undo
from chaoskit.render import proxies
from chaoskit.toxiproxy import ToxiproxyClient

if TYPE_CHECKING:
    from chaoskit.world._world import World

Log = Callable[[str], None]


@dataclass
class Update:
    """What `chaoskit up` did to a running world."""

    recreated: list[str] = field(default_factory=list)  # compose services, sorted
    image_changed: list[str] = field(default_factory=list)
    proxies_created: list[str] = field(default_factory=list)  # region/proxy

    def describe(self) -> str:
        if not self.recreated:
            return "nothing changed: no service recreated"
        why = {s: "image rebuilt" if s in self.image_changed else "configuration changed"
               for s in self.recreated}
        return "recreated " + ", ".join(f"{s} ({why[s]})" for s in self.recreated)


def _containers(world: World) -> dict[str, Any]:
    """Compose service -> its container (tools included)."""
    return {c.labels.get("com.docker.compose.service"): c for c in world.containers()}


def wanted_images(world: World, env: dict[str, str]) -> dict[str, str]:
    """Compose service -> the image name its configuration names, variables substituted."""
    proc = world._compose("config", "--format", "json", env=env)
    config = json.loads(proc.stdout)
    return {name: str(svc["image"]) for name, svc in config["services"].items() if svc.get("image")}


def stale_images(world: World, env: dict[str, str]) -> list[str]:
    """Services whose container runs another image id than its image name has now."""
    client = docker_client()
    containers = _containers(world)
    ids: dict[str, str | None] = {}
    stale = []
    for service, image in wanted_images(world, env).items():
        container = containers.get(service)
        if container is None:
            continue
        if image not in ids:
            try:
                ids[image] = str(client.images.get(image).id)
            except Exception:  # absent: compose reports it when it needs it
                ids[image] = None
        if ids[image] is not None and container.attrs.get("Image") != ids[image]:
            stale.append(service)
    return sorted(stale)


def update(world: World, env: dict[str, str], *, log: Log = lambda s: None,
           timeout: float = 180) -> Update:
    """Bring the running `world` in line with its topology and images."""
    info = world.info()
    subnets = dict(info.get("subnets") or {})
    regions = world.topology.regions
    if sorted(subnets) != sorted(regions):
        raise UserError(
            f"world {world.project} runs regions {', '.join(sorted(subnets))}; the topology has "
            f"{', '.join(regions)}", hint="regions cannot change in place: `chaoskit down` it first")
    before = {s: c.id for s, c in _containers(world).items()}
    with journal.locked(world.dir) as data:
        # Rendering writes fault-free Corefiles; put the faults in force back before any reload.
        plan = world.render(subnets)
        generation = undo.write_corefiles(data, undo.WorldFacts.read(world.dir), regions)
    done = Update(image_changed=stale_images(world, env))
    wait = ["--wait", "--wait-timeout", str(int(timeout))]
    if done.image_changed:
        log("image rebuilt: " + ", ".join(done.image_changed))
        world._compose("up", "-d", *wait, "--no-deps", "--force-recreate", *done.image_changed,
                       env=env, log=log, timeout=timeout + 120)
    world._compose("up", "-d", *wait, "--remove-orphans", env=env, log=log, timeout=timeout + 120)
    world._ports.clear()
    world._ids.clear()
    after = {s: c.id for s, c in _containers(world).items()}
    # The one-shot tools container runs again on every `up`; it is not a service of the world.
    done.recreated = sorted(s for s, cid in after.items() if before.get(s) != cid and s != "tools")
    done.image_changed = [s for s in done.image_changed if s in done.recreated]
    for r in regions:
        # Only missing proxies: one a fault disabled must stay as the fault left it.
        with ToxiproxyClient(world.toxiproxy_url(r), timeout=5) as client:
            have = set(client.list_proxies())
            for p in proxies(plan, r):
                if p["name"] not in have:
                    client.create_proxy(p["name"], p["upstream"], listen=p["listen"])
                    done.proxies_created.append(f"{r}/{p['name']}")
        world.signal(f"coredns-{r}", "SIGUSR1")
    from chaoskit.world.resolver import wait_for_generation

    for r in regions:
        # Until CoreDNS serves the rewritten Corefile, its faults would look lost.
        if not wait_for_generation(world, r, generation, timeout=10):
            raise WorldError(f"CoreDNS of {r} did not load generation {generation} within 10 s "
                             f"(`chaoskit logs coredns-{r}` says why)")
    return done
