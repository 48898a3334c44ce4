"""The dashboard app with Starlette's TestClient, and its server on 127.0.0.1; no world."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx does the job
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from chaoskit.gameday import DashboardServer, LiveState, dashboard_app
from chaoskit.runner import Run

from .offline import offline_run, small_playbook

LOCAL = "http://127.0.0.1:8765"  # what a browser on this machine sends as Host


@pytest.fixture
def live(run: Run) -> LiveState:
    state = LiveState(run)
    run.listeners.append(state.on_event)
    run.emit("run", state="started", playbook="gd-small", world="chaoskit-offline")
    run.emit("method", state="started")
    return state


def sse_events(text: str) -> list[tuple[str, str]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            out.append((fields["event"], fields.get("data", "")))
    return out


def test_the_page_is_self_contained_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(small_playbook().replace("title: The store's name disappears",
                                             "title: \"Names </script><b>vanish</b>\""))
    run = offline_run(path)
    live = LiveState(run)
    run.listeners.append(live.on_event)
    run.note("</script><script>alert(1)</script>")
    page = TestClient(dashboard_app(live), base_url=LOCAL).get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Names &lt;/script&gt;&lt;b&gt;vanish&lt;/b&gt;" in html
    assert "alert(1)" in html and "<script>alert(1)" not in html  # inline JSON cannot close its script
    assert "ChaoskitTimeline.mount" in html and 'new EventSource("events")' in html
    assert "__STATE__" not in html and "__TIMELINE_JS__" not in html
    assert 'src="http' not in html and 'href="http' not in html and "//cdn" not in html


def test_state_is_the_live_snapshot_as_json(live: LiveState) -> None:
    res = TestClient(dashboard_app(live), base_url=LOCAL).get("/state")
    assert res.status_code == 200 and res.headers["content-type"] == "application/json"
    state = res.json()
    assert state["playbook"]["name"] == "gd-small" and state["phase"] == "method"
    assert state["ops"] == 120 and len(state["chart"]["series"]) > 10
    assert {r["region"] for r in state["regions"]} == {"us-east-1", "us-west-2"}


def test_the_event_stream_sends_states_as_the_run_goes_then_the_end(live: LiveState, run: Run) -> None:
    def the_run_goes_on() -> None:
        for i in range(4):
            time.sleep(0.15)
            run.note(f"note {i}")
        live.finish("passed")

    threading.Thread(target=the_run_goes_on, daemon=True).start()
    client = TestClient(dashboard_app(live, tick=0.05, heartbeat=10), base_url=LOCAL)
    with client.stream("GET", "/events") as res:
        assert res.headers["content-type"].startswith("text/event-stream")
        text = "".join(res.iter_text())
    events = sse_events(text)
    states = [json.loads(data) for kind, data in events if kind == "state"]
    assert len(states) >= 3
    assert [s["seq"] for s in states] == sorted({s["seq"] for s in states})
    assert len(states[-1]["notes"]) == 4 and states[-1]["done"]
    assert events[-1] == ("end", '{"outcome":"passed"}')
    assert text.startswith("retry: ")
    assert live.viewers == 0 and live.sent == len(states)


def test_a_stream_has_a_bounded_life(live: LiveState) -> None:
    client = TestClient(dashboard_app(live, tick=0.05, heartbeat=0.1, stream_seconds=0.5), base_url=LOCAL)
    started = time.monotonic()
    with client.stream("GET", "/events") as res:
        text = "".join(res.iter_text())
    assert time.monotonic() - started < 5
    assert len(sse_events(text)) >= 2 and "event: end" not in text  # the browser reconnects by itself


@pytest.fixture
def server(live: LiveState) -> Iterator[DashboardServer]:
    srv = DashboardServer(live, port=0)
    yield srv
    live.finish("passed")
    srv.stop(grace=1)


def test_the_server_serves_on_localhost_and_survives_a_browser_leaving(server: DashboardServer,
                                                                       live: LiveState) -> None:
    message = server.start()
    assert server.url and server.url.startswith("http://127.0.0.1:") and server.url in message
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1].strip("/"))
    # A browser opens the stream, reads a little and goes away mid-stream.
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: localhost:%d\r\nAccept: text/event-stream\r\n\r\n"
                     % port)
        got = b""
        deadline = time.monotonic() + 5
        while b"event: state" not in got and time.monotonic() < deadline:
            got += sock.recv(65536)
        assert b"text/event-stream" in got and b"event: state" in got
        assert live.viewers == 1
    deadline = time.monotonic() + 5
    while live.viewers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.viewers == 0
    with urllib.request.urlopen(f"{server.url}state", timeout=5) as res:
        assert json.load(res)["playbook"]["name"] == "gd-small"


def test_a_taken_port_means_a_free_one_and_says_so(live: LiveState) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        srv = DashboardServer(live, port=port)
        try:
            message = srv.start()
            assert f"port {port} is taken" in message
            assert srv.url and not srv.url.endswith(f":{port}/")
            with urllib.request.urlopen(srv.url, timeout=5) as res:
                assert res.status == 200
        finally:
            live.finish("passed")
            srv.stop(grace=1)


def test_only_this_machine_names_are_served(server: DashboardServer, live: LiveState) -> None:
    """DNS rebinding: a page from elsewhere whose name now resolves to 127.0.0.1 sends its own
    Host and must not read the live state."""
    server.start()
    assert server.url
    port = int(server.url.rsplit(":", 1)[1].strip("/"))

    def get(host: str, path: str = "/state") -> int:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
        try:
            with urllib.request.urlopen(req, timeout=5) as res:
                return int(res.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    assert get(f"127.0.0.1:{port}") == 200 and get(f"localhost:{port}") == 200
    assert get(f"LOCALHOST:{port}") == 200
    for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1", "localhost",
                 f"127.0.0.1:{port + 1}", f"localhost.attacker.example:{port}", ""):
        for path in ("/", "/state", "/events"):
            assert get(host, path) == 421, (host, path)
