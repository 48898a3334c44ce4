"""Undoing a journaled fault: the one path taken by the runner, the reaper, `chaoskit reset`
and the pytest fixture, so that they cannot disagree on order or on how a container comes back.

A journal entry says what a fault changed (CoreDNS server blocks per region,
toxics, disabled proxies, container actions). Undoing it:

1. `entry_problems`: everything the entry names must belong to this world (its
   regions, its proxies, its containers and networks, an undo from a fixed
   list). An entry that names anything else is refused, never acted on: the
   reaper holds the Docker socket, and a hand-edited journal must not steer it.
2. `forget`, under the journal's lock: the entry leaves the journal and the
   Corefiles of its regions are rewritten from the entries that remain.
3. `undo`: containers back (newest change first), toxics removed, proxies
   re-enabled unless another fault keeps them disabled, CoreDNS told to reload.
   Every step is checked by looking again: a 404 counts as done only when a new
   look shows the thing really gone, and each part of an entry is tried even
   when another part failed.

Standard library only: the reaper runs it inside the world (the services image
holds `inworld/` and nothing else).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from . import corefile, promotion

# The fault-id rule of chaoskit/names.py (a DNS label), repeated here because the
# reaper cannot import chaoskit; tests/inworld/test_undo.py checks that the two agree.
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# What a journal may ask to undo a container change with, and nothing else.
UNDO_ACTIONS = frozenset({"start", "unpause", "connect"})
# Services no fault may touch (the reaper is the dead man's switch; tools has exited).
PROTECTED_SERVICES = frozenset({"reaper", "tools"})
# The one line a DNS fault's server block opens with (render/templates/dns_fault.j2).
BLOCK_HEAD = re.compile(r"# fault (?P<id>[a-z0-9-]+): [^\n]*\n[a-z0-9.*-]+\.?:53 \{\n")

# method, path, JSON body (or None) -> HTTP status, decoded JSON (or text, or None)
Request = Callable[[str, str, Any], "tuple[int, Any]"]


@dataclass(frozen=True)
class WorldFacts:
    """What a world is made of, read from its state directory: what entries may name."""

    directory: Path
    project: str
    regions: tuple[str, ...]
    subnets: dict[str, str]
    proxies: dict[str, dict[str, dict[str, Any]]]  # region -> proxy name -> rendered proxy

    @classmethod
    def read(cls, directory: str | Path) -> WorldFacts:
        root = Path(directory)
        world = json.loads((root / "world.json").read_text())
        regions = tuple(world["regions"])
        proxies: dict[str, dict[str, dict[str, Any]]] = {}
        for region in regions:
            listed = json.loads((root / "regions" / region / "toxiproxy" / "toxiproxy.json").read_text())
            proxies[region] = {p["name"]: p for p in listed}
        return cls(root, str(world["project"]), regions, dict(world["subnets"]), proxies)

    def network(self, region: str) -> str:
        """The engine's name of `region`'s network (Compose prefixes the project)."""
        return f"{self.project}_net-{region}"

    def coredns_dir(self, region: str) -> Path:
        return self.directory / "regions" / region / "coredns"


@dataclass
class Outcome:
    """What undoing one entry did, what it could not do, and the entry's parts still to undo."""

    id: str
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    left: dict[str, Any] | None = None  # the entry with only its failed parts, to try again

    @property
    def complete(self) -> bool:
        return not self.problems


# --- trusting an entry ---------------------------------------------------------------------------


def _is_text(value: object, longest: int = 200) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest and value.isprintable()


def block_problem(block: object, fault_id: str) -> str | None:
    """Why `block` is not one DNS fault server block of `fault_id`; None if it is.

    A block is written into a Corefile, so it must be exactly one server block
    (braces that close only at its end) opened by its fault's comment line.
    """
    if not isinstance(block, str) or len(block) > 4000:
        return "a DNS block is not text of at most 4000 characters"
    head = BLOCK_HEAD.match(block)
    if head is None or head.group("id") != fault_id:
        return f"a DNS block does not open with '# fault {fault_id}: ...' and one zone"
    if corefile.CONTROL_ZONE in block:
        return "a DNS block names chaoskit's control zone"
    depth = 0
    body = block[head.end() - 2:].rstrip()  # from the zone line's opening brace
    for i, char in enumerate(body):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0 or (depth == 0 and i != len(body) - 1):
            return "a DNS block is not exactly one server block (its braces close early)"
    if depth != 0:
        return "a DNS block's braces do not close"
    return None


