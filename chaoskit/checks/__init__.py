"""Checks: pure functions that read a `History` and nothing else.

In the manner of Jepsen's checkers, every verdict here can be recomputed from
a recorded history without a world: availability over time, fault-relative
timings (detection, RTO, recovery after revert), lost writes and RPO in the
manner of Jepsen's set checker, stale reads, whether a DNS fault reached the
clients (who asked the broken names again), replication lag (and the lag a
promotion inherits), and the verdicts a playbook's expectations ask for. The
definitions are in docs/checks.md.

```python
from chaoskit.checks import evaluate, impact, series, summary
from chaoskit.history import History

history = History.load("history.jsonl")
windows = series(history, 0.05)           # 50 ms windows
print(impact(history, "dns-1").rto)       # seconds; None if never recovered
curve = recovery_curve(history, "dns-1")  # success rate and latency per bucket after the revert
for v in evaluate(history, {"rto": "10s", "lost_writes": 0}):
    print(v.name, v.expected, v.measured_text, v.passed)
```
"""

from chaoskit.checks._dns import ClientAsks, DnsWindow, broken_names, dns_windows, matches, requeried
from chaoskit.checks._expectations import (
    Verdict,
    evaluate,
    format_measure,
    known_expectations,
    parse_expectations,
)
from chaoskit.checks._failover import (
    DEFAULT_MIN_OPS,
    DEFAULT_SUSTAIN,
    FaultImpact,
    FaultWindow,
    Recovery,
    fault_windows,
    find_fault,
    impact,
    recovery,
)
from chaoskit.checks._latency import Latency, latency_of, percentile
from chaoskit.checks._reads import StaleRead, StaleReads, stale_reads
from chaoskit.checks._replication import PromotionLag, ReplicaLag, ReplicationLag, replication_lag
from chaoskit.checks._series import RecoveryCurve, Window, bucket_for, recovery_curve, series
from chaoskit.checks._sets import Rpo, SetCheck, check_set, rpo
from chaoskit.checks._summary import summary
from chaoskit.checks._traffic import traffic

__all__ = [
    "ClientAsks",
    "DEFAULT_MIN_OPS",
    "DEFAULT_SUSTAIN",
    "DnsWindow",
    "FaultImpact",
    "FaultWindow",
    "Latency",
    "PromotionLag",
    "Recovery",
    "RecoveryCurve",
    "ReplicaLag",
    "ReplicationLag",
    "Rpo",
    "SetCheck",
    "StaleRead",
    "StaleReads",
    "Verdict",
    "Window",
    "broken_names",
    "bucket_for",
    "check_set",
    "dns_windows",
    "evaluate",
    "fault_windows",
    "find_fault",
    "format_measure",
    "impact",
    "known_expectations",
    "latency_of",
    "matches",
    "parse_expectations",
    "percentile",
    "recovery",
    "recovery_curve",
    "replication_lag",
    "requeried",
    "rpo",
    "series",
    "stale_reads",
    "summary",
    "traffic",
]
