"""The agent's HTTP probe, served in this process on 127.0.0.1: http and https only."""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chaoskit.inworld.agent import Handler


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def agent() -> Iterator[str]:
    yield from _serve(Handler)


@pytest.fixture
def redirector(tmp_path: Path) -> Iterator[str]:
    """Answers /ok with 200 and anything else with a redirect to the path as a file:// URL."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the container's secret")

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/ok":
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(302)
            self.send_header("Location", f"file://{secret}" if self.path == "/file" else "ftp://127.0.0.1/x")
            self.send_header("Content-Length", "0")
            self.end_headers()

    yield from _serve(Redirect)


def probe(agent: str, url: str) -> tuple[int, dict[str, object]]:
    query = urllib.parse.urlencode({"url": url, "timeout": "2"})
    try:
        with urllib.request.urlopen(f"{agent}/http?{query}", timeout=10) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_http_is_probed(agent: str, redirector: str) -> None:
    status, body = probe(agent, f"{redirector}/ok")
    assert status == 200 and body["status"] == 200 and body["error"] is None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "FILE:///etc/passwd", "ftp://127.0.0.1/x",
                                 "data:text/plain,hello", "/etc/passwd"])
def test_other_schemes_are_refused(agent: str, url: str) -> None:
    status, body = probe(agent, url)
    assert status == 400 and "http:// or https://" in str(body["error"])


@pytest.mark.parametrize("path", ["/file", "/ftp"])
def test_a_redirect_to_another_scheme_is_not_followed(agent: str, redirector: str, path: str) -> None:
    status, body = probe(agent, f"{redirector}{path}")
    assert status == 200 and body["status"] != 200, body
    assert "secret" not in json.dumps(body)
