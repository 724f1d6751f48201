"""Privacy, access and load of ``imgcheck serve`` (and no network use by ``check``/``scan``).

Two real servers run for the module, each in a subprocess with the network guard (tests/netguard):
one with ``--auth``, one ``--public``. The tests prove: no outbound connection (startup, requests,
hostile requests); uploads gone from disk after every request; ``/gradio_api/file=`` traversal and
reads outside the app's own files refused; remote URLs never fetched; bank editing and batch refused
without login and absent in public mode; and under load (20 concurrent gradio_client clients) no
failed request and flat memory.
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import hostile_corpus
import httpx
import pytest
from PIL import Image
from served import (
    REPO,
    Server,
    guarded_env,
    make_bank,
    outbound_attempts,
    start_servers,
)

FIXTURES = REPO / "tests" / "fixtures"
USER, PASSWORD = "moderator", "correct horse battery"
SECRET = "TOPSECRET-imgcheck-7f3a"


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """Files outside the app: a secret text and a real photo nobody uploaded."""
    d = tmp_path_factory.mktemp("outside")
    (d / "secret.txt").write_text(SECRET)
    (d / "private_photo.jpg").write_bytes((FIXTURES / "biden.jpg").read_bytes())
    return d


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> dict[str, Server]:
    """Both servers, started in parallel (each takes a while to import Gradio)."""
    root = tmp_path_factory.mktemp("serve")
    bank_auth = make_bank(root / "auth_bank.sqlite", FIXTURES)
    bank_public = make_bank(root / "public_bank.sqlite", FIXTURES)
    started = start_servers({
        "auth": (root / "auth", bank_auth, ("--auth", f"{USER}:{PASSWORD}")),
        "public": (root / "public", bank_public, ("--public",)),
    })
    yield started
    # after every test that used the servers, whatever order they ran in: startup, every request,
    # hostile ones included, and the load runs made no outbound connection
    for name, server in started.items():
        assert outbound_attempts(server.tmp) == [], name
    for s in started.values():
        s.stop()
        # serve removes its temporary folder (uploads, reports) on exit
        assert not list((s.tmp / "tmp").glob("imgcheck-serve-*")), f"{s.url} left its temporary folder"


@pytest.fixture(scope="module")
def auth_client(servers):
    from gradio_client import Client

    s = servers["auth"]
    return Client(s.url, auth=(USER, PASSWORD), verbose=False, download_files=str(s.tmp / "downloads"))


@pytest.fixture(scope="module")
def public_client(servers):
    from gradio_client import Client

    s = servers["public"]
    return Client(s.url, verbose=False, download_files=str(s.tmp / "downloads"))


def http(server: Server, login: bool) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=120)
    if login:
        r = c.post("/login", data={"username": USER, "password": PASSWORD})
        assert r.status_code == 200, r.text
    return c


def call(c: httpx.Client, api: str, data: list) -> tuple[int, str]:
    """Gradio's two-step HTTP API: POST the call, then read its event stream."""
    r = c.post(f"/gradio_api/call/{api}", json={"data": data})
    if r.status_code != 200:
        return r.status_code, r.text
    r2 = c.get(f"/gradio_api/call/{api}/{r.json()['event_id']}")
    return r2.status_code, r2.text


def sha_of(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# -- no network -----------------------------------------------------------------------------------
def test_check_and_scan_make_no_outbound_connection(tmp_path):
    """``imgcheck check`` with the default bank (it builds the example bank first) and ``scan``."""
    env = guarded_env(tmp_path)
    files = [str(FIXTURES / f) for f in ("obama2.jpg", "coffee.png", "astronaut.png")]
    proc = subprocess.run(
        [sys.executable, "-m", "imgcheck.cli", "check", "--json", *files],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout.splitlines()) == 3
    folder = tmp_path / "photos"
    folder.mkdir()
    for f in files:
        (folder / Path(f).name).write_bytes(Path(f).read_bytes())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "imgcheck.cli",
            "scan",
            str(folder),
            "--out",
            str(tmp_path / "report.jsonl"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len((tmp_path / "report.jsonl").read_text().splitlines()) == 3
    assert outbound_attempts(tmp_path) == []


def test_the_guard_itself_sees_outbound_attempts(tmp_path):
    """The guard used above must be able to fail: a child that tries to connect out is recorded."""
    env = guarded_env(tmp_path)
    code = (
        "import socket, urllib.request\n"
        "try: urllib.request.urlopen('http://example.com', timeout=2)\n"
        "except Exception: pass\n"
        "try: socket.create_connection(('192.0.2.1', 80), timeout=2)\n"
        "except Exception: pass\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, timeout=60, check=False)
    kinds = [a["kind"] for a in outbound_attempts(tmp_path)]
    assert "dns" in kinds and "connect" in kinds


REMOTE = [
    "http://example.com/a.jpg",
    "https://93.184.216.34/x.png",
    "http%3A%2F%2Fexample.com%2Fa.jpg",
    "ftp://example.com/a.jpg",
    "HTTP://169.254.169.254/latest/meta-data/",
]


def test_remote_urls_are_never_fetched(servers):
    """Gradio would download URLs named in file= routes or in API file arguments; the app refuses."""
    for name, server in servers.items():
        c = http(server, login=name == "auth")
        for url in REMOTE:
            assert c.get(f"/gradio_api/file={url}").status_code == 403, url
            status, text = call(c, "check", [{"path": url, "url": url, "meta": {"_type": "gradio.FileData"}}])
            assert status == 403 or "event: error" in text, (url, status, text[:200])
        # an escaped scheme is still a URL once JSON is decoded
        r = c.post(
            "/gradio_api/call/check",
            content=b'{"data": [{"path": "\\u0068ttp://example.com/a.jpg", '
            b'"meta": {"_type": "gradio.FileData"}}]}',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 403
        assert outbound_attempts(server.tmp) == [], name


# -- access ---------------------------------------------------------------------------------------
def traversal_paths(server: Server, outside: Path) -> list[str]:
    secret = outside / "secret.txt"
    up = next((server.tmp / "tmp").glob("imgcheck-serve-*")) / "uploads"
    rel = "../" * 12 + str(secret).lstrip("/")
    return [
        str(secret),
        "/etc/passwd",
        str(server.bank),
        str(REPO / "README.md"),
        str(REPO / "imgcheck/cli.py"),
        rel,
        rel.replace("/", "%2f"),
        rel.replace("../", "%2e%2e/"),
        rel.replace("../", "%252e%252e%252f"),
        rel.replace("/", "\\"),
        f"{up}/{rel}",
        f"{up}/../../../../{secret}",
        "//" + str(secret).lstrip("/"),
        "file://" + str(secret),
        "~/.bashrc",
        str(outside / "private_photo.jpg"),
        str(server.log_path),
    ]


def test_file_route_refuses_traversal_and_outside_files(servers, outside):
    for name, server in servers.items():
        for login in {True, False} if name == "auth" else {False}:
            c = http(server, login)
            for p in traversal_paths(server, outside):
                for prefix in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
                    r = c.get(prefix + p)
                    assert r.status_code in (400, 401, 403, 404), (name, login, prefix + p, r.status_code)
                    assert SECRET.encode() not in r.content and b"root:x:0" not in r.content
                    assert b"SQLite format" not in r.content and b"\xff\xd8\xff" not in r.content[:3]


def test_api_file_arguments_outside_uploads_are_refused(servers, outside):
    """A FileData argument naming a server file (not an upload) must not be read or checked."""
    photo = outside / "private_photo.jpg"
    digest = sha_of(photo)
    for name, server in servers.items():
        c = http(server, login=name == "auth")
        for value in (
            {"path": str(photo), "meta": {"_type": "gradio.FileData"}},
            str(photo),
            {"path": str(photo)},
            {
                "path": f"{photo}",
                "orig_name": "x.jpg",
                "meta": {"_type": "gradio.FileData"},
                "is_stream": False,
            },
        ):
            for api in ("check", "check_view"):
                status, text = call(c, api, [value])
                assert digest not in text and "Joe Biden" not in text, (api, value)
                assert "event: complete" not in text or '"verdict": "error"' in text, (api, value, text[:300])
        status, text = call(c, "profile", [[{"path": str(photo), "meta": {"_type": "gradio.FileData"}}]])
        assert digest not in text
    assert photo.exists()


def test_bank_and_batch_need_login_when_auth_is_on(servers):
    server = servers["auth"]
    from imgcheck.bank.store import BankStore

    def count() -> int:
        store = BankStore(server.bank)
        try:
            return store.count()
        finally:
            store.close()

    before = count()
    anon = http(server, login=False)
    for api, data in [
        ("bank_add", [[], "x", "celebrity"]),
        ("bank_remove", ["1"]),
        ("bank_list", []),
        ("bank_export", []),
        ("bank_import", [None, "other"]),
        ("batch", [[]]),
        ("check", [None]),
    ]:
        status, text = call(anon, api, data)
        assert status == 401, (api, status, text[:200])
    assert anon.get("/gradio_api/info").status_code == 401
    assert count() == before
    # logged in, the same calls work (so the refusals above are about the login)
    c = http(server, login=True)
    status, text = call(c, "bank_remove", [str(before)])
    assert status == 200 and "event: complete" in text, text[:300]
    assert count() == before - 1


def test_public_mode_has_no_bank_and_no_batch(servers, public_client):
    server = servers["public"]
    endpoints = set(public_client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/check", "/profile"} <= endpoints
    assert not {e for e in endpoints if e.startswith(("/bank", "/batch"))}, endpoints
    for api in ("bank_add", "bank_remove", "bank_list", "bank_export", "bank_import", "batch"):
        c = http(server, login=False)  # Gradio closes the connection after its 500
        status, text = call(c, api, [])
        # Gradio answers an unknown api_name with 500 (its own KeyError) or 404: either way, no such endpoint
        assert status in (404, 422, 500) or "event: error" in text, (api, status, text[:200])
    c = http(server, login=False)
    page = c.get("/").text + c.get("/config").text
    assert "Add to the bank" not in page and "batch-table" not in page


def test_public_upload_size_cap(servers):
    """The public demo refuses uploads over 20 MB before they reach any handler."""
    c = http(servers["public"], login=False)
    big = b"\xff\xd8\xff" + bytes(21 * 1024 * 1024)
    r = c.post("/gradio_api/upload", files={"files": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert not [p for p in servers["public"].temp_files() if p.stat().st_size > 20 * 1024 * 1024]


# -- uploads --------------------------------------------------------------------------------------
def test_uploads_are_gone_after_each_request(servers, auth_client, public_client, tmp_path):
    """After every request (good image, bad image, profile, batch with hostile zips, bank add),
    no file under the server's temporary folders has the content of anything uploaded."""
    from gradio_client import handle_file

    uploads: dict[str, Path] = {}
    for f in ("grace_hopper.jpg", "chelsea.png", "obama3.jpg", "rocket.jpg"):
        uploads[f] = tmp_path / f"privacy_{f}"
        uploads[f].write_bytes((FIXTURES / f).read_bytes())
    bad = tmp_path / "avatar.png"
    bad.write_text("<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    zips = {c.name: c for c in hostile_corpus.zip_cases()}
    for name in ("zip_traversal", "zip_bomb"):
        (tmp_path / zips[name].filename).write_bytes(zips[name].data)
    sent = {sha_of(p) for p in [*uploads.values(), bad]} | {
        hashlib.sha256(z.data).hexdigest() for z in zips.values()
    }

    def assert_clean(server: Server, what: str) -> None:
        left = [p for p in server.temp_files() if sha_of(p) in sent]
        assert left == [], f"after {what}: {left}"

    requests = [
        (public_client, "public", "/check", (handle_file(str(uploads["grace_hopper.jpg"])),)),
        (public_client, "public", "/check", (handle_file(str(bad)),)),
        (public_client, "public", "/check_view", (handle_file(str(uploads["chelsea.png"])),)),
        (
            public_client,
            "public",
            "/profile",
            ([handle_file(str(uploads["obama3.jpg"])), handle_file(str(uploads["rocket.jpg"]))],),
        ),
        (auth_client, "auth", "/check", (handle_file(str(uploads["chelsea.png"])),)),
        (
            auth_client,
            "auth",
            "/batch",
            (
                [
                    handle_file(str(tmp_path / zips["zip_traversal"].filename)),
                    handle_file(str(uploads["rocket.jpg"])),
                ],
            ),
        ),
        (auth_client, "auth", "/batch", ([handle_file(str(tmp_path / zips["zip_bomb"].filename))],)),
        (
            auth_client,
            "auth",
            "/bank_add",
            ([handle_file(str(uploads["grace_hopper.jpg"]))], "Grace Hopper", "celebrity"),
        ),
    ]
    for client, name, api, args in requests:
        try:
            result = client.predict(*args, api_name=api)
        except Exception as exc:  # noqa: BLE001 - a refusal is fine here; what matters is the disk
            result = exc
        if api == "/check" and args[0]["path"] == str(bad):  # the app's message for a hostile file
            assert result["verdict"] == "error" and "SVG" in result["error"], result
        if api == "/batch" and not isinstance(result, Exception):
            summary, table = result[0], result[1]
            rows = table["data"] if isinstance(table, dict) else table
            files = [str(r[0]) for r in rows]
            for good in ("good/a.jpg", "good/b.png"):  # every good member of a hostile zip is reported
                assert any(good in f for f in files), (summary, files)
        assert_clean(servers[name], f"{api} on the {name} server")
    # nothing a zip named ../../evil.jpg was written anywhere near the servers
    root = servers["auth"].tmp.parent
    assert not [p for p in root.rglob("evil*")], "a zip member escaped its folder"


# -- load -----------------------------------------------------------------------------------------
def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


#: the photos of the load runs: two portraits (faces, bank matches) and two others
LOAD_PHOTOS = tuple(str(FIXTURES / f) for f in ("obama2.jpg", "coffee.png", "grace_hopper.jpg", "chelsea.png"))


def small_copies(folder: Path, side: int = 160) -> list[str]:
    """The load photos at ``side`` px: every check still runs on them (faces found, hashes, metadata)
    except the pixel detector, which abstains under 224 px; a request costs a fraction of a full one."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for p in LOAD_PHOTOS:
        im = Image.open(p).convert("RGB")
        im.thumbnail((side, side))
        im.save(folder / (Path(p).stem + "_small.png"))
        out.append(str(folder / (Path(p).stem + "_small.png")))
    return out


def run_load(server: Server, clients: int, seconds: float, min_requests: int, cap_seconds: float,
             photos: tuple[str, ...] | list[str] = LOAD_PHOTOS) -> dict:
    """``clients`` gradio_client clients call /check in a loop for ``seconds`` (longer, up to
    ``cap_seconds``, until ``min_requests`` are done) on ``photos`` in turn; returns latencies,
    failures and server memory."""
    from gradio_client import Client, handle_file

    pid = server.proc.pid
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []
    marks: dict[int, float] = {}
    done = 0
    # a request "fails" when the server fails it, not when a client on a crowded machine stops waiting
    # (gradio_client's default read timeout is 20 s)
    conns = [
        Client(
            server.url,
            verbose=False,
            download_files=str(server.tmp / "downloads"),
            httpx_kwargs={"timeout": 300},
        )
        for _ in range(clients)
    ]
    start = time.monotonic()

    def keep_going() -> bool:
        elapsed = time.monotonic() - start
        return elapsed < seconds or (done < min_requests and elapsed < cap_seconds)

    def worker(i: int) -> None:
        nonlocal done
        k = i
        while keep_going():
            t0 = time.perf_counter()
            try:
                report = conns[i].predict(handle_file(photos[k % len(photos)]), api_name="/check")
                ok = isinstance(report, dict) and report.get("verdict") in ("clear", "flagged", "suspicious")
                why = "" if ok else f"odd report {str(report)[:120]}"
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                ok, why = False, f"{type(exc).__name__}: {exc}"[:200]
            dt = time.perf_counter() - t0
            k += 1
            with lock:
                done += 1
                if ok:
                    latencies.append(dt)
                else:
                    failures.append(why)
                if done in (40, 100, 250, 500, 750, 1000, 1500, 2000):
                    marks[done] = rss_mb(pid)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    lat = sorted(latencies)
    return {
        "requests": done,
        "failed": len(failures),
        "failures": failures[:5],
        "seconds": elapsed,
        "p50_ms": 1000 * statistics.median(lat) if lat else None,
        "p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))] if lat else None,
        "rss_at_40": marks.get(40),
        "rss_at_100": marks.get(100),
        "rss_at_1000": marks.get(1000),
        "rss_end": rss_mb(pid),
        "peak_rss": rss_mb(pid, "VmHWM"),
        "rss_marks": {n: round(v) for n, v in sorted(marks.items())},
    }


def print_load(title: str, r: dict) -> None:
    print(
        f"\n{title}: {r['requests']} requests in {r['seconds']:.0f} s by 20 clients, {r['failed']} failed; "
        f"latency p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms; server RSS after 100 requests "
        f"{r['rss_at_100'] or float('nan'):.0f} MB, after 1000 {r['rss_at_1000'] or float('nan'):.0f} MB, "
        f"at the end {r['rss_end']:.0f} MB, peak {r['peak_rss']:.0f} MB; RSS (MB) by requests done "
        f"{r['rss_marks']}"
    )


def test_load_short(servers, tmp_path):
    """Default-run variant, by count (not by time): 20 concurrent clients, 3 requests each (60) on
    loopback: no failed request, memory flat from the 40th request to the last. One request in four is
    a full-size photo (every check, the pixel detector included), the others the same photos at 160 px
    (0.017 CPU s per check instead of 0.23: that detector abstains). test_load_full (slow) runs 1,000
    full-size requests."""
    photos = small_copies(tmp_path)
    photos[0] = LOAD_PHOTOS[0]
    r = run_load(servers["public"], clients=20, seconds=0, min_requests=60, cap_seconds=180, photos=photos)
    print_load("load (short)", r)
    assert r["failed"] == 0, r["failures"]
    assert r["requests"] >= 60
    assert r["rss_end"] <= 1.10 * r["rss_at_40"] + 20, r  # 20 MB slack for allocator noise on short runs
    assert outbound_attempts(servers["public"].tmp) == []


@pytest.mark.slow
def test_load_full(servers):
    """20 concurrent clients for 60 s (longer until 1,000 requests): 0 failed, memory after 1,000
    requests within 10% of memory after 100."""
    r = run_load(servers["public"], clients=20, seconds=60, min_requests=1000, cap_seconds=900)
    print_load("load (full)", r)
    assert r["failed"] == 0, r["failures"]
    assert r["requests"] >= 1000
    assert r["rss_at_1000"] <= 1.10 * r["rss_at_100"], r


def test_hma_matcher_api_is_served_behind_the_login_and_never_public(servers):
    """imgcheck serve --auth answers HMA 2.0's matcher routes (tests/test_hma_api.py has the shapes)."""
    server = servers["auth"]
    c = httpx.Client(base_url=server.url, timeout=120)
    assert c.get("/c/banks").status_code == 401
    c.auth = (USER, PASSWORD)
    assert {b["name"] for b in c.get("/c/banks").json()} == {"CELEBRITY", "KNOWN_SCAM", "OTHER"}
    with open(FIXTURES / "obama.jpg", "rb") as fh:
        r = c.post("/m/lookup", files={"photo": ("obama.jpg", fh, "image/jpeg")})
    assert r.status_code == 200 and r.json()["pdq"]["CELEBRITY"][0]["distance"] == "0", r.text
    public = httpx.Client(base_url=servers["public"].url, timeout=120, auth=(USER, PASSWORD))
    r = public.get("/c/banks")
    assert r.status_code in (404, 405) or "CELEBRITY" not in r.text, r.text[:200]
    r = public.post("/c/bank/KNOWN_SCAM/signal", json={"pdq": "0" * 64})
    assert r.status_code != 200 or '"id"' not in r.text
