"""What the host and the in-world programs share: formats and clients both sides speak.

- `journal`: the fault journal (``faults.json``), written by the host, swept by the reaper.
- `corefile`: how a region's Corefile is assembled from the baseline and the faults' blocks.
- `order_record`: an order as the orders service stores it (the workload reads it back).
- `resp`: a small Redis (RESP2) client whose errors say whether a command may have run.

Standard library only, relative imports only: copied into the services image with the programs.
"""
