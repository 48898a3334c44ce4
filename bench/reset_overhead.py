"""Benchmark: the `chaos` fixture's reset between tests, against a fresh world per test.

Each simulated test applies a DNS fault (``dns.nodata`` on the primary's store)
and a toxic (``net.latency`` on the primary's ``kv`` proxy) through a `Faults`
controller, as a test using ``chaos`` would; then only the fixture's teardown
is timed: `Baseline.after` (revert every fault, each confirmed on the wire,
then confirm the whole world's baseline). The alternative, taking the world
down and bringing it up again between tests, is timed over a few cycles.
Everything runs on a world of its own (``bench-reset-<pid>``), removed at the end.

    python bench/reset_overhead.py [--tests 20] [--cycles 3] [--images local]
    python bench/reset_overhead.py --cached-containers   # what caching container ids would give

Goal: reset median <= 100 ms. The figures depend on the Docker engine's load:
the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from chaoskit.engine import docker_client
from chaoskit.faults import Faults
from chaoskit.pytest_plugin._baseline import Baseline
from chaoskit.region import World


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def ms(x: float) -> str:
    return f"{x * 1000:.0f} ms"


def cache_container_ids() -> None:
    """Find a service's container once, then by id (one inspect, not a search of the engine)."""
    search = World.container
    ids: dict[tuple[str, str], str] = {}

    def container(self: World, service: str) -> Any:
        key = (self.project, service)
        if key in ids:
            try:
                return docker_client().containers.get(ids[key])
            except Exception:
                ids.pop(key, None)
        found = search(self, service)
        ids[key] = found.id
        return found

    World.container = container  # type: ignore[method-assign]


def one_test(world: World, baseline: Baseline, n: int) -> tuple[float, float]:
    """Apply a DNS fault and a toxic; return (teardown seconds, of which reverting the faults)."""
    topo = world.topology
    faults = Faults(world)
    faults.inject({"fault": "dns.nodata", "target": f"kv.{topo.primary}.{topo.domain}"})
    faults.inject({"fault": "net.latency", "target": "kv", "region": topo.primary, "params": {"ms": 100}})
    close = faults.close
    reverted = [0.0]

    def timed_close() -> None:  # the share of the teardown spent reverting, for the breakdown
        t = time.monotonic()
        try:
            close()
        finally:
            reverted[0] = time.monotonic() - t

    faults.close = timed_close  # type: ignore[method-assign]
    started = time.monotonic()
    note = baseline.after(faults, f"bench test {n}")
    took = time.monotonic() - started
    if note:
        raise SystemExit(f"test {n}: the fixture had to reset the world: {note}")
    return took, reverted[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", type=int, default=20, help="simulated tests (>= 20)")
    ap.add_argument("--cycles", type=int, default=3, help="down/up cycles to time")
    ap.add_argument("--images", default=None, help="auto, local or official")
    ap.add_argument("--cached-containers", action="store_true",
                    help="look containers up by cached id (a proposed World change), in this process only")
    args = ap.parse_args()
    if args.cached_containers:
        cache_container_ids()
    world = World.define(None, f"bench-reset-{os.getpid()}")
    print(f"world {world.project}; load average {os.getloadavg()[0]:.1f}; "
          f"container lookups: {'cached ids' if args.cached_containers else 'as shipped'}")
    try:
        t = time.monotonic()
        world.up(images=args.images)
        print(f"first up: {time.monotonic() - t:.1f} s")
        baseline = Baseline(world)
        one_test(world, baseline, 0)  # warm-up: host ports are looked up once per session
        resets, reverts = [], []
        for n in range(1, args.tests + 1):
            took, reverted = one_test(world, baseline, n)
            resets.append(took)
            reverts.append(reverted)
        cycles = []
        for _ in range(args.cycles):
            t = time.monotonic()
            world.down()
            world.up(images=args.images)
            cycles.append(time.monotonic() - t)
    finally:
        world.down()
    reset = statistics.median(resets)
    cycle = statistics.median(cycles)
    print(f"chaos fixture reset, {len(resets)} tests: median {ms(reset)}, p95 {ms(p95(resets))}, "
          f"min {ms(min(resets))}, max {ms(max(resets))}")
    confirms = [r - v for r, v in zip(resets, reverts, strict=True)]
    print(f"  of which reverting the two faults: median {ms(statistics.median(reverts))}; "
          f"confirming the whole baseline: median {ms(statistics.median(confirms))}")
    print(f"world down + up, {len(cycles)} cycles: median {cycle:.1f} s "
          f"({', '.join(f'{c:.1f}' for c in cycles)})")
    print(f"ratio (down+up / reset, medians): {cycle / reset:.0f}x; goal reset <= 100 ms: "
          f"{'met' if reset <= 0.1 else 'not met'}; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
