"""DNS faults: each kind owns its CoreDNS block and what a client sees while it is in force.

A kind is one class (see docs/dns-faults.md, whose tables are generated from
these classes):

- ``block``: the body of its server block, a jinja snippet given the zone, the
  view, the address a fault-free answer carries (``answer``) and the kind's
  own values (`block_vars`);
- ``select``: terms added to the block's `view` expression (``proto() == 'udp'``);
- ``expect``: one `Probe` per protocol: how a client asks, and the predicate
  its answer satisfies while the fault is in force.

One skeleton (`render/templates/dns_fault.j2`) wraps every body in the server
block: the zone, and a `view` whose expression selects the target name (exact
or wildcard), the clients (one region's subnet, or the host), optionally a
fraction of queries (by query id), and the kind's `select`. Blocks are placed
above the region's baseline blocks; the first matching block answers, so other
names and clients still get the baseline. After writing the Corefile the
controller sends SIGUSR1 and waits until the region answers a generation TXT
query with the new generation.

Slow answers that still carry the correct record: CoreDNS's `erratic` only
delays synthetic answers, so a slow fault's block forwards the query over TCP
through the region's Toxiproxy (proxy ``dns-<view>``) to CoreDNS's own
fault-free listener, and a latency toxic on that proxy delays the real answer.

Truncation: `erratic`'s truncate answers with a synthetic address (192.0.2.53)
and sets TC only on some queries, so clients got a wrong address instead of a
truncation. A truncate block answers the correct record padded, in the
authority section, beyond what a UDP reply may carry (``bufsize 512`` clamps
EDNS clients too); CoreDNS's server then truncates the reply and sets TC. It
selects UDP only, so the client's retry over TCP gets the baseline.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from jinja2 import Template
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
# Six TXT records of about 200 bytes in the authority section: more than the
# 512 bytes a UDP reply may carry once `bufsize 512` clamps EDNS clients.
PADDING_RECORDS = 6
PADDING_TEXT = "truncated-by-chaoskit." * 9

Answer = dict[str, Any]


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


# --- what a client sees ------------------------------------------------------------------------

@dataclass(frozen=True)
class Truth:
    """What one vantage point should see: the fault-free address, and the fault's own values."""

    baseline: str  # the A record a fault-free answer carries there
    params: Any = None  # the kind's validated parameters
    promised: str | None = None  # the address a wrong-answer block gives there


Predicate = Callable[[Answer, Truth], bool]


@dataclass(frozen=True)
class Probe:
    """How a client asks (``udp`` or ``tcp``) and what it must see while the fault is in force."""

    proto: str
    faulty: Predicate
    sees: str  # for the docs: what the client sees


def a_values(answer: Answer) -> list[str]:
    return [str(a["value"]) for a in answer.get("answers", []) if a.get("type") == 1]


def answers_rcode(rcode: str) -> Predicate:
    def faulty(answer: Answer, truth: Truth) -> bool:
        return bool(answer["rcode"] == rcode)

    faulty.__name__ = f"answers_{rcode.lower()}"
    return faulty


def empty_answer(answer: Answer, truth: Truth) -> bool:
    return answer["rcode"] == "NOERROR" and not answer["tc"] and not a_values(answer)


def no_answer(answer: Answer, truth: Truth) -> bool:
    return bool(answer["rcode"] == "TIMEOUT")


def correct(answer: Answer, truth: Truth) -> bool:
    return (answer["rcode"] == "NOERROR" and not answer["tc"]
            and a_values(answer) == [truth.baseline])


def truncated(answer: Answer, truth: Truth) -> bool:
    """TC set, and nothing but the correct record (or nothing): a wrong address is no truncation."""
    return (answer["rcode"] == "NOERROR" and bool(answer["tc"])
            and a_values(answer) in ([], [truth.baseline]))


def slow_and_correct(answer: Answer, truth: Truth) -> bool:
    return correct(answer, truth) and float(answer["elapsed"]) >= truth.params.ms / 1000 * 0.9


def promised_address(answer: Answer, truth: Truth) -> bool:
    return answer["rcode"] == "NOERROR" and a_values(answer) == [truth.promised]


