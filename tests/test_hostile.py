"""Hostile input: every case of the generated corpus is refused clearly or reported correctly,
within a time cap and a memory cap, and never crashes the process (see tests/hostile_corpus.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hostile_corpus
import numpy as np
import pytest
from capped import run_capped

TESTS = Path(__file__).parent
#: address-space cap of the worker; the engine alone reserves ~1.1 GB of (mostly untouched) address space
MEM_CAP = int(2.5 * 2**30)
#: wall-clock cap per case (generous: CI machines are shared; typical cases take milliseconds)
TIME_CAP = 30.0
#: mean absolute grey difference (0-255) between a report's picture and what the file shows
PICTURE_TOLERANCE = 12.0


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("hostile")
    return out / "manifest.json", hostile_corpus.write(out)


@pytest.fixture(scope="session")
def hostile_bank(tmp_path_factory) -> Path:
    from imgcheck import Engine

    path = tmp_path_factory.mktemp("hostile_bank") / "bank.sqlite"
    eng = Engine(bank=path)
    eng.add_to_bank(hostile_corpus.FIXTURES / "astronaut.png", "Eileen Collins", "celebrity")
    eng.bank.close()
    return path


@pytest.fixture(scope="session")
def corpus_run(corpus, hostile_bank):
    manifest_path, manifest = corpus
    return run_capped(
        lambda first: [str(TESTS / "hostile_worker.py"), str(manifest_path), str(hostile_bank), str(first)],
        len(manifest),
        mem_bytes=MEM_CAP,
        item_secs=TIME_CAP,
    )


def test_corpus_is_big_and_varied(corpus):
    _, manifest = corpus
    files = [c for c in manifest if not c["zip"]]
    assert len(files) >= 40
    assert sum(c["expect"] == "error" for c in files) >= 30
    assert sum(c["expect"] == "report" for c in files) >= 20
    assert sum(c["zip"] for c in manifest) >= 5
    names = " ".join(c["name"] for c in manifest)
    for topic in (
        "empty",
        "trunc_",
        "random_",
        "bomb_",
        "1000_frames",
        "exif",
        "xmp",
        "c2pa",
        "cabx",
        "cmyk",
        "16bit",
        "palette_trns",
        "svg",
        "html",
        "polyglot",
        "heic_bad",
        "zip_traversal",
        "zip_bomb",
    ):
        assert topic in names, topic


@pytest.mark.slow
def test_zip_bomb_crc_constant():
    assert hostile_corpus.zero_crc(2_000_000_000) == hostile_corpus.ZERO_CRC_2GB


def test_zero_streams_are_what_they_claim():
    import zlib

    n = 3 * 2**20 + 17
    assert zlib.decompress(hostile_corpus.zeros_deflate(n)) == bytes(n)
    assert zlib.decompress(hostile_corpus.zeros_deflate(n, raw=True), -15) == bytes(n)
    assert hostile_corpus.zero_crc(n) == zlib.crc32(bytes(n))


def test_no_case_crashes_hangs_or_blows_memory(corpus, corpus_run):
    """Crashes, hangs (> TIME_CAP) and memory-cap kills are charged to the case that caused them."""
    _, manifest = corpus
    assert corpus_run.failures == {}, {manifest[i]["name"]: why for i, why in corpus_run.failures.items()}
    missing = [c["name"] for i, c in enumerate(manifest) if not c["zip"] and i not in corpus_run.results]
    assert missing == []


def test_bad_input_is_a_clear_error_and_odd_images_are_reported_right(corpus, corpus_run):
    _, manifest = corpus
    wrong = []
    for i, case in enumerate(manifest):
        res = corpus_run.results.get(i)
        if case["zip"] or res is None:
            continue
        if case["expect"] == "error":
            if res["verdict"] != "error":
                wrong.append(f"{case['name']}: expected a refusal, got {res['verdict']}")
            elif case["path"] not in res["error"] or case["needle"].lower() not in res["error"].lower():
                wrong.append(f"{case['name']}: unclear message {res['error']!r} (wanted {case['needle']!r})")
            elif "Traceback" in res["error"] or "0x7f" in res["error"]:
                wrong.append(f"{case['name']}: internals in the message {res['error']!r}")
        elif case["expect"] == "report":
            if res["verdict"] == "error":
                wrong.append(f"{case['name']}: refused a valid image: {res['error']}")
            elif "reload_error" in res:
                wrong.append(f"{case['name']}: second load failed: {res['reload_error']}")
            elif case["ref"] is not None:
                diff = float(np.abs(np.asarray(res["thumb"]) - np.asarray(case["ref"])).mean())
                if diff > PICTURE_TOLERANCE:
                    wrong.append(f"{case['name']}: the decoded picture is wrong (mean grey diff {diff:.1f})")
    assert wrong == []


def test_summary_figures(corpus, corpus_run, capsys):
    """Print the figures SECURITY.md quotes (run with -s to see them)."""
    _, manifest = corpus
    res = corpus_run.results.values()
    refused = sum(r["verdict"] == "error" for r in res)
    slowest = max(res, key=lambda r: r["secs"])
    peak = max(r["maxrss_mb"] for r in res)
    with capsys.disabled():
        print(
            f"\nhostile corpus: {len(res)} files ({refused} refused, {len(res) - refused} reported), "
            f"{len(corpus_run.failures)} crashes/hangs, slowest {slowest['name']} {slowest['secs']:.2f} s, "
            f"peak RSS {peak:.0f} MB (cap {MEM_CAP / 2**30:.1f} GiB address space, {TIME_CAP:.0f} s per file)"
        )
    assert len(res) == sum(not c["zip"] for c in manifest)


CLI_SAMPLE = (
    "empty",
    "random_jpg",
    "trunc_png_half",
    "bomb_png_30000",
    "gif_1000_frames",
    "svg_as_png",
    "html_as_jpg",
    "heic_bad_header",
    "png_ztxt_bomb",
    "jpeg_1000_scans",
    "cmyk_jpeg",
    "png_16bit_rgb",
    "png_palette_trns",
    "polyglot_jpeg_zip",
    "jpeg_named_png",
    "jpeg_exif_bad_offset",
)


def test_cli_exit_code_2_with_one_report_per_file(corpus, hostile_bank):
    """A mix of hostile and good files through ``imgcheck check --json``: exit 2, every file has a
    JSON report (errors for the bad ones, verdicts for the good ones), nothing else on stdout."""
    _, manifest = corpus
    by_name = {c["name"]: c for c in manifest}
    sample = [by_name[n] for n in CLI_SAMPLE]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "imgcheck.cli",
            "check",
            "--json",
            "--bank",
            str(hostile_bank),
            *[c["path"] for c in sample],
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["source"] for r in reports] == [c["path"] for c in sample]
    for case, rep in zip(sample, reports, strict=True):
        assert (rep["verdict"] == "error") == (case["expect"] == "error"), (case["name"], rep["error"])
    assert "Traceback" not in proc.stderr


def test_scan_of_the_whole_corpus_reports_every_good_file(corpus, hostile_bank, tmp_path):
    """``imgcheck scan`` over the corpus folder, zips included, under the same memory cap: it
    finishes, refuses each bad file or zip entry with a reason, reports every good file and every
    good zip member, and writes nothing outside (zip members named ../../evil.jpg)."""
    from capped import limit_memory

    manifest_path, manifest = corpus
    out = tmp_path / "scan.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "imgcheck.cli",
            "scan",
            str(manifest_path.parent),
            "--out",
            str(out),
            "--bank",
            str(hostile_bank),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=tmp_path,
        preexec_fn=limit_memory(MEM_CAP),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = {r["source"]: r for r in map(json.loads, out.read_text().splitlines())}
    wrong = []
    for case in manifest:
        if case["zip"]:
            for member in case["good_members"]:
                rec = records.get(f"{case['path']}!{member}")
                if rec is None or rec["verdict"] == "error":
                    wrong.append(f"{case['name']}!{member}: {rec and rec['error']}")
            continue
        rec = records.get(case["path"])
        if rec is None:
            wrong.append(f"{case['name']}: no record")
        elif case["expect"] != "either" and (rec["verdict"] == "error") != (case["expect"] == "error"):
            wrong.append(f"{case['name']}: {rec['verdict']} {rec['error']}")
    assert wrong == []
    escaped = [r for s, r in records.items() if ".." in s.split("!")[-1] and r["verdict"] != "error"]
    assert escaped == []
    assert not list(tmp_path.parent.rglob("evil*")) and not Path("/etc/evil.png").exists()
    print(
        f"\nscan of the corpus: {len(records)} records, "
        f"{sum(r['verdict'] != 'error' for r in records.values())} reported, exit 0"
    )
