"""``imgcheck scan`` end to end in a subprocess: kill -9 mid-scan and resume, reports, usage errors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from batch_helpers import FIXTURES, write_variants, write_zip

REPO = Path(__file__).resolve().parent.parent


def _env(home: Path) -> dict[str, str]:
    return dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
                OMP_NUM_THREADS="1")


def scan(args: list[str], home: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "imgcheck.cli", "scan", *args], capture_output=True, text=True,
                          env=_env(home), cwd=REPO, timeout=600, check=False, **kw)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_scan_killed_mid_way_and_resumed_has_one_record_per_input(tmp_path):
    photos = write_variants(tmp_path / "photos", 60)
    (tmp_path / "photos" / "broken.jpg").write_bytes(photos[0].read_bytes()[:2000])
    expected = {str(p) for p in photos} | {str(tmp_path / "photos" / "broken.jpg")}
    out = tmp_path / "scan.jsonl"
    args = [str(tmp_path / "photos"), "--out", str(out), "--checks", "known_image",
            "--bank", str(_bank(tmp_path))]
    proc = subprocess.Popen([sys.executable, "-m", "imgcheck.cli", "scan", *args, "--workers", "2"],
                            env=_env(tmp_path), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while len(lines(out)) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    before = [x for x in lines(out) if x.endswith("}")]  # a kill can tear the last line
    assert 4 <= len(before) < len(expected), "the scan must be killed part-way for this test to mean anything"
    # a crash can also tear the last line; resume must drop it and redo that file
    with out.open("a") as fh:
        fh.write('{"schema": "imgcheck.report/1", "source": "' + str(photos[-1])[:20])
    again = scan(args, tmp_path)
    assert again.returncode == 2 and "--resume" in again.stderr  # never overwrites a scan silently
    resumed = scan([*args, "--resume", "--workers", "2"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr and "torn" in resumed.stderr
    records = [json.loads(x) for x in lines(out)]
    sources = [r["source"] for r in records]
    assert len(sources) == len(set(sources)) == len(expected)
    assert set(sources) == expected
    assert [r["source"] for r in records[:len(before)]] == [json.loads(x)["source"] for x in before]
    bad = [r for r in records if r["verdict"] == "error"]
    assert [r["source"] for r in bad] == [str(tmp_path / "photos" / "broken.jpg")]
    assert f"scanned {len(expected)}" in resumed.stdout and "errors 1" in resumed.stdout


def _bank(tmp_path: Path) -> Path:
    from imgcheck import Engine

    path = tmp_path / "bank.sqlite"
    eng = Engine(bank=path)
    eng.add_to_bank(FIXTURES / "obama.jpg", "Barack Obama", "celebrity")
    eng.add_to_bank(FIXTURES / "astronaut.png", "<script>alert(1)</script>", "celebrity")
    eng.bank.close()
    return path


def test_scan_html_and_csv_reports(tmp_path):
    bank = _bank(tmp_path)
    z = write_zip(tmp_path / "in.zip", {"x/astro.png": (FIXTURES / "astronaut.png").read_bytes(),
                                        "../up.png": b"whatever"})
    inputs = [str(FIXTURES / "obama.jpg"), str(FIXTURES / "coffee.png"), str(z)]
    html_out = tmp_path / "report.html"
    p = scan([*inputs, "--out", str(html_out), "--bank", str(bank), "--checks", "known_image"], tmp_path)
    assert p.returncode == 0, p.stderr
    page = html_out.read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<html lang="en">' in page and "Matches a known image of" in page
    journal = tmp_path / "report.jsonl"
    assert len(lines(journal)) == 4
    assert "known_image 2" in p.stdout and "errors 1" in p.stdout
    # the same scan as a French page (--lang): fixed text and the checks' reasons from the catalog
    fr_out = tmp_path / "rapport.html"
    p = scan([*inputs, "--out", str(fr_out), "--bank", str(bank), "--checks", "known_image", "--lang", "fr"], tmp_path)
    assert p.returncode == 0, p.stderr
    page = fr_out.read_text()
    assert '<html lang="fr">' in page and "Rapport d&#39;analyse imgcheck" in page
    assert "Correspond à une image connue de « Barack Obama »" in page and "SIGNALÉE" in page
    assert "Matches a known image" not in page and "by risk" not in page
    csv_out = tmp_path / "r.csv"
    p = scan([*inputs, "--out", str(csv_out), "--bank", str(bank), "--checks", "known_image", "--format", "csv"],
             tmp_path)
    assert p.returncode == 0, p.stderr
    rows = {r["source"]: r for r in csv.DictReader(csv_out.open())}
    assert rows[str(FIXTURES / "obama.jpg")]["best_match_label"] == "Barack Obama"
    assert rows[f"{z}!../up.png"]["verdict"] == "error"


def test_scan_usage_errors(tmp_path):
    p = scan([str(FIXTURES), "--out", str(tmp_path / "x.jsonl"), "--engine", "spark"], tmp_path)
    assert p.returncode == 2 and "--engine" in p.stderr
    p = scan([str(FIXTURES), "--out", str(tmp_path / "x.jsonl"), "--checks", "nope"], tmp_path)
    assert p.returncode == 2 and "unknown check" in p.stderr
    assert "Traceback" not in p.stderr
