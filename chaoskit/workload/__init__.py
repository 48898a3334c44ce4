"""Workloads: drive the world's services at a set rate and record every operation in a history.

    from chaoskit.history import History
    from chaoskit.workload import HttpTarget, Workload

    history = History()
    target = HttpTarget(
        "cart",
        {"us-east-1": "http://127.0.0.1:49153"},
        {"write": {"method": "PUT", "path": "/carts/{id}", "body": '{"item": "{id}"}'},
         "read": {"method": "GET", "path": "/carts/{id}"}},
    )
    with Workload(target, rate=500, duration=30) as workload:
        workload.start(history)
        workload.wait()
    workload.final_read()

A workload knows addresses, not Docker: the caller passes them. Any HTTP service is
driven by its declared `Operations`; any other protocol by a class of your own
(`Client`, `ClassTarget`); the store itself by `KvTarget`. `ReplicationSampler` records
each replica's lag behind its primary into the same history.
"""

from ._choose import AddressOf, choose_target
from ._client import (
    CLASS_PATTERN,
    ClassTarget,
    Client,
    ClientClassError,
    is_class_reference,
    load_client_class,
)
from ._http import HttpTarget, OrdersTarget
from ._operations import (
    ORDERS_OPERATIONS,
    PLACEHOLDERS,
    HttpOperation,
    ListOperation,
    Operations,
    template_problem,
)
from ._replication import ReplicationSampler
from ._schedule import Schedule
from ._targets import KvTarget, Result, Session, Target, status_outcome
from ._workload import Workload, WorkloadStats

__all__ = [
    "AddressOf",
    "CLASS_PATTERN",
    "ClassTarget",
    "Client",
    "ClientClassError",
    "HttpOperation",
    "HttpTarget",
    "KvTarget",
    "ListOperation",
    "ORDERS_OPERATIONS",
    "Operations",
    "OrdersTarget",
    "PLACEHOLDERS",
    "ReplicationSampler",
    "Result",
    "Schedule",
    "Session",
    "Target",
    "Workload",
    "WorkloadStats",
    "choose_target",
    "is_class_reference",
    "load_client_class",
    "status_outcome",
    "template_problem",
]
