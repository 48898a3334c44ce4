"""The one home of every rule for names a user gives chaoskit.

Region, service, world and domain labels, DNS names and patterns, fault ids:
each is checked here with a full match before it can reach a Corefile, a
Compose file, a URL or a file name. Pure standard library, so the topology,
the playbook model, the faults and the CLI all share it.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable

# One DNS label: a-z 0-9 '-', 1-63 characters, not starting or ending with '-'.
LABEL_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LABEL = re.compile(LABEL_PATTERN)
# Fault ids are labels too: they become Corefile comments, URL path segments, file names.
FAULT_ID_PATTERN = LABEL_PATTERN
DNS_NAME_PATTERN = rf"(?:{LABEL_PATTERN}\.)*{LABEL_PATTERN}\.?"
MAX_NAME = 253
# A world (Compose project) name: what Compose accepts, kept short enough for container names.
WORLD_PATTERN = r"[a-z0-9][a-z0-9_-]{0,59}"
_WORLD = re.compile(WORLD_PATTERN)
# A container image reference, as Docker's reference grammar has it:
# [registry[:port]/]path[:tag][@digest], path components lower case.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_REGISTRY = rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*(?::[0-9]{{1,5}})?/)"
IMAGE_PATTERN = (rf"{_REGISTRY}?{_COMPONENT}(?:/{_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?"
                 r"(?:@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,})?")
_IMAGE = re.compile(IMAGE_PATTERN)
# An environment variable name a shell and Compose both accept.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# The path of an HTTP health check: '/' then RFC 3986 path and query characters.
_URL_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,200}")


def is_label(value: object) -> bool:
    """Whether `value` is one DNS label (full match; a trailing newline does not pass)."""
    return isinstance(value, str) and _LABEL.fullmatch(value) is not None


def label_problem(value: object, what: str) -> str | None:
    """Why `value` cannot be a `what` (``region name``, ``fault id``...); None if it can."""
    if is_label(value):
        return None
    shown = repr(value) if len(repr(value)) <= 50 else repr(value)[:47] + "..."
    return (f"{what} {shown} is not a valid DNS label: use lower-case letters, digits and '-', "
            "1-63 characters, not starting or ending with '-'")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


def world_name_problem(value: object) -> str | None:
    """Why `value` cannot name a world (a Compose project); None if it can."""
    if isinstance(value, str) and _WORLD.fullmatch(value):
        return None
    return (f"world name {_shown(value)} is not usable: lower-case letters, digits, '-' and '_', "
            "starting with a letter or digit, at most 60 characters")


def image_problem(value: object) -> str | None:
    """Why `value` is not a container image reference (``name[:tag][@digest]``); None if it is."""
    if isinstance(value, str) and len(value) <= 255 and _IMAGE.fullmatch(value):
        return None
    return (f"image {_shown(value)} is not an image reference such as "
            "registry.example/team/cart:1.4 (lower-case path, optional :tag and @digest)")


def env_name_problem(value: object) -> str | None:
    """Why `value` cannot be an environment variable name; None if it can."""
    if isinstance(value, str) and _ENV_NAME.fullmatch(value):
        return None
    return (f"environment variable name {_shown(value)} must be letters, digits and '_', "
            "not starting with a digit")


def url_path_problem(value: object) -> str | None:
    """Why `value` cannot be the path of an HTTP check (``/health``); None if it can."""
    if isinstance(value, str) and _URL_PATH.fullmatch(value):
        return None
    return (f"path {_shown(value)} must start with '/' and hold only URL path characters "
            "(no spaces, quotes or '#'), at most 200")


def fault_id_problem(value: object) -> str | None:
    """Why `value` cannot be a fault id; None if it can."""
    return label_problem(value, "fault id")


def dns_name_problem(name: str, *, wildcard: bool = True) -> str | None:
    """Why `name` is not a DNS name (or ``*.`` pattern) safe for CoreDNS; None if it is.

    Labels are ``[a-z0-9-]``, 1-63 characters, not starting or ending with '-';
    the whole name is at most 253 characters; one trailing '.' is allowed. The
    names are written into CoreDNS configuration, so anything else (spaces,
    newlines, braces, quotes) is refused rather than escaped.
    """
    if not isinstance(name, str):
        return f"not a DNS name: {type(name).__name__}"
    if not name:
        return "a DNS name cannot be empty"
    bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "-.*"))})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5])
        return f"{name[:60]!r} is not a DNS name: it contains {shown}"
    if name != name.lower():
        return f"{name!r} is not a DNS name here: write it in lower case"
    body = name[:-1] if name.endswith(".") else name
    if len(body) > MAX_NAME:
        return f"DNS name is {len(body)} characters long; at most {MAX_NAME} are allowed"
    labels = body.split(".")
    if labels[0] == "*":
        if not wildcard:
            return f"{name!r}: a wildcard is not allowed here, name one host"
        labels = labels[1:]
        if not labels:
            return f"{name!r}: a wildcard needs a domain after '*.', e.g. *.chaoskit.internal"
    for label in labels:
        if label == "":
            return f"{name!r} is not a DNS name: it has an empty label ('..' or a leading '.')"
        if "*" in label:
            return f"{name!r}: '*' is only allowed as the whole first label ('*.example')"
        if len(label) > 63:
            return f"{name!r}: label {label[:20]!r}... is longer than 63 characters"
        if not _LABEL.fullmatch(label):
            return f"{name!r}: label {label!r} must not start or end with '-'"
    return None


def host_problem(host: str) -> str | None:
    """Why `host` is neither an IP address nor a DNS name; None if it is one."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return dns_name_problem(host, wildcard=False)
    return None


def close_matches(word: object, choices: Iterable[object], n: int = 1) -> list[str]:
    """The `n` known names closest to a misspelt `word`, closest first (difflib's ratio >= 0.6)."""
    return difflib.get_close_matches(str(word), sorted({str(c) for c in choices}), n=n, cutoff=0.6)


def suggest(word: object, choices: Iterable[object], *, show_all: int = 8) -> str:
    """The one "did you mean" of chaoskit: the closest known name, else the known names when
    there are at most `show_all` of them, else ''."""
    options = sorted({str(c) for c in choices})
    close = close_matches(word, options)
    if close:
        return f"did you mean {close[0]!r}?"
    if options and len(options) <= show_all:
        return "known: " + ", ".join(options)
    return ""
