"""DNS faults, through CoreDNS configuration rendered with jinja2 and reloaded.

Each fault becomes server blocks placed above the region's baseline blocks.
A block's `view` expression selects the queries it answers: the target name
(exact or wildcard), the clients (one region's subnet, or the host), and
optionally a fraction of queries (by query id) or only UDP (truncation). The
first matching block answers, so other names and other clients still get the
baseline. After writing the Corefile the controller sends SIGUSR1 and waits
until the region answers a generation TXT query with the new generation.

Slow answers that still carry the correct record: CoreDNS's `erratic` only
delays synthetic answers, so a slow fault's block forwards the query over TCP
through the region's Toxiproxy (proxy ``dns-<view>``) to CoreDNS's own
fault-free listener, and a latency toxic on that proxy delays the real answer.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from chaoskit.errors import ConfirmTimeout
from chaoskit.faults.base import Change, Fault
from chaoskit.faults.context import Context, eventually
from chaoskit.faults.registry import register
from chaoskit.faults.spec import FaultSpec
from chaoskit.names import is_label
from chaoskit.render.coredns import BASELINE_TTL, environment
from chaoskit.render.plan import HOST_VIEW, View
from chaoskit.topology import Topology

DNS_OPTIONS = frozenset({"region", "clients_of", "fraction"})
MAX_SLOW_MS = 1500  # CoreDNS's forward gives up on an upstream after about 2 s


class DnsTarget:
    """A validated DNS name or ``*.`` pattern inside the world's domain."""

    def __init__(self, raw: str, topology: Topology) -> None:
        self.raw = raw
        name = raw.strip().lower().rstrip(".")
        if not re.fullmatch(r"[a-z0-9.*-]{1,253}", name):
            raise ValueError(f"{raw!r} is not a DNS name or pattern "
                             "(letters, digits, '-', '.', and an optional leading '*.')")
        self.wildcard = name.startswith("*.")
        body = name[2:] if self.wildcard else name
        labels = body.split(".")
        if "*" in body or any(not is_label(label) for label in labels):
            raise ValueError(f"{raw!r} is not a valid DNS name or pattern "
                             "(each label 1-63 of a-z 0-9 '-', '*' only as the whole first label)")
        domain = topology.domain
        if body != domain and not body.endswith("." + domain):
            raise ValueError(f"{raw!r} is outside the world's domain {domain!r}")
        inner = body[: -len(domain)].rstrip(".").split(".") if body != domain else []
        if not inner:
            if not self.wildcard:
                raise ValueError(f"{raw!r} is the domain itself; name a host or use '*.{domain}'")
            self.zones = list(topology.regions)
        else:
            region = inner[-1]
            if region not in topology.regions:
                raise ValueError(f"{raw!r}: {region!r} is not a region "
                                 f"(names look like <endpoint>.<region>.{domain})")
            if len(inner) == 1 and not self.wildcard:
                raise ValueError(f"{raw!r} is a region's zone; name a host in it or use '*.{body}'")
            self.zones = [region]
        self.name = body
        escaped = re.escape(body + ".").replace("\\-", "-")
        self.regex = (r"^([a-z0-9-]+\.)+" if self.wildcard else "^") + escaped + "$"
        known = [e.dns_name for e in topology.endpoints]
        if not self.wildcard and body not in known:
            raise ValueError(f"{raw!r} is not a name in the world; known: {', '.join(known)}")
        self.samples = {z: [e.dns_name for e in topology.endpoints
                            if e.region == z and re.match(self.regex, e.dns_name + ".")]
                        for z in self.zones}

    def expr_regex(self) -> str:
        # Inside a single-quoted expr string, a backslash is written twice.
        return self.regex.replace("\\", "\\\\")


class DnsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlowParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ms: int = Field(default=500, ge=1, le=MAX_SLOW_MS, description="added delay, milliseconds")


class WrongParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str | None = Field(default=None, description="IPv4 inside the world's networks")
    to_region: str | None = Field(default=None, description="answer with the other region's address")
    ttl: int = Field(default=BASELINE_TTL, ge=0, le=604800)


class TtlParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttl: int = Field(default=3600, ge=0, le=604800, description="TTL of the answers, seconds")


class DnsFault(Fault):
    family: ClassVar[str] = "dns"
    kind: ClassVar[str]
    options: ClassVar[frozenset[str]] = DNS_OPTIONS

    @classmethod
    def check(cls, spec: FaultSpec, topology: Topology) -> list[str]:
        problems: list[str] = []
        try:
            target = DnsTarget(spec.target, topology)
        except ValueError as exc:
            return [str(exc)]
        views = [*topology.regions, HOST_VIEW]
        if spec.clients_of is not None and spec.clients_of not in views:
            problems.append(f"clients-of {spec.clients_of!r} is not a region or 'host'")
        elif (spec.clients_of and spec.clients_of != HOST_VIEW and spec.region
              and spec.region != spec.clients_of and spec.region not in target.zones):
            problems.append(
                f"clients of {spec.clients_of} never ask {spec.region}'s CoreDNS about "
                f"{spec.target}: place the fault in {spec.clients_of} or in the name's region")
        problems.extend(cls._check_params(spec, topology, target))
        return problems

    @classmethod
    def _check_params(cls, spec: FaultSpec, topology: Topology, target: DnsTarget) -> list[str]:
        return []

    # --- placement ----------------------------------------------------------
    def _target(self) -> DnsTarget:
        return DnsTarget(self.spec.target, self.topology)

    def placements(self) -> list[str]:
        return [self.spec.region] if self.spec.region else list(self.topology.regions)

    def views(self, ctx: Context) -> list[View]:
        views = ctx.plan.views
        if self.spec.clients_of:
            views = [v for v in views if v.name == self.spec.clients_of]
        return views

    def fault_id(self) -> str:
        return self.spec.id or "fault"

    def expr(self, ctx: Context, view: View, target: DnsTarget) -> str:
        parts = [ctx.plan.view_expr(view), f"lower(name()) matches '{target.expr_regex()}'"]
        if self.spec.fraction is not None and self.spec.fraction < 1:
            parts.append(f"id() % 1000 < {max(1, round(self.spec.fraction * 1000))}")
        if self.kind == "truncate":
            parts.append("proto() == 'udp'")
        return " && ".join(parts)

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {}

    def prepare(self, ctx: Context) -> Change:
        target = self._target()
        tmpl = environment().get_template("dns_fault.j2")
        change = Change()
        for p in self.placements():
            blocks = []
            for z in target.zones:
                for v in self.views(ctx):
                    blocks.append(tmpl.render(
                        fault_id=self.fault_id(), kind=self.kind, target=target.name,
                        zone=ctx.topology.zone(z), view=v,
                        view_name=f"{self.fault_id()}-{z}-{v.name}",
                        expr=self.expr(ctx, v, target), own_zone=(p == z),
                        forward_to=ctx.plan.coredns_ip(z, on=p),
                        **self.block_vars(ctx, p, z, v)))
            change.dns_blocks[p] = blocks
        change = change.merge(self.extra_change(ctx))
        return change

    def extra_change(self, ctx: Context) -> Change:
        return Change()

    # --- observation ----------------------------------------------------------
    def vantages(self, ctx: Context) -> list[tuple[str, str, str]]:
        """(how, region, sample name): host through a CoreDNS's port, or a region's agent."""
        target = self._target()
        out = []
        for z in target.zones:
            sample = target.samples[z][0] if target.samples[z] else None
            if sample is None:
                continue
            if self.spec.clients_of and self.spec.clients_of != HOST_VIEW:
                out.append(("agent", self.spec.clients_of, sample))
            else:
                out.extend(("host", p, sample) for p in self.placements())
        return out

    def ask(self, ctx: Context, how: str, region: str, name: str, proto: str = "udp",
            timeout: float = 1.0) -> dict[str, object]:
        fn = ctx.ask_host if how == "host" else ctx.ask_agent
        return fn(region, name, "A", proto, timeout)

    def baseline_ip(self, ctx: Context, how: str, region: str, name: str) -> str:
        zone_region = name.split(".")[-len(ctx.topology.domain.split(".")) - 1]
        on = region  # host view through P's CoreDNS, or the agent's own region
        return ctx.plan.toxiproxy_ip(zone_region, on=on)

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        raise NotImplementedError

    def query_timeout(self) -> float:
        return 1.0

    def confirm(self, ctx: Context, change: Change) -> str:
        evidence = []
        attempts = 400 if self.spec.fraction and self.spec.fraction < 1 else 200
        for how, region, name in self.vantages(ctx):
            seen: list[dict] = []  # type: ignore[type-arg]

            def check(how: str = how, region: str = region, name: str = name,
                      seen: list[dict] = seen) -> dict | None:  # type: ignore[type-arg]
                if len(seen) >= attempts:
                    raise ConfirmTimeout(f"{self.name} not observed in {attempts} queries")
                ans = self.ask(ctx, how, region, name, timeout=self.query_timeout())
                seen.append(ans)
                return ans if self.faulty(ctx, how, region, name, ans) else None

            ans = eventually(check, f"{self.describe()} seen from {how} {region}", timeout=8)
            evidence.append(f"{how} {region} asked {name}: {_brief(ans)}")
        return "; ".join(evidence)

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        evidence = []
        for how, region, name in self.vantages(ctx):
            want = self.baseline_ip(ctx, how, region, name)

            def check(how: str = how, region: str = region, name: str = name,
                      want: str = want) -> dict | None:  # type: ignore[type-arg]
                ans = self.ask(ctx, how, region, name, timeout=1.0)
                ok = (ans["rcode"] == "NOERROR" and not ans["tc"]
                      and [a["value"] for a in ans["answers"]] == [want]  # type: ignore[attr-defined]
                      and all(a["ttl"] <= BASELINE_TTL for a in ans["answers"]))  # type: ignore[attr-defined]
                return ans if ok else None

            ans = eventually(check, f"baseline for {name} from {how} {region}", timeout=8)
            evidence.append(f"{how} {region} asked {name}: {_brief(ans)}")
        return "; ".join(evidence)


