"""The app as users and scripts meet it: ``imgcheck serve`` in a subprocess, driven through
``gradio_client`` (every endpoint, results compared with the CLI's) and through a real headless
Chromium (Playwright with Debian's /usr/bin/chromium; no browser is downloaded).

Screenshots go to the test's temporary folder (nothing is written into the repository); with ``IMGCHECK_DOCS_SCREENSHOTS=1`` the tab screenshots are
also written to ``docs/img/`` (that is how the README's pictures are made).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest
from served import launch_on_free_port

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
DOCS_IMG = REPO / "docs" / "img"
DOCS_SHOTS = {"app-check", "app-profile", "app-batch", "app-bank",  # one per tab, for the README
              "app-check-fr"}  # the French page, for the README
CHROMIUM = Path("/usr/bin/chromium")
USER, PASSWORD = "moderator", "correct horse battery"
IGNORED = {"source", "timings_ms"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def strip(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in IGNORED}


class Served:
    def __init__(self, url: str, bank: Path, env: dict[str, str], tmp: Path) -> None:
        self.url, self.bank, self.env, self.tmp = url, bank, env, tmp

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "imgcheck.cli", *args],
            check=False,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=REPO,
            timeout=300,
        )

    def upload_files(self) -> list[Path]:
        return [p for p in self.tmp.glob("imgcheck-serve-*/uploads/**/*") if p.is_file()]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from imgcheck import Engine

    tmp = tmp_path_factory.mktemp("served")
    bank = tmp / "bank.sqlite"
    eng = Engine(bank=bank)
    for f, label in [
        ("obama.jpg", "Barack Obama"),
        ("biden.jpg", "Joe Biden"),
        ("grace_hopper.jpg", "Grace Hopper"),
        ("astronaut.png", "Eileen Collins"),
    ]:
        eng.add_to_bank(FIXTURES / f, label, "celebrity", f"tests/fixtures/{f}")
    eng.bank.close()
    env = dict(
        os.environ,
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        TMPDIR=str(tmp),
        GRADIO_ANALYTICS_ENABLED="False",
    )
    proc, port = launch_on_free_port(
        [sys.executable, "-m", "imgcheck.cli", "serve", "--bank", str(bank), "--auth", f"{USER}:{PASSWORD}"],
        tmp / "serve.log", env, REPO)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            raise RuntimeError("imgcheck serve exited: " + (tmp / "serve.log").read_text())
        try:
            with urlopen(url, timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    "imgcheck serve did not start: " + (tmp / "serve.log").read_text()
                ) from None
            time.sleep(0.5)
    yield Served(url, bank, env, tmp)
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    assert not list(tmp.glob("imgcheck-serve-*")), "serve left its temporary folder behind"


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(
        served.url, auth=(USER, PASSWORD), verbose=False, download_files=str(served.tmp / "downloads")
    )


# -- gradio_client ---------------------------------------------------------------------------------
def test_check_endpoint_equals_the_cli(served, client):
    from gradio_client import handle_file

    for name in ("astronaut.png", "coffee.png", "obama2.jpg"):
        report = client.predict(handle_file(str(FIXTURES / name)), api_name="/check")
        p = served.cli("check", "--json", "--bank", str(served.bank), str(FIXTURES / name))
        assert p.returncode == 0, p.stderr
        cli_report = json.loads(p.stdout)
        assert strip(report) == strip(cli_report)
        assert report["source"] == name
    assert report["schema"] == "imgcheck.report/2"


def test_profile_endpoint_equals_the_cli(served, client):
    from gradio_client import handle_file

    names = ["astronaut.png", "obama2.jpg", "coffee.png"]
    result = client.predict([handle_file(str(FIXTURES / n)) for n in names], api_name="/profile")
    p = served.cli("profile", "--json", "--bank", str(served.bank), *[str(FIXTURES / n) for n in names])
    assert p.returncode == 0, p.stderr
    cli_result = json.loads(p.stdout)
    assert result["verdict"] == cli_result["verdict"] == "flagged"
    assert result["flags"] == cli_result["flags"] and result["evidence"] == cli_result["evidence"]
    assert [strip(a) for a in result["photos"]] == [strip(b) for b in cli_result["photos"]]
    assert [ph["source"] for ph in result["photos"]] == names


def test_view_endpoints(client):
    from gradio_client import handle_file

    banner, advice, evidence, report = client.predict(
        handle_file(str(FIXTURES / "astronaut.png")), api_name="/check_view"
    )
    assert 'data-verdict="flagged"' in banner and "Do not send money" in advice
    assert "Bank: Eileen Collins" in evidence and report["verdict"] == "flagged"
    out = client.predict(
        [handle_file(str(FIXTURES / "coffee.png")), handle_file(str(FIXTURES / "biden.jpg"))],
        api_name="/profile_view",
    )
    assert 'data-verdict="flagged"' in out[0] and [p["verdict"] for p in out[3]["photos"]] == [
        "clear",
        "flagged",
    ]


def test_batch_endpoint(client):
    from gradio_client import handle_file

    summary, table, files, _ = client.predict(
        [handle_file(str(FIXTURES / n)) for n in ("astronaut.png", "coffee.png")], api_name="/batch"
    )
    assert summary == "Checked 2 files: 1 flagged, 1 clear."
    assert [row[:2] for row in table["data"]] == [["astronaut.png", "flagged"], ["coffee.png", "clear"]]
    jsonl = next(Path(f) for f in files if f.endswith(".jsonl"))
    assert [json.loads(x)["verdict"] for x in jsonl.read_text().splitlines()] == ["flagged", "clear"]
    assert sorted(Path(f).suffix for f in files) == [".csv", ".html", ".jsonl"]


def test_bank_endpoints(served, client):
    from gradio_client import handle_file

    summary, table = client.predict(api_name="/bank_list")
    assert summary.startswith("4 entries")
    status, summary, table, _ = client.predict(
        [handle_file(str(FIXTURES / "rocket.jpg"))], "Launch scam", "known_scam", api_name="/bank_add"
    )
    assert status.startswith("Added 1") and summary.startswith("5 entries")
    new_id = next(r[0] for r in table["data"] if r[1] == "Launch scam")
    assert (
        client.predict(handle_file(str(FIXTURES / "rocket.jpg")), api_name="/check")["verdict"] == "flagged"
    )
    exported = Path(client.predict("imgcheck", api_name="/bank_export"))
    assert "Launch scam" in exported.read_text()
    status, summary, _ = client.predict(str(new_id), api_name="/bank_remove")
    assert status == "Removed 1 of 1 entries." and summary.startswith("4 entries")
    status, summary, _, _ = client.predict(handle_file(str(exported)), "known_scam", api_name="/bank_import")
    assert status.startswith("Imported imgcheck-hashes.csv: added 1, updated 0, unchanged 4") and summary.startswith(
        "5 entries")


def test_uploads_are_not_kept_and_login_is_required(served, client):
    from gradio_client import Client, handle_file

    client.predict(handle_file(str(FIXTURES / "grace_hopper.jpg")), api_name="/check")
    left = {p.name for p in served.upload_files()}
    # what may stay: the example photos Gradio serves, and reports the app made for download
    # (those go when Gradio's delete_cache runs); nothing a user sent
    assert not left & {"grace_hopper.jpg", "astronaut.png", "biden.jpg", "rocket.jpg"}, left
    assert left <= {
        "stolen_astronaut.jpg",
        "obama2.jpg",
        "coffee.png",
        "imgcheck-report.jsonl",
        "imgcheck-report.csv",
        "imgcheck-report.html",
        "imgcheck-hashes.csv",
    }, left
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the point is no report
        Client(served.url, verbose=False).predict(
            handle_file(str(FIXTURES / "coffee.png")), api_name="/check"
        )


def test_public_mode_has_only_the_check_endpoints(celeb_engine, tmp_path):
    from imgcheck.app import build_app

    blocks = build_app(celeb_engine, public=True, upload_root=tmp_path)
    # (Gradio adds its own load_example endpoints for gr.Examples)
    names = {
        fn.api_name
        for fn in blocks.fns.values()
        if fn.api_name and not fn.api_name.startswith("load_example")
    }
    assert names == {"check", "profile", "check_view", "profile_view", "check_video_view", "browser_language",
                     "set_language"}
    private = build_app(celeb_engine, upload_root=tmp_path)
    assert {"batch", "bank_add", "bank_remove", "bank_export", "bank_import", "bank_list"} <= {
        fn.api_name for fn in private.fns.values()
    }
    # every handler the app wires has an API name
    assert all(fn.api_name for fn in private.fns.values() if fn.fn is not None)


# -- real browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    # part of the test setup (.ci/run installs it): a missing browser fails, it never skips silently
    assert CHROMIUM.exists(), "Debian's chromium is missing (/usr/bin/chromium): apt-get install chromium"
    from playwright import sync_api  # test extra
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _login(page, url: str) -> None:
    """Log in whatever the page's language (Gradio translates its login form)."""
    page.goto(url)
    page.locator("input[type=text], input[name=username]").first.fill(USER)
    page.locator("input[type=password]").first.fill(PASSWORD)
    page.locator("input[type=password]").first.press("Enter")
    page.wait_for_selector("#tab-check", timeout=60_000)


