"""How each client runtime's DNS cache changes failover, measured in a world.

    from chaoskit.runtimes import measure, parse_only
    from chaoskit.world import World

    matrix = measure(World.open("demo"), parse_only("glibc,go,musl"))
    for row in matrix.results:
        print(row.runtime, row.stale_after_flip_s, row.failing_after_repair_s)

Each runtime is a tiny client in its own container (`clients/<runtime>/`), its image built
locally and cached (`build_runtime_images`); see docs/dns-caching.md for the figures.
"""

from chaoskit.runtimes._catalogue import RUNTIMES, Runtime, parse_only
from chaoskit.runtimes._images import RuntimeImage, build_runtime_images
from chaoskit.runtimes._matrix import Matrix, RuntimeResult, measure

__all__ = ["RUNTIMES", "Matrix", "Runtime", "RuntimeImage", "RuntimeResult", "build_runtime_images",
           "measure", "parse_only"]
