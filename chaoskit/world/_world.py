"""A running world: bring it up, find its addresses, take it down.

A world is one Compose project (``chaoskit-<name>``) rendered into its own
state directory (``$CHAOSKIT_STATE`` or ``~/.local/state/chaoskit/<project>``),
so two worlds on one machine never share names, networks or ports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaoskit.engine import docker_client, require_compose
from chaoskit.errors import EnvironmentProblem, UserError, WorldError
from chaoskit.images.catalogue import IMAGES, SERVICES_ENV, resolve_images
from chaoskit.images.contexts import build_service_images
from chaoskit.names import world_name_problem
from chaoskit.render import Plan, default_subnets, render_world
from chaoskit.render.plan import AGENT_PORT, REAPER_PORT, TOXIPROXY_API
from chaoskit.topology import Topology, load_topology
from chaoskit.world.update import Update, update

Log = Callable[[str], None]


def state_root() -> Path:
    return Path(os.environ.get("CHAOSKIT_STATE") or Path.home() / ".local" / "state" / "chaoskit")


def project_name(topology: Topology, world: str | None = None) -> str:
    name = world or os.environ.get("CHAOSKIT_WORLD") or topology.name
    project = name if name.startswith("chaoskit-") else f"chaoskit-{name}"
    problem = world_name_problem(name)
    if problem or len(project) > 60:
        raise UserError(problem or f"world name {name!r} is too long: at most 51 characters")
    return project


@dataclass(frozen=True)
class HostAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class World:
    """One world of regions. `World.open()` for an existing one, `.up()` to create it."""

    def __init__(self, topology: Topology, project: str, directory: Path) -> None:
        self.topology = topology
        self.project = project
        self.dir = directory
        self._plan: Plan | None = None
        self._ports: dict[tuple[str, int, str], HostAddress] = {}
        self._ids: dict[str, str] = {}

    # --- construction -----------------------------------------------------
    @classmethod
    def define(cls, topology: Topology | str | Path | None = None, world: str | None = None) -> World:
        topo = topology if isinstance(topology, Topology) else load_topology(topology)
        project = project_name(topo, world)
        return cls(topo, project, state_root() / project)

    @classmethod
    def open(cls, world: str | None = None, topology: str | Path | None = None) -> World:
        """The world already rendered (and usually running) under this name."""
        if world is None and topology is None and not os.environ.get("CHAOSKIT_WORLD"):
            w = cls.define(None)
        else:
            w = cls.define(topology, world)
        saved = w.dir / "topology.yaml"
        if saved.exists():
            # `build:` folders are relative to where the topology came from, not to the copy.
            base = w.info().get("topology_dir")
            w.topology = load_topology(saved, base=base, check_builds=False)
        return w

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            info = self.info()
            if not info:
                raise UserError(f"world {self.project} is not up", hint="run `chaoskit up` first")
            self._plan = Plan(self.topology, self.project, info["subnets"])
        return self._plan

    def info(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.dir / "world.json").read_text()))
        except (OSError, ValueError):
            return {}

    @property
    def compose_file(self) -> Path:
        return self.dir / "compose.yaml"

    # --- compose ----------------------------------------------------------
    def _compose(self, *args: str, env: dict[str, str] | None = None, check: bool = True,
                 log: Log | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        cmd = ["docker", "compose", "-p", self.project, "-f", str(self.compose_file), *args]
        full_env = {**os.environ, **(env or {})}
        if log is None:
            proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=timeout)
        else:
            out: list[str] = []
            p = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
            assert p.stdout is not None
            for line in p.stdout:
                out.append(line)
                log(line.rstrip())
            p.wait(timeout=timeout)
            proc = subprocess.CompletedProcess(cmd, p.returncode, "".join(out), "")
        if check and proc.returncode != 0:
            output = (proc.stdout + proc.stderr)[-3000:]
            raise WorldError(f"docker compose {' '.join(args)} failed:\n{output}")
        return proc

    def image_env(self, mode: str | None = None) -> dict[str, str]:
        """CHAOSKIT_IMAGE_* for compose: official where present or pullable, else local builds."""
        client = docker_client()
        present = {t for img in client.images.list() for t in img.tags}
        chosen = resolve_images(mode, self.topology.model.images.model_dump(), present)
        missing = [img for img in chosen.values() if img not in present]
        still = []
        for img in missing:
            if not _try_pull(client, img):
                still.append(img)
        if still:
            raise EnvironmentProblem(
                f"images missing and not pullable: {', '.join(still)}",
                hint="run `chaoskit images build` to build local equivalents")
        env = {spec.env: chosen[role] for role, spec in IMAGES.items()}
        env[SERVICES_ENV] = chosen["services"]
        return env

    def _used_subnets(self) -> set[str]:
        used: set[str] = set()
        for net in docker_client().networks.list():
            if net.name.startswith(f"{self.project}_"):
                continue
            for cfg in (net.attrs.get("IPAM") or {}).get("Config") or []:
                if cfg.get("Subnet"):
                    used.add(cfg["Subnet"])
        return used

    def render(self, subnets: dict[str, str] | None = None) -> Plan:
        if subnets is None:
            start = zlib.crc32(self.project.encode()) % 200
            subnets = default_subnets(self.topology, self._used_subnets(), start)
        from chaoskit.inworld.protocol.journal import secure_dir

        self._plan = Plan(self.topology, self.project, subnets)
        # The journal in it steers the reaper, which holds the Docker socket: owner only.
        secure_dir(self.dir)
        render_world(self._plan, self.dir)
        info = {**self.info(), "topology_dir": str(self.topology.base.resolve())}
        (self.dir / "world.json").write_text(json.dumps(info, indent=2) + "\n")
        src = Path(self.topology.source)
        if src.exists() and src.resolve() != (self.dir / "topology.yaml").resolve():
            shutil.copyfile(src, self.dir / "topology.yaml")
        return self._plan

    def up(self, *, log: Log = lambda s: None, images: str | None = None,
           timeout: float = 180) -> Update | None:
        """Create everything and wait until healthy; on failure show logs and remove it all.

        On a running world, recreate exactly the services whose image or configuration
        changed, and return what was done (see `chaoskit.world.update`).
        """
        require_compose()
        env = self.image_env(images)
        build_service_images(self.topology, self.project, log)
        if self.is_running():
            log(f"world {self.project} is already up: updating it")
            return update(self, env, log=log, timeout=timeout)
        last: Exception | None = None
        for _attempt in range(3):
            self.render()
            self._write_journal_baseline()
            try:
                self._compose("up", "-d", "--wait", "--wait-timeout", str(int(timeout)),
                              env=env, log=log, timeout=timeout + 120)
                self._ports.clear()
                self._ids.clear()
                return None
            except WorldError as exc:
                last = exc
                text = str(exc)
                logs = self._failure_logs()
                self._compose("down", "-v", "--remove-orphans", check=False, env=env)
                if "overlap" in text or "Pool overlaps" in text:
                    log("subnet taken meanwhile; choosing another")
                    continue
                if "port is already allocated" in text or "address already in use" in text:
                    raise EnvironmentProblem(
                        f"a pinned host port of world {self.project} is taken: {_port_in(text)}",
                        hint="free the port or change `ports:` in the topology") from None
                raise WorldError(f"world {self.project} did not become healthy.\n{text[-1500:]}\n"
                                 f"{logs}\nEverything it created was removed.") from None
        raise WorldError(f"could not create world {self.project}: {last}")

    def _write_journal_baseline(self) -> None:
        from chaoskit.inworld.protocol import journal

        if not (self.dir / journal.JOURNAL).exists():
            journal.write(self.dir, journal.empty())

    def _failure_logs(self) -> str:
        out = []
        for c in self.containers():
            health = _health(c)
            if not _well(c):
                tail = c.logs(tail=20).decode(errors="replace")
                out.append(f"--- {c.labels.get('com.docker.compose.service')} "
                           f"({c.status}, {health}):\n{tail}")
        return "\n".join(out)

    def down(self, *, log: Log = lambda s: None) -> None:
        """Remove this world's containers, networks and volumes, and its state directory."""
        if self.compose_file.exists():
            self._compose("down", "-v", "--remove-orphans", "--timeout", "3", check=False, log=log)
        client = docker_client()
        flt = {"label": f"com.docker.compose.project={self.project}"}
        for c in client.containers.list(all=True, filters=flt):
            c.remove(force=True, v=True)
        for n in client.networks.list(filters=flt):
            n.remove()
        for v in client.volumes.list(filters=flt):
            v.remove(force=True)
        if self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        self._plan = None
        self._ids.clear()
        self._ports.clear()

    # --- looking at it ----------------------------------------------------
    def containers(self) -> list[Any]:
        flt = {"label": f"com.docker.compose.project={self.project}"}
        return list(docker_client().containers.list(all=True, filters=flt))

    def container(self, service: str) -> Any:
        cid = self.container_id(service)
        import docker.errors

        try:
            return docker_client().containers.get(cid)
        except docker.errors.NotFound:
            self._ids.pop(service, None)
            return docker_client().containers.get(self.container_id(service))

    def container_id(self, service: str) -> str:
        """The id of `service`'s container, looked up once (listing every container is slow)."""
        if service not in self._ids:
            flt = {"label": [f"com.docker.compose.project={self.project}",
                             f"com.docker.compose.service={service}"]}
            found = docker_client().containers.list(all=True, filters=flt)
            if not found:
                raise UserError(f"no container for {service!r} in world {self.project}")
            self._ids[service] = str(found[0].id)
        return self._ids[service]

    def signal(self, service: str, signal: str) -> None:
        """Send a signal to `service`'s container (one API call)."""
        import docker.errors

        try:
            docker_client().api.kill(self.container_id(service), signal=signal)
        except docker.errors.NotFound:
            self._ids.pop(service, None)
            docker_client().api.kill(self.container_id(service), signal=signal)

    def is_running(self) -> bool:
        cs = [c for c in self.containers() if c.labels.get("io.chaoskit.role") != "tools"]
        return bool(cs) and all(c.status == "running" for c in cs)

    def host_address(self, service: str, port: int, proto: str = "tcp") -> HostAddress:
        key = (service, port, proto)
        if key not in self._ports:
            c = self.container(service)
            c.reload()
            bindings = (c.attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/{proto}") or []
            if not bindings:
                raise WorldError(f"{service} publishes no {port}/{proto} (is it running?)")
            self._ports[key] = HostAddress(bindings[0]["HostIp"] or "127.0.0.1",
                                           int(bindings[0]["HostPort"]))
        return self._ports[key]

    def dns_address(self, region: str, proto: str = "udp") -> HostAddress:
        return self.host_address(f"coredns-{region}", 53, proto)

    def toxiproxy_url(self, region: str) -> str:
        return f"http://{self.host_address(f'toxiproxy-{region}', TOXIPROXY_API)}"

    def endpoint_address(self, endpoint: str, region: str) -> HostAddress:
        port = self.topology.endpoint(endpoint, region).port
        return self.host_address(f"toxiproxy-{region}", port)

    def service_url(self, service: str, region: str) -> str:
        return f"http://{self.endpoint_address(service, region)}"

    def agent_url(self, region: str) -> str:
        return f"http://{self.host_address(f'agent-{region}', AGENT_PORT)}"

    def reaper_url(self) -> str:
        return f"http://{self.host_address('reaper', REAPER_PORT)}"

    def status(self) -> dict[str, Any]:
        """Regions, services with health, endpoints (name -> proxy -> upstream), host addresses."""
        plan = self.plan
        cs = {c.labels.get("com.docker.compose.service"): c for c in self.containers()}
        regions: dict[str, Any] = {}
        for r in self.topology.regions:
            services = {}
            for name, c in sorted(cs.items()):
                if c.labels.get("io.chaoskit.region") != r:
                    continue
                services[name] = {"state": c.status, "health": _health(c) or "none"}
            endpoints = []
            for e in self.topology.endpoints:
                if e.region != r:
                    continue
                item: dict[str, str | None] = {
                    "name": e.dns_name, "proxy": f"toxiproxy-{r}:{e.port} ({e.name})",
                    "upstream": f"{plan.upstream_ip(e.name, r)}:{e.port}"}
                try:
                    item["host"] = str(self.endpoint_address(e.name, r))
                except (WorldError, UserError):
                    item["host"] = None
                endpoints.append(item)
            host: dict[str, Any] = {}
            for label, fn in (("dns_udp", lambda r=r: self.dns_address(r, "udp")),
                              ("dns_tcp", lambda r=r: self.dns_address(r, "tcp")),
                              ("toxiproxy_api", lambda r=r: self.toxiproxy_url(r)),
                              ("agent", lambda r=r: self.agent_url(r))):
                try:
                    host[label] = str(fn())
                except (WorldError, UserError):
                    host[label] = None
            regions[r] = {"subnet": plan.subnets[r], "services": services,
                          "endpoints": endpoints, "host": host}
        return {"world": self.project, "directory": str(self.dir), "running": self.is_running(),
                "regions": regions}

    def logs(self, service: str | None = None, tail: int = 100) -> str:
        args = ["logs", "--no-color", "--tail", str(tail)]
        if service:
            args.append(service)
        return self._compose(*args, check=False).stdout

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bad = []
            for c in self.containers():
                if c.labels.get("io.chaoskit.role") == "tools":
                    continue
                if not _well(c):
                    bad.append(c.labels.get("com.docker.compose.service"))
            if not bad:
                return
            time.sleep(0.5)
        raise WorldError(f"not healthy after {timeout}s: {', '.join(map(str, bad))}")


def _health(container: Any) -> str | None:
    """Docker's healthcheck status, or None for a container without a healthcheck."""
    return (container.attrs.get("State", {}).get("Health") or {}).get("Status")


def _well(container: Any) -> bool:
    return bool(container.status == "running" and _health(container) in (None, "healthy"))


def _try_pull(client: Any, image: str) -> bool:
    import docker.errors

    if image.startswith("chaoskit/"):
        return False  # local builds exist nowhere else
    try:
        client.images.pull(image)
        return True
    except docker.errors.DockerException:
        return False


def _port_in(text: str) -> str:
    m = re.search(r"127\.0\.0\.1:(\d+)", text)
    return m.group(0) if m else "see the message above"
