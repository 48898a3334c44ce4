"""Benchmark: the toolkit's overhead on a playbook's wall time, and the RTO's resolution.

Runs the seed playbook (kv-dns-empty-record) on a running world with the
workload at a chosen rate, then prints:
- declared time (method span + settle) against the measured wall time of the
  whole run (steady-state probes, configuration, fault confirmations, final
  read, rollbacks, verdicts and report included); goal: overhead <= 5 %;
- the RTO's resolution: RTO is measured on operation timestamps, so its
  resolution is the gap between consecutive operation starts around the
  recovery (median and max over the fault window); goal: 50 ms or finer;
- operations recorded and lost (issued but not recorded) by the workload.

    python bench/run_overhead.py --world NAME [--rate 100] [--concurrency N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from chaoskit.playbook import load_playbook
from chaoskit.runner import Run
from chaoskit.world import World

SEED = "playbooks/kv-dns-empty-record.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", required=True)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--concurrency", type=int, default=None, help="ops in flight (default: the playbook's)")
    args = ap.parse_args()
    world = World.open(args.world)
    playbook = load_playbook(SEED)
    assert playbook.workload is not None
    playbook.workload.rate = args.rate
    if args.concurrency:
        playbook.workload.concurrency = args.concurrency
    run = Run(playbook, world, report_dir=tempfile.mkdtemp(prefix="chaoskit-bench-"))
    declared = playbook.planned_end
    started = time.monotonic()
    result = run.execute()
    wall = time.monotonic() - started
    print(f"outcome: {result.outcome}")
    print(f"declared {declared:.2f}s, wall {wall:.2f}s, overhead {(wall - declared) / declared:.1%} "
          f"(goal <= 5%)")
    windows = run.history.fault_windows()
    fid, start, end = windows[0]
    starts = sorted(o.start for o in run.history.ops if start <= o.start <= (end or start) + 5)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    print(f"RTO resolution at {args.rate:g} ops/s: median gap {statistics.median(gaps) * 1000:.1f} ms, "
          f"max gap {max(gaps) * 1000:.1f} ms over {len(starts)} ops (goal <= 50 ms)")
    stats = [e for e in run.journal if e["kind"] == "workload" and e.get("state") == "stopped"]
    if stats:
        print("workload:", {k: v for k, v in stats[0].items() if k not in ("time", "kind", "state")})


if __name__ == "__main__":
    main()
