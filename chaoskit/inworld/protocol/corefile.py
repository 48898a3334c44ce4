"""Assemble a region's Corefile: a generation marker, the faults' blocks, the baseline.

Fault blocks come before the baseline so that, for the same zone and port, the
first block whose `view` matches a query answers it (CoreDNS evaluates server
blocks top to bottom). Standard library only: the reaper runs it too.
"""

from __future__ import annotations

import os
from pathlib import Path

CONTROL_ZONE = "chaoskit-control"
# Every server block but the control zone's logs each question it answers, one line on
# CoreDNS's standard output, so the world can tell which client asked which name
# (`chaoskit.discovery`). Fault blocks log too: the log never stops during a fault. The
# control zone's generation question is chaoskit's own, asked on every fault change; it
# says nothing about a service. Fields are separated by single spaces and none holds one.
QUERY_LOG_MARK = "chaoskit-query"
QUERY_LOG_FIELDS = ("remote", "port", ">id", "type", "name", "proto", "rcode", ">rflags",
                    "rsize", "duration")
QUERY_LOG = ('log . "' + " ".join([QUERY_LOG_MARK, *("{" + f + "}" for f in QUERY_LOG_FIELDS)])
             + '"')
GENERATION_NAME = f"generation.{CONTROL_ZONE}."


def control_block(generation: int) -> str:
    # Answers a TXT query with the generation, so a reload is confirmed by asking.
    return (
        f"{CONTROL_ZONE}:53 {{\n"
        f"    template IN TXT {CONTROL_ZONE} {{\n"
        f'        answer "{GENERATION_NAME} 0 IN TXT gen-{generation}"\n'
        f"    }}\n"
        f"}}\n"
    )


def assemble(baseline: str, blocks: list[str], generation: int) -> str:
    parts = [control_block(generation), *blocks, baseline]
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


def write_corefile(coredns_dir: str | Path, blocks: list[str], generation: int) -> str:
    """Write the assembled Corefile atomically (a rename, so CoreDNS never reads half a file)."""
    d = Path(coredns_dir)
    text = assemble((d / "Corefile.baseline").read_text(), blocks, generation)
    tmp = d / f".Corefile.{os.getpid()}"
    tmp.write_text(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, d / "Corefile")
    return text
