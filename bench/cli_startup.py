"""CPU time of `chaoskit --help` and of an argument error, before the command does anything.

    python bench/cli_startup.py [--runs 15] [--source DIR]

Runs ``python -m chaoskit ...`` as a child `--runs` times per command line and reports the
median user+system CPU seconds of the child (from wait4's resource usage, so the load of the
machine does not count as it would in wall-clock time). `--source` points PYTHONPATH at
another checkout, to measure the code before a change. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

# --help, a missing argument, an unknown option, an unknown command: all end before any work.
COMMANDS = [["--help"], ["run"], ["up", "--no-such-option"], ["teleport"]]


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one child process run to its end."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--source", help="a checkout whose chaoskit to measure")
    opts = parser.parse_args()
    env = dict(os.environ)
    if opts.source:
        env["PYTHONPATH"] = opts.source
    base = statistics.median(
        cpu_seconds([sys.executable, "-c", "pass"], env) for _ in range(opts.runs))
    print(f"python itself: {base:.3f} s CPU (median of {opts.runs})")
    for args in COMMANDS:
        times = [cpu_seconds([sys.executable, "-m", "chaoskit", *args], env) for _ in range(opts.runs)]
        print(f"chaoskit {' '.join(args):28} median {statistics.median(times):.3f} s CPU, "
              f"max {max(times):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
