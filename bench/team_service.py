"""How many ops per second does a workload record against a team's own service through the world?

Brings up (or attaches to) a world with two services side by side: the team's Go `cart`
(examples/cart, built by `chaoskit up` from `build:`) and the reference `orders`. For each
service and each target rate it drives the service through the world (host -> Toxiproxy ->
the service's container -> Toxiproxy -> the store) for `--duration` seconds, reads the
whole set at the end, and prints: ops recorded, recorded ops/s, outcomes, skipped (the
in-flight bound was reached), lost records (issued but never recorded: must be 0), and
lost writes (acknowledged, missing from the final read: must be 0 with no fault).

    examples/cart/build.sh
    python bench/team_service.py [--world bench-team] [--rates 100,500,2000] [--duration 10] [--keep]

Only 127.0.0.1 and the world's own containers are traffic targets; every run is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from chaoskit.checks import check_set
from chaoskit.history import History
from chaoskit.workload import Workload, choose_target
from chaoskit.world import World

REPO = Path(__file__).resolve().parents[1]
CART_SERVICE = REPO / "examples" / "cart" / "service"
CART_OPERATIONS = {
    "write": {"method": "PUT", "path": "/carts/{id}", "body": '{"item": "{id}"}', "ok": [201]},
    "read": {"method": "GET", "path": "/carts/{id}", "ok": [200]},
    "list": {"method": "GET", "path": "/carts", "ids": "ids", "ok": [200]},
    "served_by": "X-Served-From",
}
TOPOLOGY = f"""\
name: bench-team
regions: [us-east-1, us-west-2]
services:
  orders: {{port: 8080, uses: [kv]}}
  cart:
    build: {CART_SERVICE}
    port: 9000
    uses: [kv]
    env: {{CART_EXITS: "stale-dns,failover,pool"}}
"""


def measure(world: World, service: str, rate: float, args: argparse.Namespace) -> dict[str, Any]:
    target = choose_target(
        service,
        address=lambda e, r: str(world.endpoint_address(e, r)),
        regions=world.topology.regions,
        operations=CART_OPERATIONS if service == "cart" else None,
    )
    history = History()
    workload = Workload(target, rate=rate, mix=0.5, concurrency=args.concurrency, timeout=args.timeout,
                        duration=args.duration, run_id=f"bench-{service}-{int(rate)}")
    workload.start(history)
    workload.wait(args.duration + 2 * args.timeout + 10)
    stats = workload.stop()
    workload.final_read(timeout=30)
    ops = [o for o in history.ops if o.kind != "final-read"]
    latencies = sorted(o.latency * 1000 for o in ops if o.outcome == "ok")
    [judged] = check_set(history, service)
    return {
        "service": service,
        "target_rate": rate,
        "recorded": len(ops),
        "ops_per_s": round(len(ops) / stats.elapsed, 1),
        "ok": stats.ok,
        "fail": stats.fail,
        "unknown": stats.unknown,
        "skipped": stats.skipped,
        "lost_records": stats.lost,
        "acknowledged": len(judged.acknowledged),
        "lost_writes": len(judged.lost) if judged.judged else None,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1) if latencies else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--world", default="bench-team", help="world name (brought up if not running)")
    parser.add_argument("--rates", default="100,500,2000", help="ops/s, comma list")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per rate")
    parser.add_argument("--concurrency", type=int, default=32, help="operations in flight at most")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--services", default="cart,orders")
    parser.add_argument("--keep", action="store_true", help="leave a world this bench brought up")
    parser.add_argument("--json", action="store_true", help="one JSON object per measurement")
    args = parser.parse_args()
    if not (CART_SERVICE / "cart").is_file():
        print("bench: examples/cart/service/cart is missing: run examples/cart/build.sh first")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        topology = Path(tmp) / "topology.yaml"
        topology.write_text(TOPOLOGY)
        world = World.define(topology, args.world)
        started = not world.is_running()
        if started:
            print(f"# bringing up {world.project}", file=sys.stderr)
            world.up()
    try:
        print(f"# duration={args.duration:g}s concurrency={args.concurrency} timeout={args.timeout:g}s "
              f"mix=0.5 cpus={os.cpu_count()} world={world.project}")
        if not args.json:
            print(f"{'service':>7} {'rate':>5} {'recorded':>8} {'ops/s':>7} {'ok':>6} {'fail':>5} "
                  f"{'unkn':>5} {'skip':>6} {'lost rec':>8} {'acked':>6} {'lost wr':>7} "
                  f"{'p50ms':>6} {'p99ms':>6}")
        for rate in (float(r) for r in args.rates.split(",") if r.strip()):
            for service in args.services.split(","):
                r = measure(world, service, rate, args)
                if args.json:
                    print(json.dumps(r))
                else:
                    print(f"{r['service']:>7} {rate:>5g} {r['recorded']:>8} {r['ops_per_s']:>7} {r['ok']:>6} "
                          f"{r['fail']:>5} {r['unknown']:>5} {r['skipped']:>6} {r['lost_records']:>8} "
                          f"{r['acknowledged']:>6} {r['lost_writes']!s:>7} "
                          f"{r['p50_ms']!s:>6} {r['p99_ms']!s:>6}")
                sys.stdout.flush()
    finally:
        if started and not args.keep:
            world.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
