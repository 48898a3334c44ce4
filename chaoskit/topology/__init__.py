"""The world's shape: regions, services and endpoints, read from a topology YAML file."""

from chaoskit.topology.model import (
    DEFAULT_TOPOLOGY_PATH,
    Endpoint,
    Images,
    Service,
    Topology,
    default_topology,
    load_topology,
    looks_like_topology,
    parse_topology,
    validate_topology,
)

__all__ = [
    "DEFAULT_TOPOLOGY_PATH",
    "Endpoint",
    "Images",
    "Service",
    "Topology",
    "default_topology",
    "load_topology",
    "looks_like_topology",
    "parse_topology",
    "validate_topology",
]
