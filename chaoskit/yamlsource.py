"""YAML with positions: plain data plus the file:line:column of every value.

Topologies and playbooks are validated by pydantic, whose errors name a path
such as ``("method", 2, "fault")``. `Source.where(path)` turns that path back
into ``playbook.yaml:14:7`` so every message points at the line to fix.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chaoskit.errors import Problem

Path_ = tuple[str | int, ...]


@dataclass
class Source:
    """Parsed YAML and where each value came from."""

    name: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> str:
        """`file:line:col` of the deepest known prefix of `path` (of its key if `key`)."""
        p = tuple(path)
        if key and p in self.key_positions:
            line, col = self.key_positions[p]
            return f"{self.name}:{line}:{col}"
        while p and p not in self.positions:
            p = p[:-1]
        line, col = self.positions.get(p, (1, 1))
        return f"{self.name}:{line}:{col}"


class _Loader(yaml.SafeLoader):
    pass


# The size limits of every YAML file chaoskit reads (topologies, playbooks), defined here only.
# Far beyond any real file; they keep a stray binary or log file from being parsed for minutes.
MAX_BYTES = 1_000_000
MAX_VALUES = 100_000  # values after aliases are expanded
MAX_DEPTH = 64  # nesting of flow collections
# Python refuses to convert longer decimal strings (sys.get_int_max_str_digits) with a message
# about its own internals; longer numbers are a located problem instead.
MAX_DIGITS = 4300


class _TooBig(Exception):
    pass


def _walk(loader: _Loader, node: yaml.Node, path: Path_, src: Source, problems: list[Problem]) -> Any:
    # Aliases are copies once read: a few hundred bytes can expand to billions of values.
    if len(src.positions) > MAX_VALUES:
        raise _TooBig
    src.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, src, problems)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append(Problem("mapping keys must be plain scalars", _mark(src, key_node)))
                continue
            if key in out:
                problems.append(Problem(f"duplicate key {key!r}", _mark(src, key_node)))
                continue
            kpath = (*path, str(key) if not isinstance(key, int) else key)
            src.key_positions[kpath] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _walk(loader, value_node, kpath, src, problems)
            # Point a key's problems at the key when its value is a collection.
            if isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode)):
                src.positions[kpath] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(loader, item, (*path, i), src, problems) for i, item in enumerate(node.value)]
    return _scalar(loader, node, src, problems)


def _scalar(loader: _Loader, node: yaml.Node, src: Source, problems: list[Problem]) -> Any:
    """A scalar's value; a number too long to be meant is a located problem, not Python's
    "Exceeds the limit (4300 digits)" message."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
        digits = sum(c.isdigit() for c in node.value)
        if digits > MAX_DIGITS:
            problems.append(Problem(f"a number with {digits} digits is out of range "
                                    f"(at most {MAX_DIGITS} digits)", _mark(src, node)))
            return None
    return loader.construct_object(node, deep=True)


def _mark(src: Source, node: yaml.Node) -> str:
    return f"{src.name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def parse_yaml(text: str, name: str = "<string>") -> tuple[Source, list[Problem]]:
    """Parse `text`; return the source and the problems found (never raises on bad input)."""
    src = Source(name, None)
    problems: list[Problem] = []
    if len(text) > MAX_BYTES:
        return src, [Problem(f"file is larger than {MAX_BYTES // 1_000_000} MB", name)]
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                src.data = _walk(loader, node, (), src, problems)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problems.append(Problem(f"invalid YAML: {exc.problem or exc.context}", where))
    except yaml.reader.ReaderError as exc:  # a control character: say where, on one line
        pos = exc.position
        line, col = text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        problems.append(Problem(f"invalid YAML: the character {char!r} is not allowed in YAML",
                                f"{name}:{line}:{col}"))
    except _TooBig:
        src.data = None
        problems.append(Problem(f"the document expands to more than {MAX_VALUES} values "
                                "(through aliases?)", name))
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        problems.append(Problem("invalid YAML: " + " ".join(str(exc).split())[:200], name))
    return src, problems


def read_text(path: str | Path, what: str = "file",
              max_bytes: int = MAX_BYTES) -> tuple[str | None, Problem | None]:
    """The text of a regular file of at most `max_bytes`, or why it cannot be read.

    Checked before anything is read: a FIFO would block forever and ``/dev/zero``
    never ends, so only regular files are opened (without blocking, and checked
    again on the open descriptor, so a swap after the check changes nothing), and
    at most `max_bytes` + 1 bytes are ever read.
    """
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        reason = "is a directory" if exc.errno == errno.EISDIR else (exc.strerror or str(exc)).lower()
        return None, Problem(f"cannot read {what}: {reason}", name)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else
                    "a FIFO" if stat.S_ISFIFO(st.st_mode) else
                    "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                    "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            return None, Problem(f"cannot read {what}: it is {kind}, not a regular file", name)
        if st.st_size > max_bytes:
            return None, Problem(f"{what} is {st.st_size} bytes; at most {max_bytes} are read", name)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            raw = fh.read(max_bytes + 1)  # /proc files say size 0: bound the read itself
    except OSError as exc:
        return None, Problem(f"cannot read {what}: {(exc.strerror or str(exc)).lower()}", name)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > max_bytes:
        return None, Problem(f"{what} is larger than {max_bytes} bytes", name)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, Problem(f"cannot read {what}: not UTF-8 text (byte {exc.start})", name)


def read_yaml(path: str | Path, what: str = "file") -> tuple[Source, list[Problem]]:
    """Read (see `read_text`) and parse a YAML file; an unreadable file is one problem."""
    text, problem = read_text(path, what)
    if text is None:
        assert problem is not None
        return Source(str(path), None), [problem]
    return parse_yaml(text, str(path))


def validation_problems(exc: ValidationError, src: Source) -> list[Problem]:
    """Turn pydantic's errors into problems that point at file:line:col."""
    out: list[Problem] = []
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        # pydantic adds the tag of a tagged union to the path; drop names not in the source.
        path = tuple(x for x in loc if isinstance(x, int) or not _is_tag(x, loc, src))
        dotted = ".".join(str(x) for x in loc) or "(top level)"
        msg = err["msg"]
        at_key = err["type"] == "extra_forbidden"
        if at_key:
            msg = f"unknown key {loc[-1]!r}"
        out.append(Problem(f"{dotted}: {msg}", src.where(path, key=at_key)))
    return out


def _is_tag(x: str | int, loc: tuple[str | int, ...], src: Source) -> bool:
    i = loc.index(x)
    prefix = loc[:i]
    return (*prefix, x) not in src.positions and prefix in src.positions and i < len(loc) - 1
