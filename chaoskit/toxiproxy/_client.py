"""`ToxiproxyClient`: the Toxiproxy v2 HTTP API, one server per instance.

Endpoints, fields and status codes follow toxiproxy v2.12.0's `api.go`. Every
request has a timeout; every failure is a `ToxiproxyError` that names the
server and says what to try.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _package_version
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from chaoskit.errors import UserError
from chaoskit.toxiproxy._exceptions import (
    BaselineNotReached,
    ToxiproxyAPIError,
    ToxiproxyConflict,
    ToxiproxyConnectionError,
    ToxiproxyNotFound,
    ToxiproxySpecError,
    ToxiproxyTimeout,
)
from chaoskit.toxiproxy._models import BaselineReport, Proxy, ProxySpec, Toxic
from chaoskit.toxiproxy._toxics import (
    Stream,
    ToxicAttributes,
    check_name,
    check_stream,
    check_toxicity,
)

DEFAULT_TIMEOUT = 2.0

# Bounded: a second pass only matters when someone changes the server meanwhile.
_BASELINE_PASSES = 3

_T = TypeVar("_T")

_STATUS_HINTS = {
    400: "the server rejected the request body",
    403: "Toxiproxy refuses clients whose User-Agent starts with 'Mozilla/'",
    404: "no such proxy or toxic on this server: was the region's proxy list populated, "
    "or was it deleted or reset by someone else?",
    409: "a proxy or toxic of that name already exists: remove it first or pick another name",
    500: "the server could not do it; for a proxy this is most often a listen address in use",
    503: "the server's own 25 s handler timeout fired: it is overloaded or wedged",
}


def _user_agent() -> str:
    try:
        ours = _package_version("chaoskit")
    except PackageNotFoundError:
        ours = "dev"
    # Never "Mozilla/...": Toxiproxy answers those with 403.
    return f"chaoskit/{ours} toxiproxy-client httpx/{httpx.__version__}"


def _segment(name: str) -> str:
    return quote(name, safe="")


def _normalise_url(base_url: str) -> str:
    url = base_url.strip()
    if "://" not in url:
        url = "http://" + url
    url = url.rstrip("/")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UserError(f"not a Toxiproxy API address: {base_url!r} ({exc})") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UserError(f"not a Toxiproxy API address: {base_url!r}", hint="e.g. http://127.0.0.1:8474")
    return url


class ToxiproxyClient:
    """A typed client for one Toxiproxy server.

    ```python
    from chaoskit.toxiproxy import Latency, ToxiproxyClient

    with ToxiproxyClient("http://127.0.0.1:8474") as toxiproxy:
        toxic = toxiproxy.add_toxic("redis", Latency(latency=100), stream="downstream")
        ...
        toxiproxy.remove_toxic("redis", toxic.name)
    ```

    `timeout` (seconds) bounds each phase of every request (connect, send,
    wait for the answer). Proxies in the environment (`HTTP_PROXY`...) are
    ignored: the API is always reached directly.
    """

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise UserError(f"Toxiproxy client timeout must be a number of seconds: {timeout!r}")
        if not (math.isfinite(timeout) and timeout > 0):
            raise UserError(f"Toxiproxy client timeout must be positive: {timeout!r}")
        self._base_url = _normalise_url(base_url)
        self._timeout = float(timeout)
        self.user_agent = _user_agent()
        self._http = httpx.Client(
            base_url=self._base_url,
            timeout=httpx.Timeout(self._timeout),
            headers={"User-Agent": self.user_agent, "Accept": "application/json"},
            trust_env=False,
            follow_redirects=False,
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def timeout(self) -> float:
        return self._timeout

    def __repr__(self) -> str:
        return f"ToxiproxyClient({self._base_url!r}, timeout={self._timeout:g})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- server ---

    def version(self) -> str:
        """The server's version (`"git"` for a build without release flags)."""
        return self._call("GET", "/version", lambda d: str(d["version"]))

    def reset(self) -> None:
        """Enable every proxy and remove every toxic (`POST /reset`), in one call.

        On failure (a proxy that cannot listen again) the server stops part way
        through; `ensure_baseline` says which proxy and carries on.
        """
        self._call("POST", "/reset", lambda d: None)

    # --- proxies ---

    def list_proxies(self) -> dict[str, Proxy]:
        """Every proxy with its toxics, by name (sorted)."""

        def parse(d: Any) -> dict[str, Proxy]:
            return {name: Proxy.from_api(d[name]) for name in sorted(d)}

        return self._call("GET", "/proxies", parse)

    def get_proxy(self, name: str) -> Proxy:
        path = f"/proxies/{_segment(name)}"
        return self._call("GET", path, Proxy.from_api)

    def create_proxy(
        self, name: str, upstream: str, *, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> Proxy:
        """Create a proxy; `listen` port 0 lets the server pick (read it from the result)."""
        spec = ProxySpec(name=name, upstream=upstream, listen=listen, enabled=enabled)
        return self._call("POST", "/proxies", Proxy.from_api, body=spec.to_json())

    def populate(self, proxies: Iterable[ProxySpec]) -> list[Proxy]:
        """Create or replace proxies in one call (`POST /populate`).

        A proxy whose listen and upstream are unchanged is left as it is (its
        toxics and enabled state too); one that differs is replaced, losing
        its toxics. On failure the `ToxiproxyAPIError`'s `body["proxies"]`
        lists those made before it.
        """
        body = [spec.to_json() for spec in proxies]

        def parse(d: Any) -> list[Proxy]:
            return [Proxy.from_api(p) for p in d.get("proxies") or ()]

        return self._call("POST", "/populate", parse, body=body)

    def update_proxy(
        self,
        name: str,
        *,
        enabled: bool | None = None,
        listen: str | None = None,
        upstream: str | None = None,
    ) -> Proxy:
        """Change a proxy (`PATCH`). Unset fields keep their value.

        Disabling is a hard cut: the server stops listening and closes every
        open connection. A new `listen` or `upstream` also closes them. If the
        new listen address is taken, the server answers 500 and leaves the
        proxy disabled.
        """
        body: dict[str, Any] = {}
        if enabled is not None:
            body["enabled"] = enabled
        if listen is not None:
            body["listen"] = listen
        if upstream is not None:
            body["upstream"] = upstream
        if not body:
            raise ToxiproxySpecError(f"nothing to change on proxy {name!r}")
        path = f"/proxies/{_segment(name)}"
        return self._call("PATCH", path, Proxy.from_api, body=body)

    def enable_proxy(self, name: str) -> Proxy:
        return self.update_proxy(name, enabled=True)

    def disable_proxy(self, name: str) -> Proxy:
        """Take the proxy down: connection refused, and open connections cut."""
        return self.update_proxy(name, enabled=False)

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{_segment(name)}", lambda d: None)

    # --- toxics ---

    def list_toxics(self, proxy: str) -> list[Toxic]:
        path = f"/proxies/{_segment(proxy)}/toxics"
        return self._call("GET", path, lambda d: [Toxic.from_api(t) for t in d])

    def get_toxic(self, proxy: str, name: str) -> Toxic:
        path = f"/proxies/{_segment(proxy)}/toxics/{_segment(name)}"
        return self._call("GET", path, Toxic.from_api)

    def add_toxic(
        self,
        proxy: str,
        attributes: ToxicAttributes,
        *,
        stream: Stream = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> Toxic:
        """Add a toxic and return it as the server reports it.

        `name` defaults to the server's ``<type>_<stream>``. `toxicity` is the
        chance that a connection gets the toxic. It takes effect on open
        connections too before this returns.
        """
        if not isinstance(attributes, ToxicAttributes) or not attributes.type:
            raise ToxiproxySpecError(
                f"not toxic attributes: {attributes!r}",
                hint="pass e.g. Latency(latency=100); parse_attributes() reads plain data",
            )
        body: dict[str, Any] = {
            "type": attributes.type,
            "stream": check_stream(stream),
            "toxicity": check_toxicity(toxicity),
            "attributes": attributes.to_json(),
        }
        if name is not None:
            body["name"] = check_name(name, "toxic")
        path = f"/proxies/{_segment(proxy)}/toxics"
        return self._call("POST", path, Toxic.from_api, body=body)

    def update_toxic(
        self,
        proxy: str,
        name: str,
        *,
        attributes: ToxicAttributes | None = None,
        toxicity: float | None = None,
    ) -> Toxic:
        """Change a toxic's attributes and/or toxicity (`PATCH`); its type and stream stay."""
        body: dict[str, Any] = {}
        if attributes is not None:
            # The server would silently ignore attributes of another type.
            current = self.get_toxic(proxy, name)
            if current.type != attributes.type:
                raise ToxiproxySpecError(
                    f"toxic {name!r} on proxy {proxy!r} is a {current.type} toxic, not {attributes.type}",
                    hint="remove it and add a new one to change its type",
                )
            body["attributes"] = attributes.to_json()
        if toxicity is not None:
            body["toxicity"] = check_toxicity(toxicity)
        if not body:
            raise ToxiproxySpecError(f"nothing to change on toxic {name!r} of proxy {proxy!r}")
        path = f"/proxies/{_segment(proxy)}/toxics/{_segment(name)}"
        return self._call("PATCH", path, Toxic.from_api, body=body)

    def remove_toxic(self, proxy: str, name: str) -> None:
        path = f"/proxies/{_segment(proxy)}/toxics/{_segment(name)}"
        self._call("DELETE", path, lambda d: None)

    # --- for faults ---

    def ensure_baseline(self, expected_proxies: Iterable[str]) -> BaselineReport:
        """Remove every toxic and enable every proxy, then check by listing again.

        Returns what was changed. Raises `BaselineNotReached` (carrying that
        report) if a toxic or disabled proxy remains, or an expected proxy is
        missing; it still cleans everything it can first. Proxies that are not
        expected are cleaned too and named in `report.unexpected`.
        """
        expected = tuple(dict.fromkeys(expected_proxies))
        removed: dict[str, list[Toxic]] = {}
        enabled: list[str] = []
        failures: dict[str, str] = {}
        proxies = self.list_proxies()
        seen = set(proxies)
        for _ in range(_BASELINE_PASSES):
            for proxy in proxies.values():
                for toxic in proxy.toxics:
                    try:
                        self.remove_toxic(proxy.name, toxic.name)
                    except ToxiproxyNotFound:
                        continue  # gone meanwhile: someone else removed it
                    removed.setdefault(proxy.name, []).append(toxic)
                if not proxy.enabled:
                    try:
                        self.enable_proxy(proxy.name)
                    except ToxiproxyNotFound:
                        continue
                    except ToxiproxyAPIError as exc:
                        failures[proxy.name] = exc.error
                        continue
                    failures.pop(proxy.name, None)
                    enabled.append(proxy.name)
            proxies = self.list_proxies()
            seen.update(proxies)
            # Another pass only helps if someone changed the server meanwhile.
            if not any(p.toxics or (not p.enabled and p.name not in failures) for p in proxies.values()):
                break
        problems = self._baseline_problems(proxies, expected, failures)
        report = BaselineReport(
            removed={name: tuple(ts) for name, ts in sorted(removed.items())},
            enabled=tuple(sorted(set(enabled))),
            unexpected=tuple(sorted(seen - set(expected))),
        )
        if problems:
            hints = []
            if any(name not in proxies for name in expected):
                hints.append("populate the region's proxies again (a missing proxy)")
            if failures:
                hints.append("free the listen address of the proxy that cannot be enabled")
            if any(p.toxics for p in proxies.values()):
                hints.append("something else keeps adding toxics to this server")
            raise BaselineNotReached(problems, server=self._base_url, report=report, hint="; ".join(hints))
        return report

    @staticmethod
    def _baseline_problems(
        after: Mapping[str, Proxy], expected: tuple[str, ...], failures: Mapping[str, str]
    ) -> list[str]:
        problems = [f"proxy {name} is missing" for name in expected if name not in after]
        for proxy in after.values():
            if proxy.toxics:
                names = ", ".join(t.name for t in proxy.toxics)
                problems.append(f"proxy {proxy.name} still has toxics {names}")
            if not proxy.enabled:
                reason = failures.get(proxy.name)
                problems.append(f"proxy {proxy.name} is disabled" + (f" ({reason})" if reason else ""))
        return problems

    def snapshot(self) -> dict[str, Any]:
        """The server's whole state (proxies and their toxics) as plain data, from one request."""
        proxies = self.list_proxies()
        return {"server": self._base_url, "proxies": [p.to_dict() for p in proxies.values()]}

    # --- transport ---

    def _request(self, method: str, path: str, *, body: Any = None) -> tuple[int, Any]:
        """Send one request: (status, parsed JSON or None), or raise."""
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            raise ToxiproxyTimeout(
                f"no answer within {self._timeout:g} s ({type(exc).__name__})",
                server=self._base_url,
                method=method,
                path=path,
                hint="something there accepts connections but does not answer: "
                "check that the address is Toxiproxy's API and that the server is not wedged",
            ) from exc
        except httpx.TransportError as exc:
            raise ToxiproxyConnectionError(
                f"cannot talk to the server ({type(exc).__name__}: {exc})",
                server=self._base_url,
                method=method,
                path=path,
                hint="is the region's Toxiproxy running, with its API published on this address? "
                "Check the URL: the world publishes each region's Toxiproxy API on 127.0.0.1",
            ) from exc
        if not response.is_success:
            raise self._api_error(method, path, response)
        if not response.content:
            return response.status_code, None
        try:
            return response.status_code, response.json()
        except ValueError as exc:
            raise ToxiproxyAPIError(
                server=self._base_url,
                method=method,
                path=path,
                status=response.status_code,
                error=f"answer is not JSON: {response.text[:200]!r}",
                hint="is this address Toxiproxy's API?",
            ) from exc

    def _api_error(self, method: str, path: str, response: httpx.Response) -> ToxiproxyAPIError:
        status = response.status_code
        body: Any = None
        error = response.text.strip()
        with contextlib.suppress(ValueError):
            body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            error = body["error"]
        if not error:
            error = response.reason_phrase
        cls = {404: ToxiproxyNotFound, 409: ToxiproxyConflict}.get(status, ToxiproxyAPIError)
        return cls(
            server=self._base_url,
            method=method,
            path=path,
            status=status,
            error=error,
            body=body,
            hint=_STATUS_HINTS.get(status, ""),
        )

    def _call(self, method: str, path: str, parse: Callable[[Any], _T], *, body: Any = None) -> _T:
        status, data = self._request(method, path, body=body)
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ToxiproxyAPIError(
                server=self._base_url,
                method=method,
                path=path,
                status=status,
                error=f"unexpected answer ({type(exc).__name__}: {exc}): {str(data)[:200]}",
                hint="is this address Toxiproxy v2's API?",
            ) from exc