def entry_problems(entry: object, facts: WorldFacts) -> list[str]:
    """Why `entry` cannot be trusted to act on (empty when it can)."""
    if not isinstance(entry, dict):
        return [f"not an object: {type(entry).__name__}"]
    fid = entry.get("id")
    if not isinstance(fid, str) or not LABEL.fullmatch(fid):
        return [f"id {str(fid)[:60]!r} is not a fault id (a DNS label)"]
    problems: list[str] = []
    blocks = entry.get("dns_blocks", {})
    if not isinstance(blocks, dict):
        problems.append("dns_blocks is not an object")
        blocks = {}
    for region, listed in blocks.items():
        if region not in facts.regions:
            problems.append(f"DNS blocks for {str(region)[:60]!r}, which is no region of this world")
        elif not isinstance(listed, list):
            problems.append(f"DNS blocks of {region} are not a list")
        else:
            problems += [f"{region}: {p}" for p in (block_problem(b, fid) for b in listed) if p]
    reload = entry.get("reload", [])
    if not isinstance(reload, list) or any(r not in facts.regions for r in reload):
        problems.append("reload names no region of this world")
    for toxic in _items(entry, "toxics", problems):
        problems += _proxy_problems(toxic, facts, "toxic")
        if not _is_text(toxic.get("name")):
            problems.append(f"toxic name {str(toxic.get('name'))[:60]!r} is not printable text")
    for item in _items(entry, "disabled", problems):
        problems += _proxy_problems(item, facts, "disabled proxy")
    for change in _items(entry, "containers", problems):
        problems += _container_problems(change, facts)
    if entry.get("replication") is not None:
        for step in _items(entry, "replication", problems):
            problems += _promotion_problems(step, facts)
    return problems


_HOST_PORT = re.compile(r"[0-9a-z.:-]{1,100}:[0-9]{1,5}")


def _promotion_problems(step: dict[str, Any], facts: WorldFacts) -> list[str]:
    # The reaper runs these steps with the Docker socket: only the world's own stores and
    # replication proxies, and only addresses, may appear in them.
    if step.get("do") == "replicaof":
        service = step.get("service")
        if service not in {f"kv-{r}" for r in facts.regions}:
            return [f"promotion step on {str(service)[:60]!r}, which is no store of this world"]
        for key in ("to", "baseline"):
            value = step.get(key)
            if value is not None and not (isinstance(value, list) and len(value) == 2
                                          and _is_text(value[0], 100)
                                          and re.fullmatch(r"[0-9a-z.:-]+", str(value[0]))
                                          and isinstance(value[1], int)):
                return [f"promotion step on {service}: {key} is not an address and port"]
        return []
    if step.get("do") == "proxy":
        if step.get("region") not in facts.regions or step.get("name") != "replication":
            return [f"promotion step on proxy {str(step.get('name'))[:40]!r} of "
                    f"{str(step.get('region'))[:40]!r}, which is no replication link of this world"]
        for key in ("listen", "to", "baseline"):
            value = step.get(key)
            if value is not None and not (isinstance(value, str) and _HOST_PORT.fullmatch(value)):
                return [f"promotion step on the replication proxy of {step['region']}: "
                        f"{key} is not host:port"]
        return []
    return [f"promotion step {str(step.get('do'))[:30]!r} is not replicaof or proxy"]


def _items(entry: dict[str, Any], key: str, problems: list[str]) -> list[dict[str, Any]]:
    listed = entry.get(key, [])
    if not isinstance(listed, list) or not all(isinstance(x, dict) for x in listed):
        problems.append(f"{key} is not a list of objects")
        return []
    return listed


def _proxy_problems(item: dict[str, Any], facts: WorldFacts, what: str) -> list[str]:
    region, proxy = item.get("region"), item.get("proxy")
    if region not in facts.regions:
        return [f"{what} in {str(region)[:60]!r}, which is no region of this world"]
    if proxy not in facts.proxies[region]:
        return [f"{what} on {str(proxy)[:60]!r}, which is no proxy of {region}"]
    return []


