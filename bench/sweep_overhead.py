"""Benchmark: a sweep's overhead over running the same experiments one by one with `chaoskit run`.

Sweeps the reference service over its 2 dependencies (kv.us-east-1, kv.us-west-2) x 5
fault classes with `chaoskit sweep`, then runs each of the 10 cell playbooks the sweep
wrote (cells/*/playbook.yaml: the very experiments it ran) with `chaoskit run`, one after
the other, as a person would. Prints both wall times and the ratio (sweep / sum of runs):
what the warm-up (discovery), the baseline checks between cells and the matrix cost, less
what one process saves over ten. Both on the same running world, in one invocation.

    python bench/sweep_overhead.py --world NAME [--duration 10s] [--steady 3s] [--settle 4s]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAULTS = "dns.nxdomain,dns.nodata,dns.timeout,net.latency,net.down"


def chaoskit(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "chaoskit", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=3600)
    return time.monotonic() - started, proc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", required=True)
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--steady", default="3s")
    ap.add_argument("--settle", default="4s")
    args = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="chaoskit-bench-sweep-"))
    sweep_s, proc = chaoskit("sweep", "orders", "--world", args.world, "--faults", FAULTS,
                             "--duration", args.duration, "--steady", args.steady, "--settle", args.settle,
                             "--max-time", "30m", "--report", str(out / "sweep"), "--json")
    if proc.returncode not in (0, 1):
        sys.exit(f"sweep failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    matrix = json.loads(proc.stdout)
    cells = [c for c in matrix["cells"] if c["playbook"]]
    print(f"sweep: {len(cells)} cells ({len(matrix['dependencies'])} dependencies x "
          f"{len(matrix['faults'])} fault classes) in {sweep_s:.1f} s, estimate "
          f"{matrix['estimate']:.0f} s; outcome {matrix['outcome']}")
    runs_s = 0.0
    same = 0
    for c in cells:
        took, run = chaoskit("run", str(out / "sweep" / c["playbook"]), "--world", args.world,
                             "--json", "--report", str(out / "runs" / Path(c["playbook"]).parent.name))
        if run.returncode not in (0, 1):
            sys.exit(f"run of {c['playbook']} failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
        runs_s += took
        same += json.loads(run.stdout)["outcome"] == c["status"]
    print(f"one by one: {len(cells)} x chaoskit run in {runs_s:.1f} s "
          f"({runs_s / max(1, len(cells)):.1f} s each); same verdict in {same} of {len(cells)} cells")
    print(f"overhead ratio (sweep / sum of runs): {sweep_s / runs_s:.3f}")


if __name__ == "__main__":
    main()
