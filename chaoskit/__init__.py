"""chaoskit: chaos testing for local failover."""

__version__ = "0.1.0"
