"""Code that runs inside the world's containers: standard library only, relative imports only.

Copied into a Python image as package ``inworld`` (``python3 -m inworld.orders``) and
importable on the host as ``chaoskit.inworld``.

- `resp`: a small Redis (RESP2) client whose errors say whether a command may have run.
- `orders`: the reference HTTP service that stores orders in the key-value store.
- `store`, `config`, `breaker`, `cache`, `write_queue`, `health`, `order`: its parts.

Other in-world programs (the region's agent, the reaper) live beside them.
"""
