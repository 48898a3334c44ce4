"""Workloads: drive the world's services at a set rate and record every operation in a history.

    from chaoskit.history import History
    from chaoskit.workload import OrdersTarget, Workload

    history = History()
    target = OrdersTarget({"us-east-1": "http://127.0.0.1:49153"})
    with Workload(target, rate=500, duration=30) as workload:
        workload.start(history)
        workload.wait()
    workload.final_read()

A workload knows addresses, not Docker: the caller passes them.
"""

from ._schedule import Schedule
from ._targets import KvTarget, OrdersTarget, Result, Session, Target, status_outcome
from ._workload import Workload, WorkloadStats

__all__ = [
    "KvTarget",
    "OrdersTarget",
    "Result",
    "Schedule",
    "Session",
    "Target",
    "Workload",
    "WorkloadStats",
    "status_outcome",
]
