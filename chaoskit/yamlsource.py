"""YAML with positions: plain data plus the file:line:column of every value.

Topologies and playbooks are validated by pydantic, whose errors name a path
such as ``("method", 2, "fault")``. `Source.where(path)` turns that path back
into ``playbook.yaml:14:7``, and `validation_problems` turns pydantic's errors
into problems at those places, so every message points at the line to fix.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import types
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Tag, ValidationError

from chaoskit.errors import Problem
from chaoskit.names import suggest

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


def short(value: Any) -> str:
    """`value`'s repr, cut to fit in a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# Errors whose message already shows the value, or where showing it would not help.
_SAYS_WHAT_IT_GOT = frozenset({"value_error", "assertion_error"})


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.*-]+")


def dotted(path: Path_) -> str:
    """``method[2].inject.for`` for a path."""
    out = ""
    for x in path:
        # A key of the user's that is not a plain word (a newline, a quote) is shown quoted.
        key = str(x) if _PLAIN_KEY.fullmatch(str(x)) else repr(x)
        out += f"[{x}]" if isinstance(x, int) else (f".{key}" if out else key)
    return out or "(top level)"


def validation_problems(
    exc: ValidationError,
    src: Source,
    root: type[BaseModel],
    *,
    says_what_it_got: Collection[str] = (),
    union_nouns: Mapping[str, str] | None = None,
    top_level: str = "a YAML mapping is expected",
) -> list[Problem]:
    """Pydantic's errors as problems a user can act on: where (file:line:col), what, the likely fix.

    It follows each error's path through `root`'s types, so it can drop what pydantic
    adds to paths (union tags, the member tried of a plain union), report one error per
    union, point an unknown key at the key itself and suggest the closest known key.
    `says_what_it_got`: the caller's own error types whose message already shows the
    value; `union_nouns`: what a discriminated union's members are, by discriminator
    (``{"'type'": "probe"}`` gives "unknown probe type 'htpp'"); `top_level`: what the
    whole document is, said when it is not a mapping.
    """
    shown = _SAYS_WHAT_IT_GOT | set(says_what_it_got)
    found: list[tuple[Problem, Path_ | None, int]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        walk = _walk_model(root, loc)
        path = walk.path
        kind = err["type"]
        where = src.where(path)
        hint = ""
        value = err.get("input")
        if kind == "extra_forbidden":
            key = str(path[-1]) if path else "?"
            model = _walk_model(root, loc[:-1]).model
            msg = f"unknown key {key!r}"
            hint = _alias_hint(model, key) or suggest(key, _keys(model))
            where = src.where(path, key=True)
            path = path[:-1]
        elif kind == "missing":
            msg = f"missing key {str(path[-1])!r}" if path else "missing"
            path = path[:-1]
        elif kind == "union_tag_not_found":
            tags = _expected(err)
            field = str(err.get("ctx", {}).get("discriminator", "tag"))
            noun = (union_nouns or {}).get(field, "value")
            msg = f"a {noun} needs a {field}"
            hint = f"one of: {tags}" if tags else ""
        elif kind == "union_tag_invalid":
            tag = str(err.get("ctx", {}).get("tag", value))
            field = str(err.get("ctx", {}).get("discriminator", "tag"))
            kind_of = (union_nouns or {}).get(field)
            msg = (f"unknown {kind_of} {field.strip(chr(39))} {tag!r}" if kind_of
                   else f"unknown {field} {tag!r}")
            hint = suggest(tag, _expected(err).split(", ")) or f"one of: {_expected(err)}"
            where = src.where((*path, "type"))
        elif kind == "invalid_key":
            msg = "keys must be text"
        elif kind == "model_type" and not path:
            msg = f"{top_level}, not {_kind(value)}"
        elif kind in ("model_type", "dict_type"):
            msg = f"expected a mapping, got {_kind(value)}"
        elif kind == "list_type":
            msg = f"expected a list, got {_kind(value)}"
        else:
            msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            if _is_scalar(value) and kind not in shown:
                msg += f", got {short(value)}"
        problem = Problem(f"{dotted(path)}: {msg}" if path else msg, where, hint)
        found.append((problem, walk.union, len(loc)))
    return _one_per_union(found)


def _one_per_union(found: list[tuple[Problem, Path_ | None, int]]) -> list[Problem]:
    """Of the errors pydantic reports for each member of a plain union, the one that got furthest.

    For ``exits: [failover, teleport]`` that is the list member's complaint
    about 'teleport', not the `none` member's complaint about the whole list.
    """
    best: dict[Path_, tuple[int, int]] = {}
    for i, (_, union, depth) in enumerate(found):
        if union is not None and (union not in best or depth > best[union][0]):
            best[union] = (depth, i)
    keep = {i for _, i in best.values()}
    return [p for i, (p, union, _) in enumerate(found) if union is None or i in keep]


@dataclass
class _ModelWalk:
    path: Path_  # the error's place in the source: loc without union tags and member labels
    model: type[BaseModel] | None  # the model at the end of loc, if it is one
    union: Path_ | None  # where a plain (untagged) union was entered, if one was


def _walk_model(root: type[BaseModel], loc: tuple[str | int, ...]) -> _ModelWalk:
    """Follow `loc` through the model's types, telling keys from what pydantic adds.

    Pydantic puts a tagged union's tag in the path (``("method", 0, "inject",
    "inject", "for")``: the step's kind, then its key), and the member it tried
    for a plain union (``"literal['none']"``). Neither is a place in the source.
    """
    tp: Any = root
    path: list[str | int] = []
    union: Path_ | None = None
    for x in loc:
        if x == "[key]":
            continue
        members = _members(tp)
        if len(members) > 1:
            tagged = [m for m in members if isinstance(x, str) and _tag_of(m) == x]
            if tagged:
                tp = tagged[0]
                continue
            if not _tag_of(members[0]):  # a plain union: `x` names the member tried
                union = union or tuple(path)
                tp = _member_named(members, x)
                continue
        path.append(x)
        tp = _child(tp, x) if tp is not None else None
    while _members(tp) and len(_members(tp)) == 1:
        tp = _members(tp)[0]
    model = _unwrap(tp)
    is_model = isinstance(model, type) and issubclass(model, BaseModel)
    return _ModelWalk(tuple(path), model if is_model else None, union)


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    """The members of a union (None left out), unwrapping an Optional down to one member."""
    tp = _unwrap(tp)
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return []
    members = [m for m in typing.get_args(tp) if m is not type(None)]
    if len(members) == 1 and _members(members[0]):
        return _members(members[0])
    return members


def _tag_of(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Annotated:
        for meta in typing.get_args(tp)[1:]:
            if isinstance(meta, Tag):
                return meta.tag
    model = _unwrap(tp)
    if isinstance(model, type) and issubclass(model, BaseModel) and "type" in model.model_fields:
        args = typing.get_args(model.model_fields["type"].annotation)
        return str(args[0]) if len(args) == 1 else None
    return None


def _member_named(members: list[Any], label: str | int) -> Any:
    # Pydantic names a member like "list[literal['a','b']]", "literal['none']", "int".
    for m in members:
        origin = typing.get_origin(_unwrap(m)) or _unwrap(m)
        name = getattr(origin, "__name__", str(origin)).lower()
        if isinstance(label, str) and label.lower().startswith(name):
            return m
    return None


def _child(tp: Any, x: str | int) -> Any:
    members = _members(tp)
    if len(members) == 1:
        tp = members[0]
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is list:
        return typing.get_args(tp)[0] if isinstance(x, int) else None
    if origin is dict:
        return typing.get_args(tp)[1]
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(x, str):
        for name, info in tp.model_fields.items():
            if x in (name, info.alias):
                if not info.metadata:
                    return info.annotation
                return typing.Annotated[(info.annotation, *info.metadata)]
    return None


def _keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _alias_hint(model: type[BaseModel] | None, key: str) -> str:
    info = model.model_fields.get(key) if model is not None else None
    if info is not None and info.alias and info.alias != key:
        return f"write {info.alias!r} here"
    return ""


def _expected(err: Any) -> str:
    tags = str(err.get("ctx", {}).get("expected_tags", ""))
    return tags.replace("'", "")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {short(value)}"
