"""The one DNS question (inworld/protocol/dnsquery.py), asked through the agent of this process
against a small resolver on 127.0.0.1 that answers over UDP (TC set) and TCP."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import urllib.request
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.rrset
import pytest

from chaoskit.inworld.agent import Handler
from chaoskit.inworld.protocol.dnsquery import ask


def _answer(wire: bytes, udp: bool) -> bytes:
    query = dns.message.from_wire(wire)
    reply = dns.message.make_response(query)
    reply.answer.append(dns.rrset.from_text(query.question[0].name, 30, "IN", "A", "192.0.2.7"))
    if udp:
        reply.flags |= dns.flags.TC  # as a truncating resolver would: go ask over TCP
    return reply.to_wire()


class _Udp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(_answer(data, udp=True), self.client_address)


class _Tcp(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        size = int.from_bytes(self.request.recv(2), "big")
        reply = _answer(self.request.recv(size), udp=False)
        self.request.sendall(len(reply).to_bytes(2, "big") + reply)


@pytest.fixture
def resolver() -> Iterator[int]:
    udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), _Udp)
    port = udp.server_address[1]
    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), _Tcp)
    servers = [udp, tcp]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    try:
        yield port
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


def test_udp_and_tcp_answers_with_the_tc_flag(resolver: int) -> None:
    udp = ask("kv.us-east-1.chaoskit.internal", "127.0.0.1", resolver, timeout=2)
    assert udp["rcode"] == "NOERROR" and udp["tc"] is True
    assert udp["answers"] == [{"name": "kv.us-east-1.chaoskit.internal.", "type": 1, "ttl": 30,
                               "value": "192.0.2.7"}]
    tcp = ask("kv.us-east-1.chaoskit.internal", "127.0.0.1", resolver, proto="tcp", timeout=2)
    assert tcp["tc"] is False and tcp["answers"] == udp["answers"]


def test_no_answer_is_a_timeout_and_a_bad_type_a_value_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        result = ask("a.test", "127.0.0.1", silent.getsockname()[1], timeout=0.2)
    assert result["rcode"] == "TIMEOUT" and result["answers"] == []
    with pytest.raises(ValueError, match="BOGUS"):
        ask("a.test", "127.0.0.1", 53, "BOGUS")


def test_the_agent_asks_it_and_reports_an_unreachable_resolver(resolver: int) -> None:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/dns?name=a.test&server=127.0.0.1"
    try:
        with urllib.request.urlopen(f"{base}&port={resolver}&proto=tcp", timeout=10) as r:
            body = json.loads(r.read())
        assert body["rcode"] == "NOERROR" and body["answers"][0]["value"] == "192.0.2.7"
        with socket.socket() as closed:  # a port nobody listens on: TCP is refused
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        with urllib.request.urlopen(f"{base}&port={port}&proto=tcp", timeout=10) as r:
            body = json.loads(r.read())
        assert body["rcode"] == "ERROR" and body["answers"] == []
    finally:
        server.shutdown()
        server.server_close()
