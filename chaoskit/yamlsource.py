"""YAML with positions: plain data plus the file:line:column of every value.

Topologies and playbooks are validated by pydantic, whose errors name a path
such as ``("method", 2, "fault")``. `Source.where(path)` turns that path back
into ``playbook.yaml:14:7`` so every message points at the line to fix.
"""

from __future__ import annotations

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
            key = loader.construct_object(key_node, deep=True)
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
    except _TooBig:
        src.data = None
        problems.append(Problem(f"the document expands to more than {MAX_VALUES} values "
                                "(through aliases?)", name))
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        problems.append(Problem(f"invalid YAML: {exc}", name))
    return src, problems


def read_yaml(path: str | Path) -> tuple[Source, list[Problem]]:
    """Read and parse a YAML file; an unreadable file is one problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Source(str(p), None), [Problem(f"cannot read file: {exc}", str(p))]
    return parse_yaml(text, str(p))


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
