"""The long tail in miniature on this machine, without Docker: how long each load setting of
the orders service takes to recover after an empty DNS record, against a store with a capacity.

    python bench/long_tail.py [--settings naive,resilient] [--capacity 150] [--in-flight 64] [--rate 40]

Real parts on 127.0.0.1: two redis-servers (a primary and its replica), the store's capacity
gate (`chaoskit.inworld.kvgate`, slow beyond `--capacity` commands a second or `--in-flight`
connections, as in playbooks/topologies/with-capacity.yaml) in front of each,
two orders services (one per region) and the workload. Only DNS is played: the services'
resolver answers nothing for the primary's name from 3 s to 11 s (as ``dns.nodata`` would).
The load is cut to 2 a second at 26 s, as in playbooks/long-tail.yaml; the run ends at 43 s.
Prints, per setting, time_to_recover and the recovery curve (success rate per 2 s after the
revert). Figures: docs/benchmarks.md. Needs redis-server (`apt-get install redis-server`).
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
import time

from chaoskit.checks import impact, recovery_curve
from chaoskit.history import Event, History
from chaoskit.inworld.capacity import CapacitySpec, Limiter
from chaoskit.inworld.config import Config
from chaoskit.inworld.kvgate import GateServer
from chaoskit.inworld.orders import OrdersService
from chaoskit.workload import OrdersTarget, Workload
from chaoskit.workload.local import LocalRedis

EXITS = {"naive": "retries,write-queue", "default": "failover,retries,breaker,stale-cache,write-queue",
         "resilient": "failover,retries,breaker,stale-cache,write-queue"}
FAULT_AT, FAULT_FOR, CUT_AT, END = 3.0, 8.0, 26.0, 43.0


def one(setting: str, capacity: float, in_flight: int, rate: float) -> None:
    outage = threading.Event()
    with LocalRedis() as east, LocalRedis(replicaof=east) as west:
        gates: dict[str, GateServer] = {}
        for name, store in (("us-east-1", east), ("us-west-2", west)):
            gate = GateServer(("127.0.0.1", 0), ("127.0.0.1", store.port),
                              Limiter(CapacitySpec(in_flight, capacity, "slow")))
            threading.Thread(target=gate.serve_forever, args=(0.05,), daemon=True).start()
            gates[name] = gate

        def resolve(host: str, port: int) -> list[tuple[int, tuple[str, int]]]:
            region = host.split(".")[1]
            if region == "us-east-1" and outage.is_set():
                raise socket.gaierror(socket.EAI_NODATA, "No address associated with hostname")
            return [(socket.AF_INET, ("127.0.0.1", gates[region].server_address[1]))]

        names = {r: f"kv.{r}.chaoskit.internal:6379" for r in gates}
        services = {}
        for region, other in (("us-east-1", "us-west-2"), ("us-west-2", "us-east-1")):
            config = Config.from_env({
                "ORDERS_PORT": "0", "ORDERS_BIND": "127.0.0.1", "ORDERS_REGION": region,
                "ORDERS_KV_WRITE": f"{names['us-east-1']},{names['us-west-2']}",
                "ORDERS_KV_READ": f"{names[region]},{names[other]}",
                "ORDERS_EXITS": EXITS[setting], "ORDERS_LOAD": setting})
            services[region] = OrdersService(config, resolver=resolve).start()
        history = History()
        t0 = time.monotonic()
        workload = Workload(OrdersTarget({r: s.url for r, s in services.items()}), rate=rate,
                            concurrency=64, timeout=1.0, duration=END, rate_steps=[(CUT_AT, 2.0)])
        workload.start(history, t0)
        time.sleep(FAULT_AT)
        outage.set()
        history.event(Event(time.monotonic() - t0, "fault-applied", "dns.nodata", id="kv-dns-empty"))
        time.sleep(FAULT_FOR)
        outage.clear()
        history.event(Event(time.monotonic() - t0, "fault-reverted", "dns.nodata", id="kv-dns-empty"))
        workload.wait()
        workload.stop()
        for s in services.values():
            s.close()
        for g in gates.values():
            g.shutdown()
            g.server_close()
    ttr = impact(history, "kv-dns-empty").time_to_recover
    curve = recovery_curve(history, "kv-dns-empty", bucket=2.0)
    assert curve is not None
    rates = " ".join("-" if w.success_rate is None else f"{w.success_rate:.2f}" for w in curve.windows)
    shown = "never" if ttr is None else f"{ttr:.1f} s"
    print(f"{setting:10} time_to_recover {shown:>8}   success rate per 2 s from the revert: {rates}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", default="naive,resilient")
    parser.add_argument("--capacity", type=float, default=150.0)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--rate", type=float, default=40.0)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the services' state changes, not the figures
    print(f"store capacity {args.capacity:g} commands/s and {args.in_flight} connections (slow), "
          f"{args.rate:g} ops/s, record empty "
          f"{FAULT_AT:g}-{FAULT_AT + FAULT_FOR:g} s, load cut to 2/s at {CUT_AT:g} s")
    for setting in args.settings.split(","):
        one(setting.strip(), args.capacity, args.in_flight, args.rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