def chosen_ttl(answer: Answer, truth: Truth) -> bool:
    return (correct(answer, truth)
            and all(a["ttl"] == truth.params.ttl for a in answer["answers"]))


def both(faulty: Predicate, sees: str) -> tuple[Probe, Probe]:
    return Probe("udp", faulty, sees), Probe("tcp", faulty, sees)


# --- parameters --------------------------------------------------------------------------------

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


# --- the skeleton every kind shares ------------------------------------------------------------

@cache
def _body(block: str) -> Template:
    return environment().from_string(block)


class DnsFault(Fault):
    """A DNS kind: subclasses set `name`, a docstring (its summary), `block` and `expect`."""

    family: ClassVar[str] = "dns"
    kind: ClassVar[str]
    options: ClassVar[frozenset[str]] = DNS_OPTIONS
    Params: ClassVar[type[BaseModel]] = DnsParams
    block: ClassVar[str]
    select: ClassVar[tuple[str, ...]] = ()
    expect: ClassVar[tuple[Probe, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return  # a shared base, not a kind
        cls.kind = cls.name.removeprefix("dns.")
        if "summary" not in cls.__dict__:
            doc = (cls.__doc__ or "").strip()
            if not doc:
                raise TypeError(f"DNS kind {cls.name} needs a docstring (its summary)")
            first = doc.splitlines()[0].rstrip(".")
            # "The name..." reads "the name..." in tables; "UDP answers" stays.
            cls.summary = first[0].lower() + first[1:] if first[1:2].islower() else first
        for attr in ("block", "expect"):
            if not getattr(cls, attr, None):
                raise TypeError(f"DNS kind {cls.name} declares no {attr}")

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

    def dns_targets(self) -> list[dict[str, str | None]]:
        target = self._target()
        return [{"target": ("*." if target.wildcard else "") + target.name,
                 "clients_of": self.spec.clients_of}]

    def expr(self, ctx: Context, view: View, target: DnsTarget) -> str:
        parts = [ctx.plan.view_expr(view), f"lower(name()) matches '{target.expr_regex()}'"]
        if self.spec.fraction is not None and self.spec.fraction < 1:
            parts.append(f"id() % 1000 < {max(1, round(self.spec.fraction * 1000))}")
        parts.extend(self.select)
        return " && ".join(parts)

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        """The kind's own values for its `block` (validated numbers and addresses only)."""
        return {}

    def render_block(self, ctx: Context, placement: str, zone_region: str, view: View,
                     target: DnsTarget) -> str:
        """One server block: the shared skeleton around this kind's body."""
        zone = ctx.topology.zone(zone_region)
        values: dict[str, object] = {
            "zone": zone, "view": view, "own_zone": placement == zone_region,
            "forward_to": ctx.plan.coredns_ip(zone_region, on=placement),
            "answer": ctx.plan.answer_ip(zone_region, view, placement),
            "baseline_ttl": BASELINE_TTL,
            **self.block_vars(ctx, placement, zone_region, view)}
        body = _body(self.block).render(**values).strip("\n")
        return environment().get_template("dns_fault.j2").render(
            fault_id=self.fault_id(), kind=self.kind, target=target.name, zone=zone, view=view,
            view_name=f"{self.fault_id()}-{zone_region}-{view.name}",
            expr=self.expr(ctx, view, target), body=body)

    def prepare(self, ctx: Context) -> Change:
        target = self._target()
        change = Change()
        for p in self.placements():
            change.dns_blocks[p] = [self.render_block(ctx, p, z, v, target)
                                    for z in target.zones for v in self.views(ctx)]
        return change.merge(self.extra_change(ctx))

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
            timeout: float = 1.0) -> Answer:
        fn = ctx.ask_host if how == "host" else ctx.ask_agent
        return fn(region, name, "A", proto, timeout)

    def baseline_ip(self, ctx: Context, how: str, region: str, name: str) -> str:
        zone_region = name.split(".")[-len(ctx.topology.domain.split(".")) - 1]
        on = region  # host view through P's CoreDNS, or the agent's own region
        return ctx.plan.toxiproxy_ip(zone_region, on=on)

    def promised(self, ctx: Context, how: str, region: str, name: str) -> str | None:
        """The address this kind answers with at that vantage point, if it answers one."""
        return None

    def truth(self, ctx: Context, how: str, region: str, name: str) -> Truth:
        return Truth(self.baseline_ip(ctx, how, region, name), self.params,
                     self.promised(ctx, how, region, name))

    def query_timeout(self) -> float:
        return 1.0

    def confirm(self, ctx: Context, change: Change) -> str:
        evidence = []
        attempts = 400 if self.spec.fraction and self.spec.fraction < 1 else 200
        for how, region, name in self.vantages(ctx):
            truth = self.truth(ctx, how, region, name)
            for probe in self.expect:
                seen: list[Answer] = []

                def check(how: str = how, region: str = region, name: str = name,
                          probe: Probe = probe, truth: Truth = truth,
                          seen: list[Answer] = seen) -> Answer | None:
                    if len(seen) >= attempts:
                        raise ConfirmTimeout(f"{self.name} not observed over {probe.proto} in "
                                             f"{attempts} queries (last: {_brief(seen[-1])})")
                    ans = self.ask(ctx, how, region, name, probe.proto, self.query_timeout())
                    seen.append(ans)
                    return ans if probe.faulty(ans, truth) else None

                ans = eventually(check, f"{self.describe()} seen over {probe.proto} from "
                                        f"{how} {region}", timeout=8)
                evidence.append(f"{how} {region} asked {name} over {probe.proto}: {_brief(ans)}")
        return "; ".join(evidence)

    def confirm_reverted(self, ctx: Context, change: Change) -> str:
        evidence = []
        for how, region, name in self.vantages(ctx):
            truth = Truth(self.baseline_ip(ctx, how, region, name))
            for proto in ("udp", "tcp"):

                def check(how: str = how, region: str = region, name: str = name,
                          proto: str = proto, truth: Truth = truth) -> Answer | None:
                    ans = self.ask(ctx, how, region, name, proto, timeout=1.0)
                    ok = correct(ans, truth) and all(a["ttl"] <= BASELINE_TTL for a in ans["answers"])
                    return ans if ok else None

                ans = eventually(check, f"baseline for {name} over {proto} from {how} {region}",
                                 timeout=8)
                evidence.append(f"{how} {region} asked {name} over {proto}: {_brief(ans)}")
        return "; ".join(evidence)


def _brief(ans: Answer) -> str:
    values = ",".join(f"{a['value']}/ttl{a['ttl']}" for a in ans.get("answers", []))
    tc = " TC" if ans.get("tc") else ""
    return f"{ans.get('rcode')}{tc} [{values}] in {float(ans.get('elapsed', 0)) * 1000:.0f} ms"


# --- the kinds -----------------------------------------------------------------------------------

RCODE_BLOCK = """\
template ANY ANY {{ zone }} {
    rcode {{ rcode }}
    authority "{{ zone }}. 5 IN SOA ns.{{ zone }}. hostmaster.{{ zone }}. 1 3600 600 86400 5"
}"""


class _Rcode(DnsFault):
    rcode: ClassVar[str]
    block = RCODE_BLOCK

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"rcode": self.rcode}


