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
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

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
        body, messages = b"", []
        more = True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await _refuse(send, 413, "the request body is too large")
                return
        try:
            decoded = json.loads(body) if body.strip() else None
        except ValueError:
            decoded = None  # not JSON: Gradio will refuse it on its own
        if decoded is not None and remote_reference(decoded):
            await _refuse(send, 403, "imgcheck does not fetch remote URLs; upload the file instead.")
            return
        replay = list(messages)

        async def replayed() -> Message:
            if replay:
                return replay.pop(0)
            return await receive()

        await self.app(scope, replayed, send)


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
