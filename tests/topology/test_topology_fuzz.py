"""Property tests of the topology loader: hostile documents are refused with located problems
or accepted, never a traceback or a hang, and an accepted one renders files holding only
validated strings."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hostile import FUZZ, NASTY_NUMBERS, bounded, check_world_files, scalar, text, value
from hypothesis import given
from hypothesis import strategies as st

from chaoskit.errors import Problem, TopologyError
from chaoskit.names import is_label
from chaoskit.render import Plan, default_subnets, render_world
from chaoskit.topology import Topology, load_topology, parse_topology

NAME = "fuzz.yaml"
KEYS = ["name", "domain", "regions", "kv", "services", "images", "ports", "subnets"]
SERVICE_KEYS = ["port", "image", "command", "env", "uses", "health_path"]


def names() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(["us-east-1", "us-west-2", "eu-west-1", "orders", "auth", "shop",
                                      "a", "a-b", "b-c", "c", "host", "ns", "kv", "dns-us-east-1"]),
                     text())


def service() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={
        "port": st.one_of(st.integers(1, 65535), st.sampled_from(NASTY_NUMBERS)),
        "image": st.one_of(st.sampled_from(["team/shop:1", "redis:7", "Team/X", "a b", "x$HOME:1"]),
                           text()),
        "command": st.lists(text(), max_size=4),
        "env": st.dictionaries(st.one_of(st.sampled_from(["A", "B_1", "1A", "A B"]), text()), text(),
                               max_size=3),
        "uses": st.lists(names(), max_size=3),
        "health_path": st.one_of(st.sampled_from(["/health", "/h?x=$Y", "health", "/a b"]), text()),
        "bogus": scalar(),
    })


def subnet() -> st.SearchStrategy[Any]:
    octet = st.integers(0, 255)
    cidr = st.builds(lambda a, b, c, p: f"{a}.{b}.{c}.0/{p}", st.sampled_from([10, 127, 172, 192, 8, 0]),
                     octet, octet, st.integers(16, 32))
    return st.one_of(cidr, text(), scalar())


def topology_docs() -> st.SearchStrategy[dict[str, Any]]:
    regions = st.lists(names(), min_size=0, max_size=4)
    return st.fixed_dictionaries({}, optional={
        "name": st.one_of(names(), scalar()),
        "domain": st.one_of(st.sampled_from(["chaoskit.internal", "a.b", "x", "Bad.Domain"]), text()),
        "regions": st.one_of(regions, scalar()),
        "kv": st.one_of(st.fixed_dictionaries({"port": st.one_of(st.integers(-5, 70000),
                                                                  st.sampled_from(NASTY_NUMBERS))}),
                        scalar()),
        "services": st.one_of(st.dictionaries(names(), service(), max_size=3), scalar()),
        "images": st.dictionaries(st.sampled_from(["coredns", "kv", "python", "toxiproxy", "x"]),
                                  st.one_of(st.sampled_from(["coredns/coredns:1.14.7", "$X"]), text()),
                                  max_size=2),
        "ports": st.dictionaries(names(), st.fixed_dictionaries({}, optional={
            "dns": st.sampled_from(NASTY_NUMBERS), "endpoints": st.dictionaries(names(), scalar(),
                                                                                max_size=2)}), max_size=2),
        "subnets": st.one_of(st.dictionaries(names(), subnet(), max_size=3), scalar()),
        "extra": value(),
    })


@st.composite
def near_valid_docs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid world with hostile values where any text is allowed (env, command) and one
    other field swapped: many are accepted, so the rendered files get checked."""
    doc: dict[str, Any] = {
        "name": "ok", "regions": ["us-east-1", "us-west-2"],
        "services": {"orders": {"env": draw(st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}",
                                                                            fullmatch=True), text(),
                                                              max_size=3))},
                     "shop": {"image": "team/shop:1", "port": 9000, "uses": ["kv", "orders"],
                              "command": draw(st.lists(text(), max_size=3))}},
    }
    field = draw(st.sampled_from(["name", "domain", "regions", "subnets", "health_path", "kv", "none"]))
    if field == "regions":
        doc["regions"] = draw(st.lists(names(), min_size=1, max_size=3))
    elif field == "subnets":
        doc["subnets"] = {r: draw(subnet()) for r in doc["regions"]}
    elif field == "health_path":
        doc["services"]["shop"]["health_path"] = draw(st.one_of(
            st.from_regex(r"/[A-Za-z0-9$?=&/._-]{0,20}", fullmatch=True), text()))
    elif field == "kv":
        doc["kv"] = {"port": draw(st.one_of(st.integers(1, 65535), st.sampled_from(NASTY_NUMBERS)))}
    elif field != "none":
        doc[field] = draw(names())
    return doc


def check_refusal(exc: TopologyError) -> None:
    assert exc.problems
    for p in exc.problems:
        assert isinstance(p, Problem) and p.message
        assert p.where == NAME or re.fullmatch(rf"{re.escape(NAME)}:\d+:\d+", p.where), p
        assert "\n" not in str(p), p  # user text is shown by repr, never raw


def check_rendered(topo: Topology) -> None:
    """An accepted topology renders files that hold only validated strings."""
    for name in [topo.name, *topo.regions, *topo.services, *topo.domain.split(".")]:
        assert is_label(name), name
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        render_world(Plan(topo, f"chaoskit-{topo.name}", default_subnets(topo)), root)
        compose = check_world_files(root)
        for svc_name, svc in topo.services.items():
            for region in topo.regions:
                env = compose["services"][f"{svc_name}-{region}"]["environment"]
                for key, val in svc.env.items():
                    assert env[key].replace("$$", "$") == val


def load(text_: str) -> Topology | None:
    with bounded():
        try:
            topo = parse_topology(text_, NAME)
        except TopologyError as exc:
            check_refusal(exc)
            return None
    check_rendered(topo)
    return topo


@FUZZ
@given(st.one_of(topology_docs(), near_valid_docs()))
def test_hostile_topologies_are_refused_with_a_place_or_accepted(doc: dict[str, Any]) -> None:
    try:
        text_ = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, RecursionError):  # pragma: no cover - not a document
        return
    load(text_)


@FUZZ
@given(st.text(max_size=300), st.sampled_from(["", "name: x\n", "regions: [us-east-1]\n",
                                                "subnets:\n  us-east-1: ", f"kv: {{port: {'9' * 5000}}}\n"]))
def test_arbitrary_text_is_refused_with_a_place_or_accepted(noise: str, prefix: str) -> None:
    load(prefix + noise)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_files_are_refused_with_a_place_or_accepted(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NAME
        path.write_bytes(raw)
        with bounded():
            try:
                topo = load_topology(path)
            except TopologyError as exc:
                assert all(p.where.startswith(str(path)) for p in exc.problems), exc.problems
                return
        check_rendered(topo)


def test_the_generator_reaches_acceptance_too() -> None:
    """A property that only ever sees refusals proves little: a valid document is accepted."""
    assert load(yaml.safe_dump({"name": "ok", "regions": ["us-east-1", "us-west-2"],
                                "services": {"orders": {"env": {"A": "$HOME"}},
                                             "shop": {"image": "team/shop:1", "port": 9000,
                                                      "health_path": "/h?x=$Y"}},
                                "subnets": {"us-east-1": "10.1.0.0/24",
                                            "us-west-2": "10.2.0.0/24"}})) is not None
