"""Nothing kept and nothing open that should not be, on real servers (round 2 of the hardening).

Run history off with its routes gone; uploads nobody checked deleted after the TTL (3 s here, 60 s by
default) with no empty folders left; a cap per upload request (multi-file requests included) and on
the total upload storage of ``--public``; failed-login limits with lockout and expiring session
cookies; 404 with one log line for endpoints that do not exist; a warning when serving beyond
loopback without a login; ``serve --help`` wording.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from served import REPO, Server, free_port, make_bank, start_servers

FIXTURES = REPO / "tests" / "fixtures"
USERS = {"mod": "correct horse battery", "other": "staple battery horse"}
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> dict[str, Server]:
    root = tmp_path_factory.mktemp("serve2")
    auth_file = root / "users.txt"
    auth_file.write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
    started = start_servers({
        "public": (root / "public", make_bank(root / "public.sqlite", FIXTURES), ("--public", "--upload-ttl", "3")),
        "auth": (root / "auth", make_bank(root / "auth.sqlite", FIXTURES), ("--auth-file", str(auth_file))),
    })
    for s in started.values():
        BASELINE[s.url] = set(stored(s))
        assert all(p.parent.parent == upload_root(s) for p in BASELINE[s.url])
    yield started
    for s in started.values():
        s.stop()


def upload_root(server: Server) -> Path:
    roots = list((server.tmp / "tmp").glob("imgcheck-serve-*/uploads"))
    assert len(roots) == 1
    return roots[0]


#: files in the upload folder that are the app's own (example photos Gradio caches there), by server
BASELINE: dict[str, set[Path]] = {}


def stored(server: Server) -> list[Path]:
    """Files in the upload folder, less the example photos Gradio cached at start."""
    root = upload_root(server)
    files = {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    return sorted(files - BASELINE.get(server.url, set()))


def empty_dirs(server: Server) -> list[Path]:
    root = upload_root(server)
    # upload folders are named by a hash; Gradio's own folders (vibe_edit_history) may stay empty
    return ([p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"[0-9a-f]{32,128}", p.name)
             and not any(p.iterdir())] if root.exists() else [])


def wait_until(cond, timeout: float = 40.0, every: float = 0.5) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(every)
    return cond()


def upload(url: str, files: list[tuple[str, bytes]], **kw) -> httpx.Response:
    return httpx.post(url + "/gradio_api/upload", files=[("files", (n, b, "image/jpeg")) for n, b in files],
                      timeout=60, **kw)


# -- run history ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["public", "auth"])
def test_run_history_is_off_and_its_routes_are_gone(servers, name):
    s = servers[name]
    cookies = login(s, "mod") if name == "auth" else None
    config = httpx.get(s.url + "/config", cookies=cookies, timeout=30).json()
    assert config["run_history"] is False
    hdr = {"x-gradio-history-bucket": "someone/bucket", "authorization": "Bearer hf_fake"}
    for path in ("/gradio_api/runs", "/gradio_api/runs/", "/gradio_api/run-history/records",
                 "/gradio_api/run-history/buckets", "/gradio_api/deep_link?session_hash=x"):
        assert httpx.get(s.url + path, headers=hdr, cookies=cookies, timeout=30).status_code == 404, path
    r = httpx.post(s.url + "/gradio_api/run-history/connect", json={"bucket_id": "a/b"}, headers=hdr,
                   cookies=cookies, timeout=30)
    assert r.status_code == 404


# -- uploads ------------------------------------------------------------------------------------------
def test_an_upload_nobody_checks_is_deleted_and_leaves_no_folder(servers):
    s = servers["public"]
    r = upload(s.url, [("never-checked.jpg", (FIXTURES / "biden.jpg").read_bytes())])
    assert r.status_code == 200, r.text
    path = Path(r.json()[0])
    assert wait_until(path.exists, 10)
    assert wait_until(lambda: not path.exists(), 40), "an unchecked upload outlived its TTL"
    assert wait_until(lambda: not empty_dirs(s), 40), empty_dirs(s)


def test_a_checked_upload_leaves_nothing(servers):
    from gradio_client import Client, handle_file

    s = servers["public"]
    report = Client(s.url, verbose=False).predict(handle_file(str(FIXTURES / "obama.jpg")), api_name="/check")
    assert report["verdict"] == "flagged"
    assert wait_until(lambda: not stored(s) and not empty_dirs(s), 40), (stored(s), empty_dirs(s))


def test_a_multi_file_request_is_capped_in_total(servers):
    s = servers["public"]
    before = set(stored(s))
    blob = os.urandom(19 * MiB)
    r = upload(s.url, [(f"part{i}.jpg", blob) for i in range(4)])  # 76 MiB: each file under 20 MiB
    assert r.status_code == 413 and "per request" in r.text, r.text
    assert set(stored(s)) <= before


def test_public_upload_storage_is_capped(servers):
    s = servers["public"]
    assert wait_until(lambda: not stored(s), 40)
    blob = os.urandom(19 * MiB)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        r = upload(s.url, [(f"big{i}.jpg", blob[:-1] + bytes([i]))])
        with lock:
            results.append(r)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    full = [r for r in results if r.status_code == 507]
    assert full and all("upload space is full" in r.text for r in full), codes
    assert codes.count(200) <= 10  # 200 MiB cap / 19 MiB files
    # the unchecked ones expire, and the space is free again
    assert wait_until(lambda: not stored(s), 40)
    assert upload(s.url, [("again.jpg", blob)]).status_code == 200


def test_upload_without_a_length_is_refused(servers):
    s = servers["public"]
    body = b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpg\"\r\n\r\nabc\r\n--x--\r\n"

    def chunks():
        yield body

    r = httpx.post(s.url + "/gradio_api/upload", content=chunks(),
                   headers={"content-type": "multipart/form-data; boundary=x"}, timeout=30)
    assert r.status_code == 411


# -- unknown endpoints --------------------------------------------------------------------------------
def test_unknown_endpoints_are_404_with_one_log_line(servers):
    s = servers["public"]
    before = s.log().count("\n")
    calls = [("POST", "/gradio_api/call/bank_add", {"data": []}),
             ("POST", "/gradio_api/run/bank_add", {"data": []}),
             ("POST", "/gradio_api/queue/join", {"data": [], "fn_index": 999, "session_hash": "x"}),
             ("POST", "/gradio_api/call/nope", {"data": []})]
    for method, path, body in calls:
        r = httpx.request(method, s.url + path, json=body, timeout=30)
        assert r.status_code == 404, (path, r.status_code, r.text)
    time.sleep(1)
    log = s.log()
    added = log.count("\n") - before
    assert added <= len(calls), log[-3000:]
    assert "Traceback" not in log


# -- login ---------------------------------------------------------------------------------------------
def client_at(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def try_login(s: Server, user: str, password: str, address: str = "127.0.0.1") -> httpx.Response:
    with client_at(address) as c:
        return c.post(s.url + "/login", data={"username": user, "password": password})


def login(s: Server, user: str, address: str = "127.0.0.1") -> httpx.Cookies:
    r = try_login(s, user, USERS[user], address)
    assert r.status_code == 200, r.text
    return r.cookies


def test_login_cookies_expire(servers):
    r = try_login(servers["auth"], "mod", USERS["mod"], "127.0.0.20")
    assert r.status_code == 200
    cookies = r.headers.get_list("set-cookie")
    assert cookies and all("Max-Age=43200" in c for c in cookies if c.startswith("access-token")), cookies


def test_failed_logins_lock_out_the_client(servers):
    s = servers["auth"]
    for i in range(5):
        assert try_login(s, f"guess{i}", "wrong", "127.0.0.30").status_code == 400
    r = try_login(s, "other", USERS["other"], "127.0.0.30")  # even the right password
    assert r.status_code == 429 and "Too many failed logins" in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 0
    assert try_login(s, "other", USERS["other"], "127.0.0.31").status_code == 200  # other clients still can


def test_failed_logins_lock_out_the_user_across_clients(servers):
    s = servers["auth"]
    n = 0
    for addr in ("127.0.0.40", "127.0.0.41", "127.0.0.42"):
        for _ in range(4):
            if n == 10:
                break
            assert try_login(s, "mod", "wrong", addr).status_code == 400
            n += 1
    r = try_login(s, "mod", USERS["mod"], "127.0.0.43")  # a fresh client, the right password
    assert r.status_code == 429, r.text
    assert try_login(s, "other", USERS["other"], "127.0.0.43").status_code == 200


def test_hma_basic_logins_share_the_lockout(servers):
    s = servers["auth"]
    with client_at("127.0.0.50") as c:
        for _ in range(5):
            assert c.get(s.url + "/c/banks", auth=("other", "wrong")).status_code == 401
        r = c.get(s.url + "/c/banks", auth=("other", USERS["other"]))
        assert r.status_code == 429 and "too many failed logins" in r.text
        assert c.post(s.url + "/login", data={"username": "other", "password": USERS["other"]}).status_code == 429
    with client_at("127.0.0.51") as c:
        assert c.get(s.url + "/c/banks", auth=("other", USERS["other"])).status_code == 200


# -- the command line ----------------------------------------------------------------------------------
def test_serving_beyond_loopback_without_a_login_warns(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_CACHE_HOME=str(tmp_path / "c"),
               COLUMNS="300")
    p = subprocess.Popen([sys.executable, "-m", "imgcheck.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    try:
        err = ""
        end = time.monotonic() + 120
        while time.monotonic() < end and "warning:" not in err:
            line = p.stderr.readline()
            if not line:
                break
            err += line
    finally:
        p.kill()
        p.wait()
    assert "warning: serving on 0.0.0.0 without --auth or --public" in err, err


def test_serve_help_describes_auth_as_the_readme_does():
    p = subprocess.run([sys.executable, "-m", "imgcheck.cli", "serve", "--help"], capture_output=True, text=True,
                       env=dict(os.environ, COLUMNS="200"), cwd=REPO, timeout=120)
    text = " ".join(p.stdout.split())
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "the whole app needs a login" in text
    assert "the whole app needs a login" in readme
    assert "bank and batch need a login" not in text
    assert "--upload-ttl" not in text
