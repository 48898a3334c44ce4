"""Code that runs inside the world's containers: standard library only, relative imports only.

Copied into a Python image as package ``inworld`` (``python3 -m inworld.orders``) and
importable on the host as ``chaoskit.inworld``.

- `orders`: the reference HTTP service that stores orders in the key-value store.
- `store`, `config`, `breaker`, `cache`, `write_queue`, `health`, `authgate`: its parts
  (the emergency exits it demonstrates: failover, retries, breaker, stale cache, write queue).
- `auth`: a shared dependency every orders request needs.
- `agent`: answers "what does a client in this region see?".
- `reaper`: the world's dead man's switch that reverts faults whose holder died.
- `protocol`: what both sides share (the fault journal, Corefile assembly, the order
  record, a RESP client); the host imports it as ``chaoskit.inworld.protocol``.
"""
