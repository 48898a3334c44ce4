"""The Compose file of a world, built as data and written as YAML.

Images are ``${CHAOSKIT_IMAGE_*:-<pinned official image>}`` so the file works
as is for anyone who can pull, and `chaoskit up` swaps in local builds where
nothing can be pulled. Those are the only interpolations: every other ``$``
(a topology's command, env, health path) is written ``$$`` so Compose passes it
through literally instead of filling it from the runner's environment. Every
published port is bound to 127.0.0.1; a host port left empty is picked free by
the engine.
"""

from __future__ import annotations

from typing import Any

from chaoskit.images.catalogue import IMAGES, SERVICES_ENV, SERVICES_IMAGE, built_image
from chaoskit.render.plan import AGENT_PORT, REAPER_PORT, REPLICATION_PORT, TOXIPROXY_API, Plan

BUSYBOX = "/tools/busybox"
# Every check is a `docker exec`: at 1 s, the containers of two test sessions' worlds kept more
# than one core of a 2-core machine busy in dockerd, containerd and runc. At 3 s that is a third;
# a container is unhealthy after a minute of failed checks, as before.
CHECK = {"interval": "3s", "timeout": "3s", "retries": 20, "start_period": "30s"}


class Interpolated(str):
    """A value chaoskit means Compose to interpolate; every other string is escaped."""


def _image(role: str) -> str:
    spec = IMAGES[role]
    return Interpolated(f"${{{spec.env}:-{spec.official}}}")


def _services_image() -> str:
    return Interpolated(f"${{{SERVICES_ENV}:-{SERVICES_IMAGE}}}")


