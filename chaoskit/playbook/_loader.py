"""Reading a playbook: every problem at once, each at file:line:column, never a traceback.

Three passes, each on what the one before could make of the file: YAML (syntax,
duplicate keys), the models (keys, types, values), then coherence (names
against the topology and the fault registry, fault ids, the timeline).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from chaoskit.errors import PlaybookError, Problem, UserError
from chaoskit.playbook._coherence import Parts, review
from chaoskit.playbook._model import Playbook
from chaoskit.playbook._problems import FAST_LOADER, KeyMarks, from_validation_error, key_marks
from chaoskit.topology import Topology, default_topology, load_topology
from chaoskit.yamlsource import MAX_BYTES, MAX_DEPTH, MAX_VALUES, Source, parse_yaml, read_text

_WHERE = re.compile(r"^(.*):(\d+):(\d+)$")


def load_playbook(path: str | Path, *, interactive: bool = False) -> Playbook:
    """Read and validate the playbook at `path`.

    Raises `PlaybookError` carrying every problem found (see `validate_playbook`).

        playbook = load_playbook("playbooks/kv-dns-empty-record.yaml")
        for fault in playbook.faults: ...
    """
    playbook, problems = _read(Path(path), interactive=interactive)
    if problems or playbook is None:
        raise PlaybookError(problems or [Problem("not a playbook", str(path))])
    return playbook


def validate_playbook(path: str | Path, *, interactive: bool = False) -> list[Problem]:
    """Every problem with the playbook at `path`; an empty list when it is fine.

    With `interactive=False` (a plain `chaoskit run`), a `manual` step marked
    `required` is a problem, since nobody is there to do it.
    """
    return _read(Path(path), interactive=interactive)[1]


def validate_paths(paths: Iterable[str | Path]) -> tuple[int, list[Problem]]:
    """What `chaoskit validate PLAYBOOK...` does: exit code (0 or 2) and every problem.

    A directory stands for the ``*.yaml`` and ``*.yml`` files directly in it.
    """
    problems: list[Problem] = []
    files: list[Path] = []
    for name in paths:
        p = Path(name)
        if p.is_dir():
            found = sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
            if not found:
                problems.append(Problem("no playbooks (*.yaml) in this directory", str(p)))
            files.extend(found)
        else:
            files.append(p)
    if not files and not problems:
        problems.append(Problem("no playbook given", hint="chaoskit validate PLAYBOOK..."))
    for f in files:
        problems.extend(validate_playbook(f))
    return (PlaybookError.exit_code if problems else 0), problems


def _read(path: Path, *, interactive: bool) -> tuple[Playbook | None, list[Problem]]:
    name = str(path)
    text, problem = read_text(path, "playbook", MAX_BYTES)
    if text is None:
        assert problem is not None
        return None, [problem]
    try:
        return _validate(text, name, path, interactive=interactive)
    except Exception as exc:  # a bug of ours must still reach the user as one clear line
        return None, [
            Problem(
                f"internal error while validating: {type(exc).__name__}: {exc}",
                name,
                "please report this with the playbook",
            )
        ]


def _validate(
    text: str, name: str, path: Path, *, interactive: bool
) -> tuple[Playbook | None, list[Problem]]:
    bomb = _too_deep(text, name) or _alias_bomb(text, name)
    if bomb is not None:
        return None, [bomb]
    src, problems = parse_yaml(text, name)
    problems = [_with_yaml_hint(p, text) for p in problems]
    if src.data is None:
        if not problems:
            problems.append(
                Problem("the file is empty; a playbook needs at least version, name and method", name)
            )
        return None, problems
    playbook: Playbook | None = None
    try:
        playbook = Playbook.model_validate(src.data)
    except ValidationError as exc:
        marks: KeyMarks = {}

        def lazy_marks() -> KeyMarks:  # a second parse, only when a key is unknown
            if not marks:
                marks.update(key_marks(text))
            return marks

        # A value YAML already refused (a 5000-digit number) is read as null: say it once.
        refused = {p.where for p in problems}
        problems.extend(p for p in from_validation_error(exc, src, Playbook, lazy_marks)
                        if p.where not in refused)
    parts = Parts.of(playbook) if playbook is not None else Parts.salvage(src.data)
    topology_path = path.parent / parts.topology if parts.topology else None
    names, topology_problems = _topology(topology_path, src)
    problems.extend(topology_problems)
    problems.extend(review(parts, names, src, interactive=interactive))
    if playbook is not None:
        playbook._path = path
    return playbook, _in_order(problems, name)


def _too_deep(text: str, name: str) -> Problem | None:
    """A problem if ``[`` and ``{`` nest deeper than any playbook does.

    PyYAML's scanner takes time quadratic in the nesting of flow collections:
    a few kilobytes of brackets would keep it busy for minutes.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = deepest = 0
    for ch in text:  # quotes and comments count too: only a strange playbook holds 64 '['
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    if deepest <= MAX_DEPTH:
        return None
    return Problem(f"'[' and '{{' nest {deepest} deep; a playbook needs at most {MAX_DEPTH}", name)


def _alias_bomb(text: str, name: str) -> Problem | None:
    """A problem if aliases would expand the document past any playbook's size.

    Each alias is a reference; read into plain data it is a copy, so ten levels
    of ten aliases make 10**10 values from a few hundred bytes ("billion laughs").
    """
    if "&" not in text:  # no anchor, no alias
        return None
    try:
        root = yaml.compose(text, Loader=FAST_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None  # parse_yaml reports it
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # entered, not finished: meeting one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)] if root is not None else []
    while stack:  # post-order, each node once: linear in the document, not its expansion
        node, done = stack.pop()
        if done:
            open_.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in _children(node))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_:
            return Problem("an alias (*name) refers to a value that contains it", name)
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    size = sizes.get(id(root), 0)
    if size <= MAX_VALUES:
        return None
    return Problem(
        f"aliases (*name) expand this document to {size} values; a playbook has at most {MAX_VALUES}",
        name,
        "use fewer aliases",
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _with_yaml_hint(problem: Problem, text: str) -> Problem:
    # `target: *.example` reads as an alias: the most likely YAML mistake in a playbook.
    m = _WHERE.match(problem.where)
    if not m or not problem.message.startswith("invalid YAML") or problem.hint:
        return problem
    lines = text.splitlines()
    line, col = int(m[2]), int(m[3])
    if 0 < line <= len(lines) and 2 <= col <= len(lines[line - 1]) + 1 and (lines[line - 1][col - 2] == "*"):
        return Problem(problem.message, problem.where, "quote a value that starts with '*'")
    return problem


def _topology(path: Path | None, src: Source) -> tuple[Topology | None, list[Problem]]:
    where = src.where(("topology",))
    try:
        found = path is None or path.is_file()
    except (OSError, ValueError):
        found = False
    if path is not None and not found:
        hint = "the path is relative to the playbook's folder"
        return None, [Problem(f"topology file {str(path)!r} not found", where, hint)]
    try:
        return (load_topology(path) if path else default_topology()), []
    except UserError as exc:
        problems = list(exc.problems)
    problems.insert(0, Problem(f"topology {str(path)!r} does not load; see its problems", where))
    return None, problems


def _in_order(problems: list[Problem], name: str) -> list[Problem]:
    """Unique problems, this file's first, by line and column."""

    def key(p: Problem) -> tuple[bool, str, int, int]:
        m = _WHERE.match(p.where)
        file, line, col = (m[1], int(m[2]), int(m[3])) if m else (p.where, 0, 0)
        return (file != name, file, line, col)

    return sorted(dict.fromkeys(problems), key=key)
