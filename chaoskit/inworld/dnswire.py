"""A minimal DNS client on the standard library (queries A/AAAA/TXT, over UDP or TCP).

Runs inside the world's containers, where nothing but the standard library is
installed, so a region's own clients can ask their resolver and report exactly
what came back: rcode, answers with TTLs, the TC flag and the time taken.
"""

from __future__ import annotations

import random
import socket
import struct
import time
from typing import Any

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"bad label in {name!r}")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def build_query(name: str, qtype: str = "A", qid: int | None = None) -> tuple[int, bytes]:
    qid = random.randrange(65536) if qid is None else qid
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD set
    return qid, header + _encode_name(name) + struct.pack(">HH", TYPES[qtype], 1)


def _read_name(msg: bytes, off: int) -> tuple[str, int]:
    labels: list[str] = []
    jumped = False
    end = off
    for _ in range(128):
        length = msg[off]
        if length & 0xC0 == 0xC0:
            ptr = struct.unpack(">H", msg[off : off + 2])[0] & 0x3FFF
            if not jumped:
                end = off + 2
            jumped = True
            off = ptr
            continue
        if length == 0:
            if not jumped:
                end = off + 1
            break
        labels.append(msg[off + 1 : off + 1 + length].decode("ascii", "replace"))
        off += 1 + length
    return ".".join(labels) + ".", end


def parse_response(msg: bytes) -> dict[str, Any]:
    qid, flags, qd, an, _ns, _ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = _read_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        name, off = _read_name(msg, off)
        rtype, _cls, ttl, rdlen = struct.unpack(">HHIH", msg[off : off + 10])
        off += 10
        rdata = msg[off : off + rdlen]
        off += rdlen
        if rtype == 1 and rdlen == 4:
            value = socket.inet_ntoa(rdata)
        elif rtype == 16:
            value = rdata[1 : 1 + rdata[0]].decode("utf-8", "replace") if rdata else ""
        else:
            value = rdata.hex()
        answers.append({"name": name, "type": rtype, "ttl": ttl, "value": value})
    return {
        "id": qid,
        "rcode": RCODES.get(flags & 0xF, str(flags & 0xF)),
        "tc": bool(flags & 0x0200),
        "answers": answers,
    }


def query(
    name: str, server: str, port: int = 53, qtype: str = "A", proto: str = "udp", timeout: float = 2.0
) -> dict[str, Any]:
    """Ask `server` once. Returns rcode, answers, tc, elapsed; ``rcode: TIMEOUT`` on no answer."""
    qid, packet = build_query(name, qtype)
    started = time.monotonic()
    try:
        if proto == "tcp":
            with socket.create_connection((server, port), timeout=timeout) as s:
                s.settimeout(timeout)
                s.sendall(struct.pack(">H", len(packet)) + packet)
                size = struct.unpack(">H", _recv_exact(s, 2))[0]
                data = _recv_exact(s, size)
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.sendto(packet, (server, port))
                while True:
                    data, _ = s.recvfrom(4096)
                    if data[:2] == packet[:2]:
                        break
    except TimeoutError:
        return {"rcode": "TIMEOUT", "answers": [], "tc": False, "elapsed": time.monotonic() - started}
    except OSError as exc:
        return {
            "rcode": "ERROR",
            "error": str(exc),
            "answers": [],
            "tc": False,
            "elapsed": time.monotonic() - started,
        }
    out = parse_response(data)
    out["elapsed"] = time.monotonic() - started
    if out["id"] != qid:
        out["rcode"] = "MISMATCH"
    return out


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf
