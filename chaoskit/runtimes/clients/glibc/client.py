"""glibc's resolver as Python uses it: socket.getaddrinfo on every request, no cache of our own.

Prints one JSON line about itself, then one per request: its start time (Unix seconds), how
long it took, and the IPv4 address it got or the error. Stops after CLIENT_SECONDS.
"""

import json
import os
import platform
import socket
import sys
import time

NAME = os.environ["CLIENT_NAME"]
INTERVAL = int(os.environ.get("CLIENT_INTERVAL_MS", "100")) / 1000
SECONDS = float(os.environ.get("CLIENT_SECONDS", "90"))


def emit(record: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def main() -> None:
    libc = os.confstr("CS_GNU_LIBC_VERSION") or "glibc ?"
    nscd = os.path.exists("/var/run/nscd/socket")
    emit({"runtime": "glibc", "version": f"{libc}, Python {platform.python_version()}",
          "notes": "socket.getaddrinfo" + (", nscd running" if nscd else ", no nscd")})
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        t = time.time()
        record: dict[str, object] = {"t": t}
        try:
            infos = socket.getaddrinfo(NAME, 6379, type=socket.SOCK_STREAM)
            v4 = [i[4][0] for i in infos if i[0] == socket.AF_INET]
            if v4:
                record["addr"] = v4[0]
            else:
                record["error"] = "no IPv4 address"
        except OSError as exc:
            record["error"] = str(exc)
        record["ms"] = round((time.time() - t) * 1000, 2)
        emit(record)
        time.sleep(INTERVAL)


if __name__ == "__main__":
    main()
