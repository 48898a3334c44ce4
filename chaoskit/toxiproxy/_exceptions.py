"""Every error the Toxiproxy client raises, in one tree under chaoskit's own.

    ChaoskitError
    ├── UserError
    │   └── FaultSpecError
    │       └── ToxiproxySpecError   a proxy or toxic we refuse to send (bad name, type, value)
    └── WorldError
        └── ToxiproxyError               talking to a Toxiproxy server went wrong
            ├── ToxiproxyConnectionError no HTTP answer at all (refused, reset, not HTTP)
            │   └── ToxiproxyTimeout     no answer within the client's timeout
            ├── ToxiproxyAPIError        the server answered with a non-2xx status
            │   ├── ToxiproxyNotFound    404: no such proxy or toxic
            │   └── ToxiproxyConflict    409: a proxy or toxic of that name exists
            └── BaselineNotReached       ensure_baseline checked and the server is not clean

Each server-side error names the server (its base URL), the request, and says
what to try next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chaoskit.errors import FaultSpecError, WorldError

if TYPE_CHECKING:
    from chaoskit.toxiproxy._models import BaselineReport


class ToxiproxySpecError(FaultSpecError):
    """A proxy or toxic the client refuses to send: bad name, type, stream, toxicity, attribute."""


class ToxiproxyError(WorldError):
    """Base of every error met while talking to a Toxiproxy server."""

    def __init__(self, message: str, *, server: str, hint: str = "") -> None:
        self.message = message
        self.server = server
        self.hint = hint
        text = f"Toxiproxy at {server}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class ToxiproxyConnectionError(ToxiproxyError):
    """No HTTP answer from the server: connection refused or reset, or not an HTTP server."""

    def __init__(self, message: str, *, server: str, method: str, path: str, hint: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {message}", server=server, hint=hint)


class ToxiproxyTimeout(ToxiproxyConnectionError):
    """The server did not answer within the client's timeout."""


class ToxiproxyAPIError(ToxiproxyError):
    """The server answered with a non-2xx status.

    `status` is the HTTP status, `error` Toxiproxy's own error text (its JSON
    ``error`` field, or the raw body), `body` the parsed JSON body if any:
    `POST /populate` reports there the proxies it made before failing.
    """

    def __init__(
        self,
        *,
        server: str,
        method: str,
        path: str,
        status: int,
        error: str,
        body: Any = None,
        hint: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.error = error
        self.body = body
        super().__init__(f"{method} {path} -> {status} {error}", server=server, hint=hint)


class ToxiproxyNotFound(ToxiproxyAPIError):
    """404: the proxy or toxic does not exist on this server."""


class ToxiproxyConflict(ToxiproxyAPIError):
    """409: a proxy or toxic with that name already exists."""


class BaselineNotReached(ToxiproxyError):
    """After `ensure_baseline` the server still has toxics, disabled or missing proxies.

    `problems` lists each one; `report` says what was changed before the check.
    """

    def __init__(self, problems: list[str], *, server: str, report: BaselineReport, hint: str = "") -> None:
        self.problems = list(problems)
        self.report = report
        super().__init__("not at baseline: " + "; ".join(self.problems), server=server, hint=hint)
