"""Running worlds: the engine, and bringing a world of regions up and down."""

from chaoskit.world._world import HostAddress, World

__all__ = ["HostAddress", "World"]