def _brief(ans: dict) -> str:  # type: ignore[type-arg]
    values = ",".join(f"{a['value']}/ttl{a['ttl']}" for a in ans.get("answers", []))
    tc = " TC" if ans.get("tc") else ""
    return f"{ans.get('rcode')}{tc} [{values}] in {float(ans.get('elapsed', 0)) * 1000:.0f} ms"


def _a_values(ans: dict) -> list[str]:  # type: ignore[type-arg]
    return [a["value"] for a in ans.get("answers", []) if a.get("type") == 1]


class _Rcode(DnsFault):
    Params = DnsParams
    rcode: ClassVar[str]

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"rcode": self.rcode}

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        return bool(answer["rcode"] == self.rcode)


@register
class NxDomain(_Rcode):
    name = "dns.nxdomain"
    kind = "nxdomain"
    rcode = "NXDOMAIN"
    summary = "the name does not exist (NXDOMAIN)"


@register
class ServFail(_Rcode):
    name = "dns.servfail"
    kind = "servfail"
    rcode = "SERVFAIL"
    summary = "the resolver fails (SERVFAIL)"


@register
class Refused(_Rcode):
    name = "dns.refused"
    kind = "refused"
    rcode = "REFUSED"
    summary = "the resolver refuses to answer (REFUSED)"


