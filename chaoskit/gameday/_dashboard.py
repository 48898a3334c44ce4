"""The team's live dashboard: one self-contained page, a JSON snapshot and a server-sent event stream.

    GET /         the page (the report's timeline script inlined; nothing fetched from elsewhere)
    GET /state    the live state as JSON
    GET /events   text/event-stream: ``state`` events as the run goes on, ``end`` when it is over

Served on 127.0.0.1 by uvicorn in a background thread. Viewers only read the
live state, so a browser coming or going never touches the run. A request must
name this server in its Host header (127.0.0.1 or localhost with the port): a
page elsewhere whose name is made to resolve to 127.0.0.1 (DNS rebinding) sends
its own name, and is refused.
"""

from __future__ import annotations

import html
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from chaoskit.gameday._live import LiveState
from chaoskit.reports import chart_json, timeline_script

DEFAULT_PORT = 8765
HOST = "127.0.0.1"


def _page(live: LiveState) -> str:
    state = live.state()
    template = resources.files("chaoskit.gameday").joinpath("dashboard.html").read_text("utf-8")
    values = {"TITLE": html.escape(state["playbook"]["title"]), "STATE": chart_json(state),
              "TIMELINE_JS": timeline_script()}
    # One pass, so nothing inserted (a note's text, the script) is ever read as a placeholder.
    return re.sub(r"__(TITLE|STATE|TIMELINE_JS)__", lambda m: values[m.group(1)], template)


def _this_server(request: Request) -> bool:
    """Whether the Host header names this server: 127.0.0.1 or localhost, with its port."""
    server = request.scope.get("server") or ("", 0)
    port = server[1]
    names = {"127.0.0.1", "localhost"}
    allowed = {f"{n}:{port}" for n in names} | (names if port == 80 else set())
    return request.headers.get("host", "").lower() in allowed


Handler = Callable[[Request], Awaitable[Response]]


def _local_only(handler: Handler) -> Handler:
    async def checked(request: Request) -> Response:
        if not _this_server(request):
            return Response("this dashboard answers only to http://127.0.0.1:PORT/ or "
                            "http://localhost:PORT/\n", status_code=421, media_type="text/plain")
        return await handler(request)
    return checked


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


def dashboard_app(live: LiveState, *, tick: float = 0.25, heartbeat: float = 1.0,
                  stream_seconds: float = 900.0) -> Starlette:
    """The Starlette application serving `live`.

    A stream sends the state when it changes, and at least every `heartbeat`
    seconds (time, rates and the chart move on without events). It ends when the
    run is over, or after `stream_seconds`, when the browser reconnects by itself.
    """

    async def page(request: Request) -> Response:
        text = await anyio.to_thread.run_sync(_page, live)
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def state(request: Request) -> Response:
        return JSONResponse(await anyio.to_thread.run_sync(live.state),
                            headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            live.count_view(+1)
            try:
                yield "retry: 2000\n\n"
                last_seq, last_sent = -1, 0.0
                deadline = time.monotonic() + stream_seconds
                while time.monotonic() < deadline and not await request.is_disconnected():
                    now = time.monotonic()
                    if live.seq != last_seq or now - last_sent >= heartbeat:
                        snapshot = await anyio.to_thread.run_sync(live.state)
                        last_seq, last_sent = snapshot["seq"], now
                        yield _sse("state", snapshot)
                        live.count_view(sent=1)
                        if snapshot["done"]:
                            yield _sse("end", {"outcome": snapshot["outcome"]})
                            return
                    await anyio.sleep(tick)
            finally:
                live.count_view(-1)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return Starlette(routes=[Route("/", _local_only(page)), Route("/state", _local_only(state)),
                             Route("/events", _local_only(events))])


class DashboardServer:
    """Serves the dashboard in a background thread; `start()` says where (or why not)."""

    def __init__(self, live: LiveState, *, port: int = DEFAULT_PORT, host: str = HOST) -> None:
        self.live = live
        self.port = port
        self.host = host
        self.url: str | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, port))
        except OSError:
            sock.close()
            raise
        return sock

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; return a line for the facilitator. A taken port means a free one."""
        import uvicorn

        note = ""
        try:
            sock = self._bind(self.port)
        except OSError as exc:
            try:
                sock = self._bind(0)
            except OSError as again:
                return f"no dashboard: cannot listen on {self.host}:{self.port} ({exc}) nor on a free " \
                       f"port ({again}); the game day goes on without it"
            note = f"port {self.port} is taken ({exc.strerror or exc}); "
        port = sock.getsockname()[1]
        config = uvicorn.Config(dashboard_app(self.live), lifespan="off", log_level="warning",
                                log_config=None, access_log=False, loop="asyncio", http="h11",
                                ws="none", timeout_graceful_shutdown=2)
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name="chaoskit-gameday-dashboard", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not server.started:
            self.stop()
            sock.close()
            return "no dashboard: the web server did not start; the game day goes on without it"
        self.url = f"http://{self.host}:{port}/"
        self.live.dashboard_url = self.url
        return f"{note}dashboard for the team: {self.url}"

    def stop(self, grace: float = 2.0) -> None:
        """Let open streams send the last state (at most `grace` s), then stop serving."""
        deadline = time.monotonic() + grace
        while self.live.viewers > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=grace + 5)
