"""The world's shape: regions, services and endpoints, read from a topology YAML file."""

from chaoskit.topology.model import (
    DEFAULT_TOPOLOGY_PATH,
    Endpoint,
    Images,
    Service,
    Topology,
    default_topology,
    load_topology,
    parse_topology,
)

__all__ = [
    "DEFAULT_TOPOLOGY_PATH",
    "Endpoint",
    "Images",
    "Service",
    "Topology",
    "default_topology",
    "load_topology",
    "parse_topology",
]
