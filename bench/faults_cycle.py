"""Benchmark: apply -> observed and revert -> observed, per fault family; and leaks.

Each cycle applies a fault through the `Faults` controller (journal, apply,
confirm on the wire) and reverts it (undo, confirm the baseline): the times
are to *observed* on the wire, not to the API call's return. Then, after many
cycles, checks nothing is left behind: no toxics, every proxy enabled,
Corefiles byte-identical to the baseline, no paused or stopped containers.

    python bench/faults_cycle.py --world NAME [--cycles 50] [--leak-cycles 1000]

Anchor: CoreDNS's `reload` plugin polls every 2 s at the fastest.
"""

from __future__ import annotations

import argparse
import statistics
import time

from chaoskit.faults import Faults
from chaoskit.inworld.protocol import journal
from chaoskit.inworld.protocol.corefile import assemble
from chaoskit.region import World

FAMILIES = {
    "dns": {"fault": "dns.nxdomain", "target": "kv.{primary}.chaoskit.internal"},
    "network": {"fault": "net.latency", "target": "kv", "region": "{primary}", "params": {"ms": 50}},
    "network-cut": {"fault": "net.down", "target": "kv", "region": "{primary}"},
    "container": {"fault": "container.pause", "target": "kv", "region": "{primary}"},
}


def spec(family: str, primary: str) -> dict:  # type: ignore[type-arg]
    out = {}
    for k, v in FAMILIES[family].items():
        out[k] = v.format(primary=primary) if isinstance(v, str) else v
    return out


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]


def cycle(faults: Faults, s: dict) -> tuple[float, float]:  # type: ignore[type-arg]
    t = time.monotonic()
    active = faults.inject(s)
    applied = time.monotonic() - t
    t = time.monotonic()
    faults.revert(active.id)
    return applied, time.monotonic() - t


def leaks(world: World, faults: Faults) -> list[str]:
    found = []
    for r in world.topology.regions:
        for p in faults.ctx.toxiproxy(r).list_proxies().values():
            if p.toxics:
                found.append(f"{r}/{p.name}: {len(p.toxics)} toxics")
            if not p.enabled:
                found.append(f"{r}/{p.name}: disabled")
        d = world.dir / "regions" / r / "coredns"
        gen = journal.read(world.dir)["generation"]
        if (d / "Corefile").read_text() != assemble((d / "Corefile.baseline").read_text(), [], gen):
            found.append(f"{r}: Corefile differs from the baseline")
    for c in world.containers():
        if c.labels.get("io.chaoskit.role") != "tools" and c.status != "running":
            found.append(f"{c.name}: {c.status}")
    if journal.read(world.dir)["faults"]:
        found.append("journal still lists faults")
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", required=True)
    ap.add_argument("--topology", default=None)
    ap.add_argument("--cycles", type=int, default=50)
    ap.add_argument("--leak-cycles", type=int, default=0, help="extra cycles before the leak check")
    ap.add_argument("--families", default="dns,network,container")
    args = ap.parse_args()
    world = World.open(args.world, args.topology)
    primary = world.topology.primary
    with Faults(world) as faults:
        for family in args.families.split(","):
            s = spec(family, primary)
            cycle(faults, s)  # warm-up
            ap_, rv = [], []
            for _ in range(args.cycles):
                a, r = cycle(faults, s)
                ap_.append(a * 1000)
                rv.append(r * 1000)
            print(f"{family:10} {s['fault']:16} apply->observed median {statistics.median(ap_):7.1f} ms "
                  f"p95 {p95(ap_):7.1f} ms | revert->observed median {statistics.median(rv):7.1f} ms "
                  f"p95 {p95(rv):7.1f} ms  ({args.cycles} cycles)")
        if args.leak_cycles:
            started = time.monotonic()
            names = args.families.split(",")
            for i in range(args.leak_cycles):
                cycle(faults, spec(names[i % len(names)], primary))
            print(f"{args.leak_cycles} more cycles in {time.monotonic() - started:.0f}s")
        found = leaks(world, faults)
        print("left behind:", "nothing" if not found else "; ".join(found))


if __name__ == "__main__":
    main()
