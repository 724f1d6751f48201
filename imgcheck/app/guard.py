"""Keep the server offline: refuse requests that would make Gradio fetch a remote URL.

Gradio serves ``/gradio_api/file=<url>`` by downloading the URL itself, and an API call whose file
argument has ``"path": "https://..."`` makes it download that file before any handler runs; both
resolve the host (falling back to DNS-over-HTTPS at dns.google) and connect out. imgcheck promises
no network access at run time and must not be a proxy for whoever can reach a public demo, so this
ASGI middleware answers such requests with 403 before Gradio sees them. Uploads (multipart) and
local file references pass unchanged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: a URL scheme followed by "//" (http://, https://, ftp://, file://, ...)
_REMOTE = re.compile(r"^\s*[a-z][a-z0-9+.\-]*:\s*[/\\]{2}", re.IGNORECASE)
#: Gradio routes that take a path or URL in the request path itself
_FILE_ROUTE = re.compile(r"/(?:file|proxy)=(.*)$", re.IGNORECASE | re.DOTALL)
#: JSON bodies larger than this are refused (API calls carry file references, not file contents)
MAX_JSON_BODY = 4 * 1024 * 1024
_MAX_DEPTH = 64


def is_remote(value: str) -> bool:
    """Whether a file reference names a remote resource rather than a path on this machine."""
    text = value
    for _ in range(3):  # percent-encoding, possibly repeated
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return bool(_REMOTE.match(text))


def remote_reference(obj: Any, depth: int = 0) -> str | None:
    """The first ``"path"`` value in a decoded JSON body that names a remote resource, if any."""
    if depth > _MAX_DEPTH:
        return "<nested too deeply>"
    if isinstance(obj, dict):
        path = obj.get("path")
        if isinstance(path, str) and is_remote(path):
            return path
        items = obj.values()
    elif isinstance(obj, list):
        items = obj
    else:
        return None
    for item in items:
        found = remote_reference(item, depth + 1)
        if found:
            return found
    return None


class OfflineGuard:
    """ASGI middleware; see the module docstring for why."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_JSON_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope.get("path", "").encode()
        route = _FILE_ROUTE.search(unquote(raw_path.decode("latin-1")))
        if route and is_remote(route.group(1)):
            await _refuse(send, 403, "imgcheck does not fetch remote URLs; upload the file instead.")
            return
        if scope.get("method") != "POST" or _header(scope, b"content-type").startswith(b"multipart/"):
            await self.app(scope, receive, send)
            return
        buffered = await BufferedBody.read(receive, self.max_body)
        if buffered is None:
            await _refuse(send, 413, "the request body is too large")
            return
        body = buffered.body
        try:
            decoded = json.loads(body) if body.strip() else None
        except ValueError:
            decoded = None  # not JSON: Gradio will refuse it on its own
        if decoded is not None and remote_reference(decoded):
            await _refuse(send, 403, "imgcheck does not fetch remote URLs; upload the file instead.")
            return
        await self.app(scope, buffered.replay(receive), send)


class BufferedBody:
    """A request body read ahead by a middleware (at most ``limit`` bytes), handed on unchanged:
    ``replay(receive)`` gives the app the same messages, then the rest of the connection's."""

    def __init__(self, body: bytes, messages: list[Message]) -> None:
        self.body = body
        self._messages = messages

    @classmethod
    async def read(cls, receive: Receive, limit: int) -> BufferedBody | None:
        """The whole body, or None as soon as it is larger than ``limit``."""
        body, messages = b"", []
        more = True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return None
        return cls(body, messages)

    def replay(self, receive: Receive) -> Receive:
        pending = list(self._messages)

        async def replayed() -> Message:
            if pending:
                return pending.pop(0)
            return await receive()

        return replayed


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.lower()
    return b""


async def _refuse(send: Send, status: int, message: str) -> None:
    payload = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


#: Gradio's upload route (under any root path)
_UPLOAD_ROUTE = re.compile(r"/gradio_api/upload/?$")
#: routes that keep what a user did: run history pages and the deep-link state writer
_HISTORY_ROUTE = re.compile(r"/gradio_api/(?:runs|run-history|deep_link)(?:/|$)")


class UploadLimits:
    """ASGI middleware on Gradio's upload route: a cap per request (all files of a multi-file upload
    together; Gradio's ``max_file_size`` is per file), an optional cap on the bytes all stored uploads
    may hold at once (``--public``), and a refusal of uploads that do not state their size. Also
    answers 404 on the run-history and deep-link routes, whatever the Gradio version registers."""

    def __init__(self, app: ASGIApp, registry=None, max_request: int | None = None,
                 max_total: int | None = None) -> None:
        self.app = app
        self.registry = registry
        self.max_request = max_request
        self.max_total = max_total

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if _HISTORY_ROUTE.search(path):
            await _refuse(send, 404, "Not found")
            return
        if scope.get("method") != "POST" or not _UPLOAD_ROUTE.search(path):
            await self.app(scope, receive, send)
            return
        raw = _header(scope, b"content-length")
        if not raw.strip().isdigit():
            await _refuse(send, 411, "uploads must state their size (Content-Length)")
            return
        size = int(raw)
        if self.max_request is not None and size > self.max_request:
            await _refuse(send, 413, f"this upload is {_mb(size)}; the limit is {_mb(self.max_request)} per "
                                     "request (all files together)")
            return
        if self.registry is None:
            await self.app(scope, receive, send)
            return
        if not self.registry.reserve(size, self.max_total):
            await _refuse(send, 507, "the demo's upload space is full right now; please try again in a "
                                     "minute")
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.registry.unreserve(size)


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


class QuietErrors:
    """ASGI middleware (outermost): an exception escaping a route is answered here with one log line
    instead of a 60-line traceback per request (log flooding on a public demo). Calls to an endpoint
    that does not exist (Gradio raises ``FnIndexInferError`` for an unknown API name and ``KeyError``
    for an unknown ``fn_index``, e.g. the bank endpoints on ``--public``) get 404; anything else 500.
    The traceback is logged at debug level."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:  # noqa: BLE001 - every escaping error becomes one line and a status
            unknown = type(exc).__name__ in ("FnIndexInferError", "KeyError", "IndexError")
            status = 404 if unknown else 500
            path = scope.get("path", "")[:200]
            log.warning("%s %s -> %d (%s)", scope.get("method"), path, status,
                        "no such endpoint" if unknown else type(exc).__name__)
            log.debug("request failed", exc_info=True)
            if not started:
                await _refuse(send, status, "No such endpoint." if unknown else "Internal error.")
