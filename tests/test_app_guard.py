"""The app's offline guard (no remote fetches) and upload bookkeeping, as plain functions."""

from __future__ import annotations

import asyncio
import json

import pytest

from imgcheck.app.guard import OfflineGuard, is_remote, remote_reference
from imgcheck.app.uploads import Upload, UploadPolicy, UploadRegistry
from imgcheck.errors import InputError


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com/a.jpg",
        "HTTPS://x",
        "ftp://h/f",
        "file:///etc/passwd",
        "http%3A%2F%2Fexample.com",
        "http%253A%252F%252Fx",
        " http://x",
        "http:\\\\x",
    ],
)
def test_remote_values(value):
    assert is_remote(value)


@pytest.mark.parametrize("value", ["/tmp/gradio/abc/photo.jpg", "photo.jpg", "C:photo", "", "http-photo.jpg"])
def test_local_values(value):
    assert not is_remote(value)


def test_remote_reference_walks_nested_json():
    body = {
        "data": [
            None,
            [
                {"path": "/tmp/x.jpg", "url": "http://127.0.0.1/gradio_api/file=/tmp/x.jpg"},
                {"meta": {}, "path": "https://evil/x.jpg"},
            ],
        ]
    }
    assert remote_reference(body) == "https://evil/x.jpg"
    assert remote_reference({"data": [{"path": "/tmp/x.jpg", "url": "http://127.0.0.1/x"}]}) is None


def run_asgi(app, method: str, path: str, body: bytes = b"", content_type: bytes = b"application/json"):
    sent: list[dict] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "headers": [(b"content-type", content_type)],
        "query_string": b"",
    }
    asyncio.run(app(scope, receive, send))
    return sent


def test_guard_refuses_remote_and_passes_the_rest():
    seen: list[bytes] = []

    async def inner(scope, receive, send):
        msg = await receive()
        seen.append(msg.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guard = OfflineGuard(inner)
    assert run_asgi(guard, "GET", "/gradio_api/file=http://example.com/x")[0]["status"] == 403
    assert run_asgi(guard, "GET", "/gradio_api/file=http%3A//example.com/x")[0]["status"] == 403
    assert run_asgi(guard, "GET", "/gradio_api/file=/tmp/gradio/x.jpg")[0]["status"] == 200
    bad = json.dumps({"data": [{"path": "http://example.com/a.jpg", "meta": {"_type": "gradio.FileData"}}]})
    assert run_asgi(guard, "POST", "/gradio_api/call/check", bad.encode())[0]["status"] == 403
    escaped = b'{"data": [{"path": "\\u0068ttps://example.com/a.jpg"}]}'
    assert run_asgi(guard, "POST", "/gradio_api/call/check", escaped)[0]["status"] == 403
    good = json.dumps(
        {"data": [{"path": "/tmp/gradio/a.jpg", "meta": {"_type": "gradio.FileData"}}]}
    ).encode()
    assert run_asgi(guard, "POST", "/gradio_api/call/check", good)[0]["status"] == 200
    assert seen[-1] == good  # the body reaches Gradio unchanged
    assert (
        run_asgi(guard, "POST", "/gradio_api/upload", b"--x--", b"multipart/form-data; boundary=x")[0][
            "status"
        ]
        == 200
    )
    assert (
        run_asgi(OfflineGuard(inner, max_body=10), "POST", "/gradio_api/call/check", good)[0]["status"] == 413
    )


def test_uploads_outside_the_root_are_refused(tmp_path):
    root = tmp_path / "uploads"
    (root / "abc").mkdir(parents=True)
    (root / "abc" / "a.jpg").write_bytes(b"x")
    policy = UploadPolicy(root=root)
    assert policy.received({"path": str(root / "abc" / "a.jpg")})[0].name == "a.jpg"
    for outside in (tmp_path / "secret.jpg", root / ".." / "secret.jpg", root):
        with pytest.raises(InputError, match="only files uploaded"):
            policy.received(str(outside))
    assert UploadPolicy().received(str(tmp_path / "any.jpg"))  # library use: no root, no check


def test_same_photo_uploaded_twice_is_deleted_after_the_second_request(tmp_path):
    root = tmp_path / "uploads"
    f = root / "sha" / "photo.jpg"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"jpeg")
    registry = UploadRegistry()
    policy = UploadPolicy(root=root, registry=registry)
    registry.update([str(f)])  # user A uploads
    registry.update([str(f)])  # user B uploads the same photo: same path
    assert policy.discard([Upload(str(f), "photo.jpg")]) == 0  # A is done: B still needs it
    assert f.exists()
    assert policy.discard([Upload(str(f), "photo.jpg")]) == 1  # B is done
    assert not f.exists() and str(f) not in registry