def _container_problems(change: dict[str, Any], facts: WorldFacts) -> list[str]:
    service, undo = change.get("service"), change.get("undo")
    if not isinstance(service, str) or not LABEL.fullmatch(service) or not any(
            service.endswith(f"-{r}") for r in facts.regions) or service in PROTECTED_SERVICES:
        return [f"container {str(service)[:60]!r} is no fault target of this world"]
    if undo not in UNDO_ACTIONS:
        return [f"container {service}: undo {str(undo)[:30]!r} is not one of {sorted(UNDO_ACTIONS)}"]
    if undo == "connect":
        network = change.get("network")
        region = next((r for r in facts.regions if facts.network(r) == network), None)
        if region is None:
            return [f"container {service}: network {str(network)[:60]!r} is no network of this world"]
        try:
            address = ipaddress.ip_address(str(change.get("ipv4_address")))
        except ValueError:
            return [f"container {service}: {str(change.get('ipv4_address'))[:40]!r} is no address"]
        if address not in ipaddress.ip_network(facts.subnets[region]):
            return [f"container {service}: {address} is outside {region}'s subnet"]
    return []


def trusted(entries: Iterable[Any], facts: WorldFacts) -> list[dict[str, Any]]:
    return [e for e in entries if not entry_problems(e, facts)]


def dns_blocks(entries: Iterable[Any], facts: WorldFacts, region: str) -> list[str]:
    """The server blocks of the trusted entries for `region`, oldest first."""
    out: list[str] = []
    for entry in trusted(entries, facts):
        out.extend(entry.get("dns_blocks", {}).get(region, []))
    return out


def disabled_elsewhere(entries: Iterable[Any], facts: WorldFacts, region: str, proxy: str,
                       but: str) -> bool:
    """Whether a trusted entry other than `but` keeps `proxy` of `region` disabled."""
    return any(item.get("region") == region and item.get("proxy") == proxy
               for entry in trusted(entries, facts) if entry["id"] != but
               for item in entry.get("disabled", []))


# --- forgetting (under the journal's lock) --------------------------------------------------------


def write_corefiles(data: dict[str, Any], facts: WorldFacts, regions: Iterable[str]) -> int:
    """Rewrite the Corefiles of `regions` from the journal's trusted entries; the new generation."""
    wanted = [r for r in dict.fromkeys(regions) if r in facts.regions]
    if not wanted:
        return int(data["generation"])
    data["generation"] += 1
    for region in wanted:
        corefile.write_corefile(facts.coredns_dir(region), dns_blocks(data["faults"], facts, region),
                                data["generation"])
    return int(data["generation"])


def forget(data: dict[str, Any], facts: WorldFacts, fid: str) -> tuple[dict[str, Any] | None, int]:
    """Take entry `fid` out of the journal `data` and rewrite its regions' Corefiles without it.

    Returns the entry (None when it is not there) and the generation the Corefiles now carry.
    """
    entry = next((f for f in data["faults"] if isinstance(f, dict) and f.get("id") == fid), None)
    if entry is None:
        return None, int(data["generation"])
    return entry, remove(data, facts, entry)


def remove(data: dict[str, Any], facts: WorldFacts, entry: dict[str, Any]) -> int:
    """Take this very entry out of `data` (ids of a hand-edited journal may repeat); rewrite
    its regions' Corefiles; return the generation they now carry."""
    data["faults"] = [f for f in data["faults"] if f is not entry]
    blocks = entry.get("dns_blocks")
    return write_corefiles(data, facts, blocks if isinstance(blocks, dict) else {})


# --- undoing ---------------------------------------------------------------------------------------


@dataclass
class Means:
    """How to reach one world: its Docker engine, and each region's Toxiproxy API."""

    facts: WorldFacts
    docker: Request
    toxiproxy_url: Callable[[str], str]  # region -> base URL of its Toxiproxy API
    # region -> a client of that API; by default HTTP to `toxiproxy_url` (tests give fakes).
    toxiproxy_api: Callable[[str], Request] | None = None

    def toxiproxy(self, region: str) -> Request:
        if self.toxiproxy_api is not None:
            return self.toxiproxy_api(region)
        return http_api(self.toxiproxy_url(region))

    def started(self, service: str) -> str | None:
        """When `service`'s container started, or None if it is not running."""
        try:
            cid = self.container_id(service)
            state = self.inspect(cid).get("State") or {} if cid else {}
        except OSError:
            return None
        return str(state.get("StartedAt")) if state.get("Status") == "running" else None

    def exec(self, service: str, argv: list[str]) -> tuple[int, str]:
        """Run `argv` in `service`'s container; OSError if the engine refuses (paused, stopped)."""
        cid = self.container_id(service)
        if not cid:
            raise OSError(f"no container {service}")
        status, made = self.docker("POST", f"/containers/{cid}/exec",
                                   {"Cmd": argv, "AttachStdout": True, "AttachStderr": True,
                                    "Tty": True})
        if status != 201 or not isinstance(made, dict):
            raise OSError(f"exec in {service}: HTTP {status} {str(made)[:200]}")
        status, out = self.docker("POST", f"/exec/{made['Id']}/start", {"Detach": False, "Tty": True})
        if status != 200:
            raise OSError(f"exec in {service}: HTTP {status}")
        _, info = self.docker("GET", f"/exec/{made['Id']}/json", None)
        code = info.get("ExitCode") if isinstance(info, dict) else None
        return (1 if code is None else int(code)), out if isinstance(out, str) else json.dumps(out)

    def container_id(self, service: str) -> str | None:
        labels = [f"com.docker.compose.project={self.facts.project}",
                  f"com.docker.compose.service={service}"]
        query = urllib.parse.quote(json.dumps({"label": labels}))
        status, body = self.docker("GET", f"/containers/json?all=1&filters={query}", None)
        if status != 200:
            raise OSError(f"listing containers: HTTP {status} {str(body)[:200]}")
        return str(body[0]["Id"]) if body else None

    def inspect(self, cid: str) -> dict[str, Any]:
        status, body = self.docker("GET", f"/containers/{cid}/json", None)
        if status != 200:
            raise OSError(f"inspecting {cid[:12]}: HTTP {status} {str(body)[:200]}")
        return dict(body)