def _literal(value: Any) -> Any:
    """`value` with every ``$`` of every string doubled, except chaoskit's own `Interpolated`."""
    if isinstance(value, Interpolated):
        return str(value)
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {_literal(k): _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return value


def _port(host: int | None, container: int, proto: str = "tcp") -> str:
    suffix = "/udp" if proto == "udp" else ""
    return f"127.0.0.1:{host or ''}:{container}{suffix}"


def _wget(url: str, busybox: str = BUSYBOX) -> dict[str, Any]:
    return {"test": [ "CMD", busybox, "wget", "-q", "-O", "/dev/null", url], **CHECK}


def _healthy(*names: str) -> dict[str, dict[str, str]]:
    return {n: {"condition": "service_healthy"} for n in names}


def render_compose(plan: Plan) -> dict[str, Any]:
    topo = plan.topology
    regions = topo.regions
    pins = topo.model.ports
    services: dict[str, Any] = {}
    labels = {"io.chaoskit.world": plan.project}

    services["tools"] = {
        "image": _services_image(),
        # Copy, then rename: `up` on a running world may run this again while health checks
        # execute /tools/busybox, and a copy onto a running binary fails (text file busy).
        "command": ["/bin/busybox", "sh", "-c",
                    "cp /bin/busybox /tools/.busybox && mv -f /tools/.busybox /tools/busybox"],
        "network_mode": "none",
        "volumes": ["tools:/tools"],
        "labels": {**labels, "io.chaoskit.role": "tools"},
    }
    tools_done = {"tools": {"condition": "service_completed_successfully"}}

    for r in regions:
        pin = pins.get(r)
        every_net = {plan.networks[n]: {"ipv4_address": plan.coredns_ip(r, on=n)} for n in regions}
        services[f"coredns-{r}"] = {
            "image": _image("coredns"),
            "command": ["-conf", "/etc/coredns/Corefile"],
            "volumes": [f"./regions/{r}/coredns:/etc/coredns:ro", "tools:/tools:ro"],
            "networks": every_net,
            "ports": [_port(pin.dns if pin else None, 53, "udp"), _port(pin.dns if pin else None, 53)],
            "healthcheck": _wget("http://127.0.0.1:8181/ready"),
            "depends_on": tools_done,
            "labels": {**labels, "io.chaoskit.role": "coredns", "io.chaoskit.region": r},
        }
        endpoint_ports = [
            _port(pin.endpoints.get(e.name) if pin else None, e.port)
            for e in topo.endpoints if e.region == r
        ]
        services[f"toxiproxy-{r}"] = {
            "image": _image("toxiproxy"),
            # -proxy-metrics: bytes per proxy on /metrics, for `chaoskit.discovery`.
            "command": ["-host=0.0.0.0", "-config=/config/toxiproxy.json", "-proxy-metrics"],
            "volumes": [f"./regions/{r}/toxiproxy:/config:ro", "tools:/tools:ro"],
            "networks": {plan.networks[n]: {"ipv4_address": plan.toxiproxy_ip(r, on=n)} for n in regions},
            "ports": [_port(pin.toxiproxy if pin else None, TOXIPROXY_API), *endpoint_ports],
            "healthcheck": _wget(f"http://127.0.0.1:{TOXIPROXY_API}/version"),
            "depends_on": tools_done,
            "labels": {**labels, "io.chaoskit.role": "toxiproxy", "io.chaoskit.region": r},
        }
        kv_port = topo.model.kv.port
        kv_cmd = ["redis-server", "--port", str(kv_port), "--protected-mode", "no", "--save", "",
                  "--appendonly", "no", "--repl-timeout", "5", "--repl-ping-replica-period", "1",
                  # A promotion or failback resyncs a store at once, not after Redis's 5 s wait.
                  "--repl-diskless-sync-delay", "0"]
        kv_deps: dict[str, Any] = {}
        if r != topo.primary:
            # The replica reaches the primary through its own region's Toxiproxy, by
            # address: DNS faults must not cut replication, only network faults.
            kv_cmd += ["--replicaof", plan.toxiproxy_ip(r), str(REPLICATION_PORT),
                       "--replica-read-only", "yes"]
            kv_deps = _healthy(f"toxiproxy-{r}")
        services[f"kv-{r}"] = {
            "image": _image("kv"),
            "command": kv_cmd,
            "networks": {plan.networks[r]: {"ipv4_address": plan.kv_ip(r)}},
            "healthcheck": {"test": ["CMD", "redis-cli", "-p", str(kv_port), "ping"], **CHECK},
            "labels": {**labels, "io.chaoskit.role": "kv", "io.chaoskit.region": r},
            **({"depends_on": kv_deps} if kv_deps else {}),
        }
        capacity = topo.model.kv.capacity
        if capacity is not None:
            # The store's capacity, in the path between this region's Toxiproxy and its store.
            services[f"kvgate-{r}"] = {
                "image": _services_image(),
                "command": ["python3", "-m", "inworld.kvgate"],
                "environment": {"KVGATE_LISTEN": f"0.0.0.0:{kv_port}",
                                "KVGATE_UPSTREAM": f"{plan.kv_ip(r)}:{kv_port}",
                                **capacity.env("KVGATE")},
                "networks": {plan.networks[r]: {"ipv4_address": plan.kvgate_ip(r)}},
                "healthcheck": {"test": ["CMD", "python3", "-c",
                                         "import socket; socket.create_connection("
                                         f"('127.0.0.1', {kv_port}), 2).close()"], **CHECK},
                "depends_on": _healthy(f"kv-{r}"),
                "labels": {**labels, "io.chaoskit.role": "kvgate", "io.chaoskit.region": r},
            }
        services[f"agent-{r}"] = {
            "image": _services_image(),
            "command": ["python3", "-m", "inworld.agent"],
            "environment": {"AGENT_REGION": r, "AGENT_RESOLVER": plan.coredns_ip(r),
                            "AGENT_PORT": str(AGENT_PORT)},
            "dns": [plan.coredns_ip(r)],
            "networks": {plan.networks[r]: {"ipv4_address": plan.agent_ip(r)}},
            "ports": [_port(pin.agent if pin else None, AGENT_PORT)],
            "healthcheck": _wget(f"http://127.0.0.1:{AGENT_PORT}/health", "/bin/busybox"),
            "depends_on": _healthy(f"coredns-{r}"),
            "labels": {**labels, "io.chaoskit.role": "agent", "io.chaoskit.region": r},
        }
        for name in topo.services:
            services[f"{name}-{r}"] = _service(plan, name, r, labels)

    services["reaper"] = {
        "image": _services_image(),
        "command": ["python3", "-m", "inworld.reaper"],
        "environment": {"REAPER_WORLD": "/world", "REAPER_PROJECT": plan.project,
                        "REAPER_PORT": str(REAPER_PORT)},
        "volumes": [".:/world", "/var/run/docker.sock:/var/run/docker.sock"],
        "networks": {plan.networks[topo.primary]: {"ipv4_address": plan.reaper_ip()}},
        "ports": [_port(None, REAPER_PORT)],
        "healthcheck": _wget(f"http://127.0.0.1:{REAPER_PORT}/health", "/bin/busybox"),
        "labels": {**labels, "io.chaoskit.role": "reaper"},
    }
    networks = {
        plan.networks[r]: {
            "driver": "bridge",
            "ipam": {"config": [{"subnet": plan.subnets[r], "gateway": plan.gateway(r)}]},
            "labels": {**labels, "io.chaoskit.region": r},
        }
        for r in regions
    }
    compose: dict[str, Any] = _literal({"name": plan.project, "services": services,
                                        "networks": networks, "volumes": {"tools": {"labels": labels}}})
    return compose


def _endpoint_list(plan: Plan, endpoint: str, first: str) -> str:
    topo = plan.topology
    order = [first] + [r for r in topo.regions if r != first]
    return ",".join(f"{topo.endpoint(endpoint, r).dns_name}:{topo.endpoint(endpoint, r).port}"
                    for r in order)


def env_key(name: str) -> str:
    """A name as part of an environment variable: ``us-west-2`` -> ``US_WEST_2``."""
    return name.upper().replace("-", "_")


def service_contract(plan: Plan, name: str, region: str) -> dict[str, str]:
    """The variables every service of the topology gets (documented in docs/services.md)."""
    topo = plan.topology
    svc = topo.services[name]
    env: dict[str, str] = {
        "CHAOSKIT_SERVICE": name,
        "CHAOSKIT_REGION": region,
        "CHAOSKIT_DOMAIN": topo.domain,
        "CHAOSKIT_PORT": str(svc.port),
    }
    for dep in svc.uses:
        own = topo.endpoint(dep, region)
        key = env_key(dep)
        env[f"CHAOSKIT_ENDPOINT_{key}"] = f"{own.dns_name}:{own.port}"
        env[f"CHAOSKIT_ENDPOINTS_{key}"] = _endpoint_list(plan, dep, region)
        for r in topo.regions:
            there = topo.endpoint(dep, r)
            env[f"CHAOSKIT_ENDPOINT_{key}_{env_key(r)}"] = f"{there.dns_name}:{there.port}"
        if own.kind == "kv":
            # In a replica region the own-region endpoint is read-only: writes go here.
            env[f"CHAOSKIT_WRITE_ENDPOINT_{key}"] = f"{topo.write_name(dep)}:{own.port}"
    return env


def _service(plan: Plan, name: str, region: str, labels: dict[str, str]) -> dict[str, Any]:
    topo = plan.topology
    svc = topo.services[name]
    env = service_contract(plan, name, region)
    deps = _healthy(f"coredns-{region}", f"toxiproxy-{region}")
    for dep in svc.uses:
        for r in topo.regions:
            if dep != "kv":
                deps.update(_healthy(f"{dep}-{r}"))
            else:
                deps.update(_healthy(f"kv-{r}", *([f"kvgate-{r}"] if plan.kv_gated else [])))
    if svc.image is None and svc.build is None:  # chaoskit's reference implementation
        image = _services_image()
        command: list[str] | None = ["python3", "-m", f"inworld.{name}"]
        if name == "orders":
            env.update({
                "ORDERS_REGION": region,
                "ORDERS_PORT": str(svc.port),
                "ORDERS_KV_WRITE": _endpoint_list(plan, "kv", topo.primary),
                "ORDERS_KV_READ": _endpoint_list(plan, "kv", region),
                "ORDERS_EXITS": "none",
            })
        else:
            env[f"{name.upper()}_PORT"] = str(svc.port)
        if svc.capacity is not None:
            env.update(svc.capacity.env(f"{name.upper()}_CAPACITY"))
        health = _wget(f"http://127.0.0.1:{svc.port}{svc.health_path}", "/bin/busybox")
        volumes: list[str] = []
    else:
        # A `build:` service runs the image `chaoskit up` built for this world.
        image = svc.image or built_image(plan.project, name)
        command = svc.command
        health = _wget(f"http://127.0.0.1:{svc.port}{svc.health_path}")
        volumes = ["tools:/tools:ro"]
        deps.update({"tools": {"condition": "service_completed_successfully"}})
    env.update(svc.env)
    out: dict[str, Any] = {
        "image": image,
        "environment": env,
        "dns": [plan.coredns_ip(region)],
        "networks": {plan.networks[region]: {"ipv4_address": plan.service_ip(name, region)}},
        "healthcheck": health,
        "depends_on": deps,
        "labels": {**labels, "io.chaoskit.role": "service", "io.chaoskit.service": name,
                   "io.chaoskit.region": region},
    }
    if command:
        out["command"] = command
    if volumes:
        out["volumes"] = volumes
    return out
