"""The client runtimes the matrix measures, and the one check of a `--only` list.

Pure data: which runtimes exist, what each one is, which are slow to build (their tests are
opt-in, marker ``runtimes_slow``), and how a user names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chaoskit.errors import Problem, UserError
from chaoskit.names import suggest

CLIENTS = Path(__file__).with_name("clients")


@dataclass(frozen=True)
class Runtime:
    """One client runtime: its name, what resolves names in it, and how its image is made."""

    name: str
    what: str  # the standard library call the client makes on every request
    slow: bool  # a big image (a JDK, Node.js from Debian): its tests are opt-in
    host_go: bool = False  # built with the host's Go toolchain, not inside `docker build`

    @property
    def folder(self) -> Path:
        return CLIENTS / self.name


RUNTIMES: dict[str, Runtime] = {r.name: r for r in (
    Runtime("glibc", "Python's socket.getaddrinfo on Debian's glibc", slow=False),
    Runtime("musl", "getaddrinfo in a static binary built with Debian's musl-tools", slow=False),
    Runtime("go", "Go's net.DefaultResolver (pure Go, CGO_ENABLED=0)", slow=False, host_go=True),
    Runtime("jvm", "InetAddress.getAllByName on Debian's OpenJDK 17, default address cache",
            slow=True),
    Runtime("node", "dns.lookup on Debian's Node.js", slow=True),
)}


def parse_only(only: str | None, where: str = "--only") -> list[str]:
    """The runtimes a comma-separated list names, in the catalogue's order (all when None).

    Every unknown name is one problem (with "did you mean"); an empty list is one too.
    """
    if only is None:
        return list(RUNTIMES)
    names = [n.strip() for n in only.split(",")]
    problems = [Problem(f"unknown runtime {n!r}", where, suggest(n, RUNTIMES))
                for n in names if n and n not in RUNTIMES]
    if not problems and not any(names):
        problems.append(Problem("names no runtime", where, f"known: {', '.join(RUNTIMES)}"))
    if problems:
        raise UserError(problems)
    return [n for n in RUNTIMES if n in names]
