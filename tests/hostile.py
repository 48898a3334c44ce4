"""Hostile input for the property tests: values an attacker or a careless user would give.

Shared by the Hypothesis tests of the topology loader, the playbook loader and the CLI.
Every example is bounded (sizes, nesting), and `bounded` turns a hang into a failure.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# CI stays fast: a few hundred examples per property, no per-example deadline (the machine
# may be busy); `bounded` catches a real hang instead.
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
HANG_SECONDS = 60

NASTY_TEXT = [
    "", " ", "-", "a", "us-east-1", "host", "ns", "kv", "dns-host", "x\n", "us-east-1\n", "A",
    "$HOME", "${X:?boom}", "$$", "a$b", "{", "}", "kv.us-east-1.chaoskit.internal\n}",
    "' || true || '", "\"", "'", "\\", "#", "%", "%n", "../../etc/passwd", "/proc/self/environ",
    "file:///etc/passwd", "\x00", "\u202e", "☃", "ünï", "\t", "\r\n", "x" * 64, "x" * 300,
    "10.213.0.0/24", "127.0.0.0/8", "fe80::1%eth0/64", "::1/128", "10.0.0.1/24", "0.0.0.0/0",
    "10.1.0.0/33", "9" * 5000, "1e999", "-1", "0", "65536", "30s", "-3s", "400d", "soon",
]  # fmt: skip
NASTY_NUMBERS: list[Any] = [0, -1, 1, 53, 6379, 8474, 15300, 15301, 16379, 65535, 65536, 2**63,
                            10**400, 1e308, float("inf"), float("nan"), True, None]


def text() -> st.SearchStrategy[str]:
    """Nasty strings, and arbitrary short ones."""
    return st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40),
                     st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True))


def scalar() -> st.SearchStrategy[Any]:
    return st.one_of(text(), st.sampled_from(NASTY_NUMBERS), st.integers(-(2**70), 2**70),
                     st.booleans(), st.none())


def value(depth: int = 3) -> st.SearchStrategy[Any]:
    """Any YAML-able value, nested at most `depth` deep."""
    return st.recursive(scalar(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(text(), inner, max_size=4)), max_leaves=12)


@contextlib.contextmanager
def bounded(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM after `seconds` of wall time (a hang, not a slow run)."""
    def hang(signum: int, frame: object) -> None:
        raise AssertionError(f"no answer after {seconds}s: a hang")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# What chaoskit itself interpolates in a compose file; any other `$` must be doubled.
OWN_INTERPOLATION = re.compile(r"\$\{CHAOSKIT_IMAGE_[A-Z]+:-[a-z0-9./:-]+\}")


def check_world_files(root: Path) -> dict[str, Any]:
    """What `render` wrote holds only validated strings; returns the compose file's data.

    Compose interpolates only chaoskit's image defaults; CoreDNS files are printable ASCII
    with IPv4 subnets (no scope ids, no stray braces from a name); proxy lists are JSON.
    """
    compose_text = (root / "compose.yaml").read_text()
    assert "$" not in OWN_INTERPOLATION.sub("", compose_text).replace("$$", ""), compose_text
    compose: dict[str, Any] = yaml.safe_load(compose_text)
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in ("", ".db", ".baseline"):
            content = path.read_text()
            assert content.isascii() and "%" not in content, path
            assert all(ch.isprintable() or ch == "\n" for ch in content), path
            assert content.count("{") == content.count("}"), path
            for cidr in re.findall(r"incidr\(client_ip\(\), '([^']*)'\)", content):
                assert ipaddress.ip_network(cidr).version == 4, cidr
        elif path.suffix == ".json":
            json.loads(path.read_text())
    return compose
