"""How many ops per second can a workload record from the host, and does it lose any?

Starts a local redis-server (if installed) and the orders service (in its own process, as
in the world), then runs a workload at increasing target rates and prints, per rate:
the ops planned, issued and recorded, recorded ops/s, outcomes, latencies, and lost
(issued but not recorded: must be 0). Only 127.0.0.1 is used; every run is bounded.

    python bench/workload_throughput.py
    python bench/workload_throughput.py --rates 1000,2000,4000 --duration 5 --target kv
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from chaoskit.history import History
from chaoskit.workload import KvTarget, OrdersTarget, Target, Workload
from chaoskit.workload.local import LocalOrders, LocalRedis, redis_server_binary


def run(target: Target, rate: float, args: argparse.Namespace) -> dict[str, object]:
    history = History()
    workload = Workload(
        target,
        rate=rate,
        mix=args.mix,
        concurrency=args.concurrency,
        timeout=args.timeout,
        duration=args.duration,
        run_id=f"bench{int(rate)}",
    )
    workload.start(history)
    workload.wait(args.duration + 2 * args.timeout + 10)
    stats = workload.stop()
    latencies = sorted(op.latency * 1000 for op in history.ops)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0
    return {
        "target_rate": rate,
        "planned": stats.planned,
        "issued": stats.issued,
        "recorded": len(history.ops),
        "ops_per_s": round(len(history.ops) / stats.elapsed, 1),
        "ok": stats.ok,
        "fail": stats.fail,
        "unknown": stats.unknown,
        "skipped": stats.skipped,
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p99_ms": round(p99, 2),
        "lost": stats.issued - len(history.ops),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="500,1000,2000,3000,4000", help="ops/s, comma list")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per rate")
    parser.add_argument("--concurrency", type=int, default=32, help="worker threads (max in flight)")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--mix", type=float, default=0.5, help="fraction of writes")
    parser.add_argument("--target", choices=["orders", "kv"], default="orders")
    parser.add_argument("--exits", default="none", help="ORDERS_EXITS for the orders service")
    parser.add_argument("--json", action="store_true", help="one JSON object per rate")
    args = parser.parse_args()
    if redis_server_binary() is None:
        print("bench: redis-server not found (apt-get install -y redis-server); nothing to measure")
        return 0
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    with LocalRedis() as kv:
        env = {
            "ORDERS_REGION": "us-east-1",
            "ORDERS_KV_WRITE": kv.address,
            "ORDERS_KV_REGIONS": f"{kv.address}=us-east-1",
            "ORDERS_EXITS": args.exits,
        }
        with LocalOrders(env) as orders:
            measure(orders.url, kv.address, rates, args)
    return 0


def measure(url: str, kv_address: str, rates: list[float], args: argparse.Namespace) -> None:
    target: Target
    if args.target == "orders":
        target = OrdersTarget({"us-east-1": url})
    else:
        target = KvTarget({"us-east-1": kv_address})
    print(
        f"# target={args.target} exits={args.exits} duration={args.duration:g}s "
        f"concurrency={args.concurrency} mix={args.mix:g} cpus={os.cpu_count()}"
    )
    if not args.json:
        print(
            f"{'rate':>6} {'planned':>8} {'issued':>7} {'recorded':>8} {'ops/s':>7} {'ok':>6} "
            f"{'fail':>5} {'unkn':>5} {'skip':>5} {'p50ms':>6} {'p99ms':>6} {'lost':>4}"
        )
    for rate in rates:
        r = run(target, rate, args)
        if args.json:
            print(json.dumps(r))
        else:
            print(
                f"{rate:>6g} {r['planned']:>8} {r['issued']:>7} {r['recorded']:>8} "
                f"{r['ops_per_s']:>7} {r['ok']:>6} {r['fail']:>5} {r['unknown']:>5} "
                f"{r['skipped']:>5} {r['p50_ms']:>6} {r['p99_ms']:>6} {r['lost']:>4}"
            )
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