def _shot(page, name: str, served: Served) -> None:
    shots = served.tmp / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    if os.environ.get("IMGCHECK_DOCS_SCREENSHOTS") == "1" and name in DOCS_SHOTS:
        from PIL import Image

        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        im = Image.open(shots / f"{name}.png").convert("RGB")
        im.thumbnail((1000, 4000))
        im.save(DOCS_IMG / f"{name}.png", optimize=True)


def _local_only(requests: list[str], url: str) -> None:
    host = urlparse(url).netloc
    outside = [
        r
        for r in requests
        if urlparse(r).scheme in ("http", "https", "ws", "wss") and urlparse(r).netloc != host
    ]
    assert not outside, f"the page called out: {outside[:5]}"


def test_browser_check_a_photo_shows_verdict_and_evidence(served, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _login(page, served.url)
    page.locator("#photo-input input[type=file]").set_input_files(str(FIXTURES / "astronaut.png"))
    page.wait_for_selector('#check-banner [data-verdict="flagged"]', timeout=60_000)
    assert "Flagged" in page.inner_text("#check-banner")
    assert "Do not send money" in page.inner_text("#check-advice")
    evidence = page.locator("#check-evidence")
    assert "Bank: Eileen Collins" in evidence.inner_text()
    assert evidence.locator('.ic-card[data-check="known_image"]').count() == 1
    assert evidence.locator(".ic-pair img").count() >= 2  # the upload beside the bank's picture(s)
    _shot(page, "app-check", served)
    # first run: one click on an example photo checks it
    page.locator('button.gallery-item:has(img[src$="coffee.png"])').click()
    page.wait_for_selector('#check-banner [data-verdict="clear"]', timeout=60_000)
    assert "No warning signs found" in page.inner_text("#check-banner")
    _local_only(requests, served.url)
    page.close()


def test_browser_other_tabs(served, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _login(page, served.url)
    page.get_by_role("tab", name="Check a profile").click()
    page.locator("#profile-input input[type=file]").set_input_files(
        [str(FIXTURES / n) for n in ("obama2.jpg", "astronaut.png", "coffee.png")]
    )
    page.locator("#profile-run").click()
    page.wait_for_selector('#profile-banner [data-verdict="flagged"]', timeout=60_000)
    assert page.locator("#profile-evidence .ic-tile").count() == 3
    _shot(page, "app-profile", served)

    page.get_by_role("tab", name="Batch scan").click()
    page.locator("#batch-input input[type=file]").set_input_files(
        [str(FIXTURES / n) for n in ("astronaut.png", "coffee.png", "rocket.jpg", "grace_hopper.jpg")]
    )
    page.locator("#batch-run").click()
    page.wait_for_selector("#batch-summary:has-text('Checked 4 files')", timeout=60_000)
    assert "astronaut.png" in page.inner_text("#batch-table")
    _shot(page, "app-batch", served)

    page.get_by_role("tab", name="Bank").click()
    page.wait_for_selector("#bank-table:has-text('Eileen Collins')", timeout=30_000)
    _shot(page, "app-bank", served)
    _local_only(requests, served.url)
    page.close()


def test_browser_phone_viewport(served, browser):
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = ctx.new_page()
    _login(page, served.url)
    page.locator("#photo-input input[type=file]").set_input_files(str(FIXTURES / "astronaut.png"))
    page.wait_for_selector('#check-banner [data-verdict="flagged"]', timeout=60_000)
    # usable on a phone: nothing wider than the screen, verdict and evidence visible in the column
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the phone screen"
    banner = page.locator("#check-banner").bounding_box()
    assert banner and banner["width"] <= 390 and banner["x"] >= 0
    assert page.locator("#check-evidence .ic-pair img").first.bounding_box()["width"] <= 390
    _shot(page, "app-phone", served)
    ctx.close()


@pytest.mark.parametrize(
    "locale,lang,flagged,advice,tab,other,other_flagged",
    [
        ("fr-FR", "fr", "Signalée", "N'envoyez ni argent", "Vérifier une photo", "English", "Flagged"),
        ("en-US", "en", "Flagged", "Do not send money", "Check a photo", "Français", "Signalée"),
    ],
)
def test_browser_speaks_the_browsers_language_and_switches(
    served, browser, locale, lang, flagged, advice, tab, other, other_flagged
):
    """A French browser sees the page and the verdict in French, an English one in English; the switch
    changes both the fixed texts and the results already on the page, without checking again."""
    ctx = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _login(page, served.url)
    page.wait_for_function(f"document.documentElement.getAttribute('data-ic-lang') === '{lang}'", timeout=30_000)
    page.locator("#photo-input input[type=file]").set_input_files(str(FIXTURES / "astronaut.png"))
    page.wait_for_selector('#check-banner [data-verdict="flagged"]', timeout=60_000)
    banner = page.inner_text("#check-banner")
    assert flagged in banner and other_flagged not in banner
    assert advice in page.inner_text("#check-advice")
    evidence = page.inner_text("#check-evidence")
    assert ("Eileen Collins" in evidence) and (("Banque" in evidence) == (lang == "fr"))
    page.wait_for_selector(f"button[role=tab]:has-text('{tab}')", timeout=30_000)
    _shot(page, f"app-check-{lang}", served)
    # the switch: results and fixed texts change language in place
    page.locator("#lang-switch label", has_text=other).click()
    page.wait_for_function(
        f"document.documentElement.getAttribute('data-ic-lang') !== '{lang}'", timeout=30_000
    )
    assert other_flagged in page.inner_text("#check-banner")
    switched_tab = "Check a photo" if lang == "fr" else "Vérifier une photo"
    page.wait_for_selector(f"button[role=tab]:has-text('{switched_tab}')", timeout=30_000)
    _local_only(requests, served.url)
    ctx.close()
