"""Benchmark: `chaoskit up` to all healthy against `docker compose up --wait` of the same file.

Both start from nothing (images warm) and end with every container healthy;
rounds alternate so machine noise hits both alike. Also prints the memory of
the whole world at idle (sum of the containers' cgroup usage).

    python bench/world_up.py [--rounds 3] [--topology FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

from chaoskit.engine import docker_client
from chaoskit.region import World


def compose_up(world: World, env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(["docker", "compose", "-p", world.project, "-f", str(world.compose_file), "up", "-d",
                    "--wait"], check=True, env={**os.environ, **env}, capture_output=True)
    return time.monotonic() - started


def compose_down(world: World) -> None:
    subprocess.run(["docker", "compose", "-p", world.project, "-f", str(world.compose_file), "down", "-v",
                    "--timeout", "3"], check=True, capture_output=True)


def memory_mb(world: World) -> float:
    total = 0
    for c in world.containers():
        if c.status != "running":
            continue
        stats = c.stats(stream=False)
        mem = stats.get("memory_stats", {})
        usage = mem.get("usage", 0) - mem.get("stats", {}).get("cache", 0)
        total += max(usage, 0)
    return total / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--topology", default=None)
    args = ap.parse_args()
    docker_client()
    world = World.define(args.topology, f"bench-up-{os.getpid()}")
    ours, theirs = [], []
    try:
        for _ in range(args.rounds):
            started = time.monotonic()
            world.up()
            ours.append(time.monotonic() - started)
            env = world.image_env()
            compose_down(world)  # keep the rendered files for the plain compose run
            theirs.append(compose_up(world, env))
            compose_down(world)
        world.up()
        time.sleep(10)  # settle to idle
        mem = memory_mb(world)
    finally:
        world.down()
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"rounds: {args.rounds}")
    print(f"chaoskit up       median {mo:.2f}s  all {[round(x, 2) for x in ours]}")
    print(f"compose up --wait median {mt:.2f}s  all {[round(x, 2) for x in theirs]}")
    print(f"ratio chaoskit/compose: {mo / mt:.3f}  (goal <= 1.10)")
    print(f"memory of the world at idle: {mem:.0f} MB  (goal <= 400 MB)")


if __name__ == "__main__":
    main()
