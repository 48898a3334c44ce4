"""The README's two commands work in order: `bash demo.sh` installs what `python -m pytest` needs,
and the figures the docs give for the fault lease are the code's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from chaoskit.inworld.protocol.journal import LEASE_TTL

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_demo_installs_the_test_extras() -> None:
    installs = [shlex.split(line) for line in (ROOT / "demo.sh").read_text().splitlines()
                if re.search(r"\bpip install\b", line) and not line.lstrip().startswith("#")]
    assert installs, "demo.sh installs chaoskit"
    targets = [word for words in installs for word in words[words.index("install") + 1:]
               if not word.startswith("-")]
    assert ".[test]" in targets, f"demo.sh must install the test extras, installs {targets}"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "\n    bash demo.sh\n" in readme and "\n    python -m pytest -n 2\n" in readme
    assert "\npython -m pytest -n 2\n" in (ROOT / ".ci" / "run").read_text()


def test_every_lease_the_docs_quote_is_the_code_s() -> None:
    quoted = [(doc.name, int(m[1])) for doc in DOCS
              for m in re.finditer(r"lease\s+lapses\s+\((\d+) s\)", doc.read_text())]
    assert len(quoted) >= 3
    assert {(name, seconds) for name, seconds in quoted} == {(name, int(LEASE_TTL)) for name, _ in quoted}
