"""Login hardening around Gradio's ``/login``: failed-attempt limits with lockout, and session expiry.

Gradio checks the password and hands out a token cookie, with no limit on attempts (300 wrong
passwords in 10.6 s, then the right one worked) and cookies that never expire. ``LoginGuard`` is
ASGI middleware in front of it:

- **Rate limit with lockout**: ``client_failures`` failed logins from one client address within
  ``window_s`` lock that address out for ``lockout_s``; ``user_failures`` failed logins for one user
  name (from any address) lock that user name out for ``lockout_s``. A locked-out attempt is answered
  429 with a message saying when to try again, before Gradio sees the password, so even the right
  password is refused while locked. A successful login clears that client's and user's counts.
  Behind a reverse proxy every client has the proxy's address: the per-user limit still holds.
- **Session expiry**: the token cookies Gradio sets get ``Max-Age=session_s``, and a token older
  than ``session_s`` is dropped from later requests, so the app asks for the login again.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from imgcheck.app.guard import ASGIApp, BufferedBody, Message, Receive, Scope, Send, _refuse

_LOGIN_ROUTE = re.compile(r"/login/?$")
_TOKEN_COOKIE = re.compile(r"^access-token(?:-unsecure)?-")
MAX_LOGIN_BODY = 64 * 1024


@dataclass(frozen=True)
class LoginPolicy:
    client_failures: int = 5
    user_failures: int = 10
    window_s: float = 15 * 60
    lockout_s: float = 5 * 60
    session_s: float = 12 * 3600


class LoginLimiter:
    """Failed-login bookkeeping; ``clock`` is injectable for tests."""

    def __init__(self, policy: LoginPolicy = LoginPolicy(), clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._locked_until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def _keys(self, client: str, user: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("client", client), ("user", user.strip().lower())

    def retry_after(self, client: str, user: str) -> float:
        """Seconds until this client and user may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([self._locked_until.get(k, 0.0) - now for k in self._keys(client, user)] + [0.0])

    def failed(self, client: str, user: str) -> None:
        now = self.clock()
        p = self.policy
        with self._lock:
            for key, limit in zip(self._keys(client, user), (p.client_failures, p.user_failures)):
                q = self._fails.setdefault(key, deque())
                q.append(now)
                while q and now - q[0] > p.window_s:
                    q.popleft()
                if len(q) >= limit:
                    self._locked_until[key] = now + p.lockout_s
                    q.clear()
            if len(self._fails) > 100_000:  # bounded memory under a flood of made-up names
                self._fails.clear()

    def succeeded(self, client: str, user: str) -> None:
        with self._lock:
            for key in self._keys(client, user):
                self._fails.pop(key, None)


def _minutes(seconds: float) -> str:
    m = max(1, round(seconds / 60))
    return f"{m} minute{'s' if m != 1 else ''}"


class LoginGuard:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, limiter: LoginLimiter | None = None) -> None:
        self.app = app
        self.limiter = limiter or LoginLimiter()
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self._drop_expired_tokens(scope)
        if scope["type"] != "http" or scope.get("method") != "POST" or not _LOGIN_ROUTE.search(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        buffered = await BufferedBody.read(receive, MAX_LOGIN_BODY)
        if buffered is None:
            await _refuse(send, 413, "the login request is too large")
            return
        try:
            form = parse_qs(buffered.body.decode("utf-8", errors="replace"))
        except ValueError:
            form = {}
        user = (form.get("username") or [""])[0]
        client = (scope.get("client") or ("?", 0))[0]
        wait = self.limiter.retry_after(client, user)
        if wait > 0:
            await _refuse_with(send, 429, f"Too many failed logins. Try again in {_minutes(wait)}.", wait)
            return
        status = {"code": 0}

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                if message["status"] == 200:
                    message = dict(message)
                    message["headers"] = self._expiring_cookies(message.get("headers", []))
            await send(message)

        await self.app(scope, buffered.replay(receive), watched)
        if status["code"] == 200:
            self.limiter.succeeded(client, user)
        elif status["code"] in (400, 401, 403):
            self.limiter.failed(client, user)

    # -- session expiry --------------------------------------------------------------------------
    def _expiring_cookies(self, headers: list) -> list:
        out = []
        max_age = int(self.limiter.policy.session_s)
        for key, value in headers:
            if key.lower() == b"set-cookie":
                cookie = SimpleCookie()
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:  # noqa: BLE001 - leave a cookie we cannot read unchanged
                    cookie = SimpleCookie()
                for name, morsel in cookie.items():
                    if _TOKEN_COOKIE.match(name):
                        with self._lock:
                            self._issued[morsel.value] = self.limiter.clock()
                        if "max-age" not in value.decode("latin-1").lower():
                            value = value + f"; Max-Age={max_age}".encode()
            out.append((key, value))
        return out

    def _drop_expired_tokens(self, scope: Scope) -> None:
        headers = scope.get("headers") or []
        if not self._issued or not any(k.lower() == b"cookie" for k, _ in headers):
            return
        now = self.limiter.clock()
        limit = self.limiter.policy.session_s
        changed = False
        new_headers = []
        for key, value in headers:
            if key.lower() != b"cookie":
                new_headers.append((key, value))
                continue
            kept = []
            for part in value.decode("latin-1").split(";"):
                name, _, token = part.strip().partition("=")
                if _TOKEN_COOKIE.match(name):
                    with self._lock:
                        issued = self._issued.get(token)
                        if issued is not None and now - issued > limit:
                            self._issued.pop(token, None)
                            issued = -1.0
                    if issued == -1.0:
                        changed = True
                        continue
                kept.append(part.strip())
            new_headers.append((key, "; ".join(kept).encode("latin-1")))
        if changed:
            scope["headers"] = new_headers


async def _refuse_with(send: Send, status: int, message: str, retry_after: float) -> None:
    payload = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"retry-after", str(int(retry_after) + 1).encode())]})
    await send({"type": "http.response.body", "body": payload})
