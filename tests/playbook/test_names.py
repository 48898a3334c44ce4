"""Names that end up in CoreDNS configuration, file names or commands: no injection."""

from __future__ import annotations

import pytest

from chaoskit.playbook import dns_name_problem

from .playbooks import BASE, Check, places


@pytest.mark.parametrize(
    "name",
    [
        "kv.us-east-1.chaoskit.internal",
        "kv.us-east-1.chaoskit.internal.",
        "*.us-east-1.chaoskit.internal",
        "a",
        "x" * 63 + ".example",
        ".".join(["a" * 61] * 4),  # 247 characters
    ],
)
def test_good_dns_names(name: str) -> None:
    assert dns_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("kv.us-east-1.chaoskit.internal\n}", "'\\n'"),
        ("kv.internal {\n  erratic\n}", "'{'"),
        ('kv"internal', "'\"'"),
        ("kv internal", "' '"),
        ("kv;internal", "';'"),
        ("KV.internal", "lower case"),
        ("kv..internal", "empty label"),
        (".kv.internal", "empty label"),
        ("-kv.internal", "must not start or end with '-'"),
        ("kv-.internal", "must not start or end with '-'"),
        ("k*v.internal", "'*' is only allowed"),
        ("kv.*.internal", "'*' is only allowed"),
        ("*.", "a wildcard needs a domain"),
        ("x" * 64 + ".internal", "longer than 63"),
        (".".join(["a" * 63] * 4), "at most 253"),
        ("kv.intérnal", "'é'"),
        ("kv_1.internal", "'_'"),
    ],
)
def test_bad_dns_names(name: str, why: str) -> None:
    problem = dns_name_problem(name)
    assert problem is not None and why in problem


def test_wildcard_only_where_patterns_are_allowed() -> None:
    assert dns_name_problem("*.chaoskit.internal", wildcard=False) is not None


@pytest.mark.parametrize(
    "target",
    [
        '"kv.us-east-1.chaoskit.internal\\n}\\n. {\\n  erratic\\n}"',
        "'kv.us-east-1.chaoskit.internal { }'",
        "kv.us-east-1.chaoskit.internal#",
        "'$(reboot).chaoskit.internal'",
    ],
)
def test_injection_in_a_dns_fault_target_is_rejected(check: Check, target: str) -> None:
    problems = check(BASE.replace("target: kv.us-east-1.chaoskit.internal", f"target: {target}"))
    assert places(problems) == ["6:48"]
    assert "is not a DNS name" in problems[0].message


def test_injection_in_dns_fault_parameters_is_rejected(check: Check) -> None:
    text = BASE.replace("for: 5s}", 'for: 5s, params: {answer: "1.2.3.4\\n}"}}')
    problems = check(text)
    assert places(problems) == ["6:106"]
    assert "cannot go into CoreDNS configuration" in problems[0].message


@pytest.mark.parametrize("name", ["'t\\nx'", "'../../etc'", "'t; rm -rf /'", "T", "'t '"])
def test_injection_in_the_playbook_name_is_rejected(check: Check, name: str) -> None:
    problems = check(BASE.replace("name: t", f"name: {name}"))
    assert places(problems) == ["2:7"]
    assert "is not a name" in problems[0].message


def test_injection_in_tags_is_rejected(check: Check) -> None:
    problems = check(BASE.replace("name: t", "name: t\ntags: [ok, 'a b']"))
    assert places(problems) == ["3:12"]
    assert problems[0].message.startswith("tags[1]: 'a b' is not a name")


@pytest.mark.parametrize(
    "value",
    ["'f\\nrevert: all'", "'f }'", "'f\"'", "'-f'", "''"],
)
def test_injection_in_fault_ids_is_rejected(check: Check, value: str) -> None:
    problems = check(BASE.replace("id: f", f"id: {value}"))
    assert places(problems) == ["6:18"]
    assert "is not an id" in problems[0].message


def test_injection_in_a_dns_probe_name_is_rejected(check: Check) -> None:
    text = BASE + "steady_state:\n  - {type: dns, name: 'a.b\\nc', region: us-east-1}\n"
    problems = check(text)
    assert places(problems) == ["8:23"]
    assert "is not a DNS name" in problems[0].message


def test_urls_and_hosts_in_probes(check: Check) -> None:
    text = (
        BASE
        + "steady_state:\n"
        + "  - {type: http, url: 'http://kv.internal/\\r\\nX-Evil: 1'}\n"
        + "  - {type: tcp, address: 'bad host:80'}\n"
        + "  - {type: tcp, address: '[::1]:6379'}\n"
        + '  - {type: command, argv: ["a\\u0000b"]}\n'
    )
    assert places(check(text)) == ["8:5", "9:5", "11:5"]