def _segment(name: str) -> str:
    # A name is one URL path segment whatever it holds: '#', '?', '/', spaces.
    return urllib.parse.quote(name, safe="")


PARTS = ("containers", "toxics", "disabled", "dns_blocks", "reload", "replication")


def undo(entry: dict[str, Any], means: Means, remaining: list[Any]) -> Outcome:
    """Undo a trusted entry already forgotten (`remaining`: the journal's entries after it).

    Order: containers (newest change first), toxics, disabled proxies, CoreDNS
    reloads. Every part is tried; what could not be done is in
    `Outcome.problems`, and `Outcome.left` is the entry reduced to those parts
    (a reload still owed is kept as ``reload``, never as blocks, so that no
    later Corefile brings the blocks back).
    """
    outcome = Outcome(str(entry["id"]))
    left: dict[str, list[Any]] = {}
    steps: list[tuple[str, str, Any, Callable[[], str]]] = []
    for change in reversed(entry.get("containers", [])):
        steps.append(("containers", f"container {change['service']}", change,
                      partial(restore_container, change, means)))
    for toxic in entry.get("toxics", []):
        steps.append(("toxics", f"toxic {toxic['name']} on {toxic['proxy']} of {toxic['region']}",
                      toxic, partial(_remove_toxic, toxic, means)))
    for item in entry.get("disabled", []):
        if disabled_elsewhere(remaining, means.facts, item["region"], item["proxy"], outcome.id):
            outcome.done.append(f"proxy {item['proxy']} of {item['region']} left disabled "
                                "for another fault")
            continue
        steps.append(("disabled", f"proxy {item['proxy']} of {item['region']}", item,
                      partial(_enable_proxy, item, means)))
    for region in [*entry.get("dns_blocks", {}), *entry.get("reload", [])]:
        steps.append(("reload", f"CoreDNS of {region}", region, partial(_reload, region, means)))
    if entry.get("replication"):
        # A promotion's steps are undone together, each back to its baseline, in reverse.
        steps.append(("replication", "store roles", entry["replication"],
                      partial(_undo_promotion, entry["replication"], means)))
    for part, what, item, step in steps:
        try:
            outcome.done.append(f"{what}: {step()}")
        except Exception as exc:  # one part failing must not stop the others
            outcome.problems.append(f"{what}: {exc}")
            left.setdefault(part, []).append(item)
    if left:
        if "containers" in left:
            left["containers"].reverse()  # back to the order they were applied in
        if "replication" in left:
            left["replication"] = left["replication"][0]  # the steps, not a list of them
        rest = {k: v for k, v in entry.items() if k not in PARTS}
        outcome.left = {**rest, **left}
    return outcome


def _undo_promotion(steps: list[dict[str, Any]], means: Means) -> str:
    problems = promotion.undo(steps, means.exec, means.started, means.toxiproxy_url)
    if problems:
        raise OSError("; ".join(problems))
    return "the topology's primary and replicas restored"