@register
class NxDomain(_Rcode):
    """The name does not exist (NXDOMAIN)."""

    name = "dns.nxdomain"
    rcode = "NXDOMAIN"
    expect = both(answers_rcode("NXDOMAIN"), "NXDOMAIN")


@register
class ServFail(_Rcode):
    """The resolver fails (SERVFAIL)."""

    name = "dns.servfail"
    rcode = "SERVFAIL"
    expect = both(answers_rcode("SERVFAIL"), "SERVFAIL")


@register
class Refused(_Rcode):
    """The resolver refuses to answer (REFUSED)."""

    name = "dns.refused"
    rcode = "REFUSED"
    expect = both(answers_rcode("REFUSED"), "REFUSED")


@register
class NoData(_Rcode):
    """An empty answer: the name exists but has no records (NODATA)."""

    name = "dns.nodata"
    rcode = "NOERROR"
    expect = both(empty_answer, "NOERROR with no address")


@register
class Timeout(DnsFault):
    """No answer at all: queries are dropped and clients time out."""

    name = "dns.timeout"
    block = "erratic {\n    drop 1\n}"
    expect = both(no_answer, "no answer within the client's timeout")

    def query_timeout(self) -> float:
        return 0.3


@register
class Truncate(DnsFault):
    """UDP answers are truncated (TC), forcing clients to retry over TCP, where the answer is right."""

    name = "dns.truncate"
    select = ("proto() == 'udp'",)
    block = """\
bufsize 512
template IN A {{ zone }} {
    answer "{% raw %}{{ .Name }}{% endraw %} {{ baseline_ttl }} IN A {{ answer }}"
{%- for i in range(padding_records) %}
    authority "pad-{{ i }}.{{ zone }}. 0 IN TXT \\"{{ padding_text }}\\""
{%- endfor %}
}
template ANY ANY {{ zone }} {
    rcode NOERROR
{%- for i in range(padding_records) %}
    authority "pad-{{ i }}.{{ zone }}. 0 IN TXT \\"{{ padding_text }}\\""
{%- endfor %}
}"""
    expect = (Probe("udp", truncated, "TC set, no wrong address"),
              Probe("tcp", correct, "the correct address, no TC"))

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"padding_records": PADDING_RECORDS, "padding_text": PADDING_TEXT}


