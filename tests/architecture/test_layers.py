"""The layers of chaoskit, as a contract read from the source (docs/architecture.md draws it).

Data flows topology -> render -> world -> faults + workload -> history -> checks -> reports,
with the runner, game days, the CLI and the pytest plugin on top. Imports go the other way:
a part may import only from the layers below its own, never from a sibling on its own layer
and never upward. Every import counts, at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import chaoskit

PACKAGE = Path(chaoskit.__file__).parent

# Top to bottom; the parts on one line are siblings and do not import each other.
LAYERS: list[set[str]] = [
    {"__main__"},  # python -m chaoskit
    {"cli"},
    {"pytest_plugin", "gameday"},
    {"sweep"},  # dependency x fault class, each cell a generated playbook run by the runner
    {"runner", "runtimes"},  # the runtime matrix drives faults on a world, as the runner does
    {"reports", "playbook"},
    {"checks"},
    {"faults", "workload", "discovery"},
    {"world", "doctor"},
    {"toxiproxy"},  # the Toxiproxy client: the world's proxies are made with it
    {"render"},
    {"images"},
    {"topology"},
    {"engine"},
    # The base: records, rules and formats everything may use, importing nothing above.
    {"history", "yamlsource"},
    {"names", "durations", "errors", "inworld", "(root)"},
]
LAYER_OF = {part: i for i, parts in enumerate(LAYERS) for part in parts}


def _part(module: str) -> str:
    """``chaoskit.faults.dns`` -> ``faults``; ``chaoskit`` -> ``(root)``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(root)"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports() -> Iterator[tuple[str, int, str]]:
    """(importing module, line, imported chaoskit module) for every import in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    targets = [".".join([*base, *([node.module] if node.module else [])])]
                else:
                    targets = [node.module or ""]
            else:
                continue
            for target in targets:
                if target == "chaoskit" or target.startswith("chaoskit."):
                    yield name, node.lineno, target


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert parts - set(LAYER_OF) == set(), "add the new part to LAYERS and docs/architecture.md"
    assert set(LAYER_OF) - parts == set(), "a part in LAYERS no longer exists"


def test_the_architecture_doc_draws_every_part() -> None:
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    drawing = text.split("```")[1]
    missing = [p for p in LAYER_OF if p != "(root)" and p not in drawing.split()]
    assert missing == []
    # Its lines above the base, top to bottom, are the contract's layers in the same order.
    layered = drawing.split("-----")[0]
    rows = [[w for w in line.split() if w in LAYER_OF] for line in layered.splitlines()]
    order = [next(i for i, layer in enumerate(LAYERS) if row[0] in layer) for row in rows if row]
    assert order == sorted(order)


def test_imports_only_go_down() -> None:
    wrong = []
    for importer, line, target in imports():
        a, b = _part(importer), _part(target)
        if a != b and LAYER_OF[b] <= LAYER_OF[a]:
            how = "a sibling" if LAYER_OF[a] == LAYER_OF[b] else "a layer above"
            wrong.append(f"{importer}:{line} imports {target} ({how})")
    assert wrong == []


def test_the_reader_sees_imports_in_functions_and_relative_ones() -> None:
    # The contract is only as good as the reader: these imports are known to exist.
    found = set(imports())
    modules = {(m, t) for m, _, t in found}
    assert ("chaoskit.cli.faults", "chaoskit.faults") in modules  # inside a command function
    assert ("chaoskit.inworld.reaper", "chaoskit.inworld.protocol") in modules  # relative


# Nothing that talks to Docker, DNS, HTTP or the key-value store, and none of chaoskit's world.
WORLD_MODULES = ["docker", "httpx", "dns", "redis", "chaoskit.faults.controller", "chaoskit.world"]


@pytest.mark.parametrize("module", ["chaoskit.checks", "chaoskit.history", "chaoskit.playbook"])
def test_pure_parts_load_nothing_that_talks_to_the_world(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        f"print(' '.join(m for m in {WORLD_MODULES!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == []


def test_the_world_check_can_fail() -> None:
    code = (
        "import sys, chaoskit.faults.controller\n"
        f"print(' '.join(m for m in {WORLD_MODULES!r} if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "chaoskit.world" in proc.stdout.split()