def restore_container(change: dict[str, Any], means: Means) -> str:
    """Bring a container back as `change['undo']` says (start: running and not paused;
    connect: on its network at its own address); what was done. Raises when it is not so."""
    service = change["service"]
    cid = means.container_id(service)
    if cid is None:
        raise OSError("the container is gone (`chaoskit up` recreates it)")
    state = means.inspect(cid)
    if change["undo"] == "connect":
        return _connect(change, cid, state, means)
    did = []
    if state["State"].get("Paused"):
        _ok(means.docker("POST", f"/containers/{cid}/unpause", None), "unpause", (204, 304, 409))
        did.append("unpaused")
    if not means.inspect(cid)["State"].get("Running"):
        _ok(means.docker("POST", f"/containers/{cid}/start", None), "start", (204, 304))
        did.append("started")
    after = means.inspect(cid)["State"]
    if not after.get("Running") or after.get("Paused"):
        raise OSError(f"still {after.get('Status')} after {' and '.join(did) or 'nothing to do'}")
    return " and ".join(did) or "already running"


def _connect(change: dict[str, Any], cid: str, state: dict[str, Any], means: Means) -> str:
    network, address = change["network"], str(change["ipv4_address"])
    on = (state["NetworkSettings"].get("Networks") or {}).get(network)
    did = "already connected"
    if on is None:
        # Its own address and its Compose service name, as `docker compose up` connects it.
        config = {"IPAMConfig": {"IPv4Address": address}, "Aliases": [change["service"]]}
        _ok(means.docker("POST", f"/networks/{_segment(network)}/connect",
                         {"Container": cid, "EndpointConfig": config}), "connect", (200,))
        did = "reconnected"
        on = (means.inspect(cid)["NetworkSettings"].get("Networks") or {}).get(network)
    if on is None or on.get("IPAddress") != address:
        got = on.get("IPAddress") if on else "not connected"
        raise OSError(f"on {network} with {got}, expected {address}")
    return f"{did} to {network} at {address}"


def _remove_toxic(toxic: dict[str, Any], means: Means) -> str:
    api = means.toxiproxy(toxic["region"])
    proxy, name = _segment(toxic["proxy"]), _segment(toxic["name"])
    status, body = api("DELETE", f"/proxies/{proxy}/toxics/{name}", None)
    if status in (200, 204):
        return "removed"
    if status != 404:
        raise OSError(f"HTTP {status} {str(body)[:200]}")
    # A 404 says nothing about which part of the path was unknown: look.
    status, listed = api("GET", f"/proxies/{proxy}/toxics", None)
    if status == 404:
        return "already gone (its proxy is missing: `chaoskit reset` restores it)"
    if status != 200:
        raise OSError(f"listing toxics: HTTP {status} {str(listed)[:200]}")
    if any(isinstance(t, dict) and t.get("name") == toxic["name"] for t in listed):
        raise OSError("the server answers 404 to its removal, yet lists it")
    return "already gone"


def _enable_proxy(item: dict[str, Any], means: Means) -> str:
    status, body = means.toxiproxy(item["region"])(
        "PATCH", f"/proxies/{_segment(item['proxy'])}", {"enabled": True})
    if status == 404:
        raise OSError("the proxy is missing (`chaoskit reset` restores it)")
    if status != 200 or not (isinstance(body, dict) and body.get("enabled") is True):
        raise OSError(f"HTTP {status} {str(body)[:200]}")
    return "enabled"


def _reload(region: str, means: Means) -> str:
    cid = means.container_id(f"coredns-{region}")
    if cid is None:
        raise OSError("its container is gone (`chaoskit up` recreates it)")
    _ok(means.docker("POST", f"/containers/{cid}/kill?signal=SIGUSR1", None), "reload", (204,))
    return "reloading"


def _ok(answer: tuple[int, Any], what: str, good: tuple[int, ...]) -> None:
    status, body = answer
    if status not in good:
        raise OSError(f"{what}: HTTP {status} {str(body)[:200]}")


# --- transports (standard library) ----------------------------------------------------------------


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def docker_socket(path: str = "/var/run/docker.sock", timeout: float = 30) -> Request:
    """Requests to the Docker Engine API on a Unix socket."""
    def request(method: str, url: str, body: Any = None) -> tuple[int, Any]:
        conn = _UnixHTTP(path, timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, url, body=payload, headers=headers)
            resp = conn.getresponse()
            return resp.status, _decode(resp.read())
        finally:
            conn.close()

    return request


def http_api(base_url: str, timeout: float = 5) -> Request:
    """Requests to an HTTP JSON API (Toxiproxy's) at `base_url`."""
    def request(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            base_url.rstrip("/") + path, data=data, method=method,
            # Toxiproxy refuses browsers' User-Agents; say who is asking.
            headers={"Content-Type": "application/json", "User-Agent": "chaoskit-undo"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return int(resp.status), _decode(resp.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), _decode(exc.read())

    return request