@register
class Slow(DnsFault):
    """Slow answers that still carry the correct record (TCP through a latency toxic)."""

    name = "dns.slow"
    Params = SlowParams
    block = "forward . {{ slow_upstream }} {\n    force_tcp\n}"
    expect = both(slow_and_correct, "the correct address, ≥ 0.9 × ms late")

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"slow_upstream": f"{ctx.plan.toxiproxy_ip(placement)}:{ctx.plan.dns_proxy_port(view)}"}

    def extra_change(self, ctx: Context) -> Change:
        # The dns-<view> proxy carries one delay: a second slow fault there would add to it.
        toxics = [{"region": p, "proxy": f"dns-{v.name}", "name": f"{self.fault_id()}-slow",
                   "type": "latency", "stream": "downstream", "toxicity": 1.0,
                   "attributes": {"latency": self.params.ms, "jitter": 0}, "exclusive": True}
                  for p in self.placements() for v in self.views(ctx)]
        return Change(toxics=toxics)

    def query_timeout(self) -> float:
        ms: int = self.params.ms
        return 1.0 + ms / 1000 * 2


@register
class WrongAnswer(DnsFault):
    """A wrong address: a blackhole in the world's network, a chosen one, or another region's."""

    name = "dns.wrong-answer"
    Params = WrongParams
    block = """\
template IN A {{ zone }} {
    answer "{% raw %}{{ .Name }}{% endraw %} {{ ttl }} IN A {{ address }}"
}
template ANY ANY {{ zone }} {
    rcode NOERROR
}"""
    expect = both(promised_address, "the promised address")

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

    def address(self, ctx: Context, placement: str, view: View) -> str:
        if self.params.address:
            return str(ipaddress.IPv4Address(self.params.address))
        net = view.name if view.cidr else placement
        if self.params.to_region:
            return ctx.plan.answer_ip(self.params.to_region, view, placement)
        # A blackhole: an address on the world's own network where nothing listens.
        return str(ipaddress.ip_network(ctx.plan.subnets[net]).network_address + 250)

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"address": self.address(ctx, placement, view), "ttl": self.params.ttl}

    def promised(self, ctx: Context, how: str, region: str, name: str) -> str | None:
        return self.address(ctx, region, ctx.plan.view(HOST_VIEW if how == "host" else region))


@register
class Ttl(DnsFault):
    """Correct answers with a chosen TTL (long TTLs keep stale addresses in caches)."""

    name = "dns.ttl"
    Params = TtlParams
    block = """\
rewrite ttl regex .* {{ ttl }}
{%- if own_zone %}
file /etc/coredns/zones/{{ view.name }}.db {{ zone }} {
    reload 0
}
{%- else %}
forward . {{ forward_to }}
{%- endif %}"""
    expect = both(chosen_ttl, "the correct address with the chosen TTL")

    def block_vars(self, ctx: Context, placement: str, zone_region: str, view: View) -> dict[str, object]:
        return {"ttl": self.params.ttl}
