"""Units behind the server's login limits, session expiry, upload caps and upload sweeper."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from imgcheck.app.guard import UploadLimits
from imgcheck.app.login import LoginGuard, LoginLimiter, LoginPolicy
from imgcheck.app.uploads import Sweeper, UploadPolicy, UploadRegistry, sweep


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_limiter_locks_a_client_and_a_user_and_unlocks_after_the_lockout():
    clock = Clock()
    lim = LoginLimiter(LoginPolicy(client_failures=3, user_failures=5, window_s=60, lockout_s=30), clock)
    for i in range(3):
        assert lim.retry_after("1.2.3.4", f"u{i}") == 0
        lim.failed("1.2.3.4", f"u{i}")
    assert lim.retry_after("1.2.3.4", "anyone") == 30
    assert lim.retry_after("5.6.7.8", "u0") == 0
    clock.t += 31
    assert lim.retry_after("1.2.3.4", "anyone") == 0
    for i in range(5):
        lim.failed(f"10.0.0.{i}", "Mod")
    assert lim.retry_after("10.0.0.99", "mod") > 0  # user names compare case-insensitively
    lim2 = LoginLimiter(LoginPolicy(client_failures=3, window_s=60), clock)
    lim2.failed("c", "u")
    lim2.failed("c", "u")
    lim2.succeeded("c", "u")
    lim2.failed("c", "u")
    lim2.failed("c", "u")
    assert lim2.retry_after("c", "u") == 0  # success reset the count
    lim3 = LoginLimiter(LoginPolicy(client_failures=3, window_s=60), clock)
    for _ in range(2):
        lim3.failed("c", "u")
    clock.t += 61
    lim3.failed("c", "u")
    assert lim3.retry_after("c", "u") == 0  # failures outside the window are forgotten


def run_asgi(app, scope, body=b""):
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def fake_gradio(seen: list):
    async def app(scope, receive, send):
        seen.append(dict(scope))
        if scope["path"] == "/login":
            msg = await receive()
            ok = b"password=right" in msg["body"]
            headers = [(b"set-cookie", b"access-token-abc=TOKEN1; HttpOnly; Path=/")] if ok else []
            await send({"type": "http.response.start", "status": 200 if ok else 400, "headers": headers})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_login_guard_adds_max_age_and_expires_sessions_server_side():
    clock = Clock()
    seen: list = []
    guard = LoginGuard(fake_gradio(seen), LoginLimiter(LoginPolicy(session_s=100), clock))
    scope = {"type": "http", "method": "POST", "path": "/login", "client": ("9.9.9.9", 1), "headers": []}
    sent = run_asgi(guard, scope, b"username=mod&password=right")
    cookie = dict(sent[0]["headers"])[b"set-cookie"]
    assert b"Max-Age=100" in cookie
    page = {"type": "http", "method": "GET", "path": "/", "client": ("9.9.9.9", 1),
            "headers": [(b"cookie", b"other=1; access-token-abc=TOKEN1")]}
    run_asgi(guard, dict(page))
    assert b"TOKEN1" in dict(seen[-1]["headers"])[b"cookie"]
    clock.t += 101
    run_asgi(guard, dict(page))
    assert dict(seen[-1]["headers"])[b"cookie"] == b"other=1"  # the expired token is not passed on


def test_login_guard_refuses_while_locked_before_the_password_is_checked():
    seen: list = []
    guard = LoginGuard(fake_gradio(seen), LoginLimiter(LoginPolicy(client_failures=2)))
    scope = {"type": "http", "method": "POST", "path": "/login", "client": ("8.8.8.8", 1), "headers": []}
    for _ in range(2):
        assert run_asgi(guard, dict(scope), b"username=a&password=wrong")[0]["status"] == 400
    n = len(seen)
    sent = run_asgi(guard, dict(scope), b"username=a&password=right")
    assert sent[0]["status"] == 429 and len(seen) == n


def test_upload_limits_per_request_and_total(tmp_path):
    reg = UploadRegistry()
    (tmp_path / "f").write_bytes(b"x" * 900)
    reg.update([str(tmp_path / "f")])
    seen: list = []
    limits = UploadLimits(fake_gradio(seen), registry=reg, max_request=500, max_total=1000)

    def post(size: int | None):
        headers = [(b"content-length", str(size).encode())] if size is not None else []
        return run_asgi(limits, {"type": "http", "method": "POST", "path": "/gradio_api/upload",
                                 "headers": headers})[0]["status"]

    assert post(None) == 411
    assert post(600) == 413
    assert post(200) == 507  # 900 stored + 200 > 1000
    assert post(100) == 200
    assert reg._reserved == 0  # released after the request


def test_sweep_deletes_unchecked_uploads_and_empty_folders_but_not_held_or_kept_ones(tmp_path):
    root = tmp_path / "uploads"
    reg = UploadRegistry()
    paths = {}
    for name in ("stale", "held", "kept", "fresh"):
        d = root / (f"{name}".encode().hex() * 8)[:64]
        d.mkdir(parents=True)
        paths[name] = d / f"{name}.jpg"
        paths[name].write_bytes(b"x")
    reg.update([str(p) for p in paths.values()])
    (root / ("ab" * 32)).mkdir()
    (root / "vibe_edit_history").mkdir()  # Gradio's own folder: kept even when empty
    old = time.time() - 60
    for d in ("ab" * 32, "vibe_edit_history"):
        os.utime(root / d, (old, old))
    policy = UploadPolicy(root=root, registry=reg)
    held = policy.received([str(paths["held"])])
    later = time.monotonic() + 61
    reg._added[os.path.realpath(paths["fresh"])] = later  # uploaded just now
    n = sweep(reg, root, 60, keep=lambda: [str(paths["kept"])], now=later)
    assert n == 1 and not paths["stale"].exists()
    assert paths["held"].exists() and paths["kept"].exists() and paths["fresh"].exists()
    assert not (root / ("ab" * 32)).exists() and (root / "vibe_edit_history").exists()
    policy.discard(held)
    assert not paths["held"].exists() and not paths["held"].parent.exists()
    assert Path(root).exists()


def test_a_short_ttl_sweeps_empty_upload_folders_within_the_ttl_and_a_long_one_waits(tmp_path):
    root = tmp_path / "uploads"
    young, old = root / ("cd" * 32), root / ("ef" * 32)
    young.mkdir(parents=True)
    old.mkdir()
    t = time.time() - 3  # emptied 3 s ago: past a 2 s TTL, well within the 10 s grace of the default one
    for d in (young, old):
        os.utime(d, (t, t))
    long_ttl = Sweeper(UploadRegistry(), root, 60, every=0.2).start()
    time.sleep(1.0)
    long_ttl.stop()
    assert young.exists() and old.exists()  # a 60 s TTL keeps a folder emptied 3 s ago
    short_ttl = Sweeper(UploadRegistry(), root, 2).start()
    try:
        deadline = time.monotonic() + 10
        while (young.exists() or old.exists()) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        short_ttl.stop()
    assert not young.exists() and not old.exists()
    assert root.exists()
