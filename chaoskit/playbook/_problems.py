"""Pydantic's errors as problems a user can act on: where, what, and the likely fix.

Unlike the generic `yamlsource.validation_problems`, this knows the playbook's
models: it follows each error's path through the models' types, so it can drop
what pydantic adds to paths (union tags: a step's kind, a probe's type; the
member tried of a plain union), report one error per union, point an unknown
key at the key itself and suggest the closest known key.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, Tag, ValidationError

from chaoskit.errors import Problem
from chaoskit.names import suggest
from chaoskit.playbook._values import short
from chaoskit.yamlsource import Path_, Source

KeyMarks = dict[Path_, tuple[int, int]]
# libyaml's loader when PyYAML has it: the same nodes and marks, several times faster.
FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Errors whose message already shows the value (ours) or where it would not help.
_SAYS_WHAT_IT_GOT = {
    "duration", "threshold", "slug", "fault_id", "dns_name", "callable", "step_kind",
    "value_error", "assertion_error", "template", "status", "header",
}  # fmt: skip


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.*-]+")


def dotted(path: Path_) -> str:
    """``method[2].inject.for`` for a path."""
    out = ""
    for x in path:
        # A key of the user's that is not a plain word (a newline, a quote) is shown quoted.
        key = str(x) if _PLAIN_KEY.fullmatch(str(x)) else repr(x)
        out += f"[{x}]" if isinstance(x, int) else (f".{key}" if out else key)
    return out or "(top level)"


def from_validation_error(
    exc: ValidationError, src: Source, root: type[BaseModel], key_marks: Callable[[], KeyMarks]
) -> list[Problem]:
    """One problem per pydantic error (one per union), pointing at file:line:col in `src`."""
    found: list[tuple[Problem, Path_ | None, int]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        walk = _walk(root, loc)
        path = walk.path
        kind = err["type"]
        where = src.where(path)
        hint = ""
        value = err.get("input")
        if kind == "extra_forbidden":
            key = str(path[-1]) if path else "?"
            model = _walk(root, loc[:-1]).model
            msg = f"unknown key {key!r}"
            hint = _alias_hint(model, key) or suggest(key, _keys(model))
            marks = key_marks()
            if path in marks:
                line, col = marks[path]
                where = f"{src.name}:{line}:{col}"
            path = path[:-1]
        elif kind == "missing":
            msg = f"missing key {str(path[-1])!r}" if path else "missing"
            path = path[:-1]
        elif kind == "union_tag_not_found":
            tags = _expected(err)
            msg = "a probe needs a 'type'"
            hint = f"one of: {tags}" if tags else ""
        elif kind == "union_tag_invalid":
            tag = str(err.get("ctx", {}).get("tag", value))
            msg = f"unknown probe type {tag!r}"
            hint = suggest(tag, _expected(err).split(", ")) or f"one of: {_expected(err)}"
            where = src.where((*path, "type"))
        elif kind == "invalid_key":
            msg = "keys must be text"
        elif kind == "model_type" and not path:
            msg = f"a playbook is a YAML mapping (version, name, method, ...), not {_kind(value)}"
        elif kind in ("model_type", "dict_type"):
            msg = f"expected a mapping, got {_kind(value)}"
        elif kind == "list_type":
            msg = f"expected a list, got {_kind(value)}"
        else:
            msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            if _scalar(value) and kind not in _SAYS_WHAT_IT_GOT:
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


def key_marks(text: str) -> KeyMarks:
    """Where each mapping key itself stands (the source records a scalar's value instead)."""
    marks: KeyMarks = {}
    loader = FAST_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _mark_keys(loader, node, (), marks)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError):
        pass
    finally:
        loader.dispose()
    return marks


def _mark_keys(loader: Any, node: yaml.Node, path: Path_, marks: KeyMarks) -> None:
    # Mirrors yamlsource's walk: merge keys flattened, first of duplicate keys wins.
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        seen = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key in seen:
                continue
            seen.add(key)
            kpath = (*path, key if isinstance(key, int) else str(key))
            marks[kpath] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _mark_keys(loader, value_node, kpath, marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _mark_keys(loader, item, (*path, i), marks)


@dataclass
class _Walk:
    path: Path_  # the error's place in the source: loc without union tags and member labels
    model: type[BaseModel] | None  # the model at the end of loc, if it is one
    union: Path_ | None  # where a plain (untagged) union was entered, if one was


def _walk(root: type[BaseModel], loc: tuple[str | int, ...]) -> _Walk:
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
    return _Walk(tuple(path), model if is_model else None, union)


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


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {short(value)}"