@register
class NoData(_Rcode):
    name = "dns.nodata"
    kind = "nodata"
    rcode = "NOERROR"
    summary = "an empty answer: the name exists but has no records (NODATA)"

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        return answer["rcode"] == "NOERROR" and not _a_values(answer)


@register
class Timeout(DnsFault):
    name = "dns.timeout"
    kind = "timeout"
    summary = "no answer at all: queries are dropped and clients time out"

    def query_timeout(self) -> float:
        return 0.3

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        return bool(answer["rcode"] == "TIMEOUT")


@register
class Truncate(DnsFault):
    name = "dns.truncate"
    kind = "truncate"
    summary = "UDP answers are truncated (TC), forcing clients to retry over TCP"

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        return bool(answer["tc"])


@register
class Slow(DnsFault):
    name = "dns.slow"
    kind = "slow"
    Params = SlowParams
    summary = "slow answers that still carry the correct record (TCP through a latency toxic)"

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"slow_upstream": f"{ctx.plan.toxiproxy_ip(placement)}:{ctx.plan.dns_proxy_port(view)}"}

    def extra_change(self, ctx: Context) -> Change:
        toxics = [{"region": p, "proxy": f"dns-{v.name}", "name": f"{self.fault_id()}-slow",
                   "type": "latency", "stream": "downstream", "toxicity": 1.0,
                   "attributes": {"latency": self.params.ms, "jitter": 0}}
                  for p in self.placements() for v in self.views(ctx)]
        return Change(toxics=toxics)

    def query_timeout(self) -> float:
        ms: int = self.params.ms
        return 1.0 + ms / 1000 * 2

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        return (answer["rcode"] == "NOERROR"
                and _a_values(answer) == [self.baseline_ip(ctx, how, region, name)]
                and float(answer["elapsed"]) >= self.params.ms / 1000 * 0.9)


@register
class WrongAnswer(DnsFault):
    name = "dns.wrong-answer"
    kind = "wrong-answer"
    Params = WrongParams
    summary = "a wrong address: a blackhole in the world's network, a chosen one, or another region's"

    @classmethod
    def _check_params(cls, spec: FaultSpec, topology: Topology, target: DnsTarget) -> list[str]:
        p = spec.params
        if p.get("to_region") is not None:
            if p["to_region"] not in topology.regions:
                return [f"to_region {p['to_region']!r} is not a region"]
            if p.get("address"):
                return ["give address or to_region, not both"]
            if target.wildcard:
                return ["to_region needs an exact name, not a pattern"]
        if p.get("address") is not None:
            try:
                ipaddress.IPv4Address(str(p["address"]))
            except ValueError:
                return [f"address {p['address']!r} is not an IPv4 address"]
        return []

    def address(self, ctx: Context, placement: str, view: View, sample: str | None) -> str:
        if self.params.address:
            return str(ipaddress.IPv4Address(self.params.address))
        net = view.name if view.cidr else placement
        if self.params.to_region and sample:
            return ctx.plan.answer_ip(self.params.to_region, view, placement)
        # A blackhole: an address on the world's own network where nothing listens.
        return str(ipaddress.ip_network(ctx.plan.subnets[net]).network_address + 250)

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"address": self.address(ctx, placement, view, self.spec.target),
                "ttl": self.params.ttl}

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        view = ctx.plan.view(HOST_VIEW if how == "host" else region)
        want = self.address(ctx, region, view, name)
        return _a_values(answer) == [want]


@register
class Ttl(DnsFault):
    name = "dns.ttl"
    kind = "ttl"
    Params = TtlParams
    summary = "correct answers with a chosen TTL (long TTLs keep stale addresses in caches)"

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"ttl": self.params.ttl}

    def faulty(self, ctx: Context, how: str, region: str, name: str, answer: dict[str, Any]) -> bool:
        return (answer["rcode"] == "NOERROR" and bool(answer["answers"])
                and all(a["ttl"] == self.params.ttl for a in answer["answers"]))
