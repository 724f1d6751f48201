"""Batch scans: inputs (folders, zips, listings), one record per input, duplicates, zip safety,
worker processes, reports (CSV, HTML escaping) and the JSON Lines journal."""

from __future__ import annotations

import csv
import html
import json
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from batch_helpers import FIXTURES, variant_bytes, write_zip

from imgcheck.batch import (
    DoneSet,
    InputLimits,
    JsonlWriter,
    RecordCache,
    iter_items,
    read_jsonl,
    repair_jsonl,
    scan_iter,
    write_csv,
    write_html,
)
from imgcheck.batch.inputs import unsafe_member_reason

CHECKS = ["known_image"]


def strip(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "timings_ms"}


@pytest.fixture()
def mixed_inputs(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """A folder, a zip and a listing with duplicates and bad files.

    Returns the inputs and, for every expected source, what it is: "good", "dup:<source>" or "bad".
    """
    folder = tmp_path / "uploads"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "obama.jpg", folder / "obama.jpg")
    shutil.copy(FIXTURES / "coffee.png", folder / "sub" / "coffee.png")
    shutil.copy(FIXTURES / "obama.jpg", folder / "sub" / "same_as_obama.jpg")       # duplicate
    (folder / "broken.jpg").write_bytes((FIXTURES / "biden.jpg").read_bytes()[:3000])  # truncated
    (folder / "notes.txt").write_text("not an image")                  # text in a folder: skipped, no record
    (folder / ".hidden.jpg").write_bytes(b"ignored")
    grace = (FIXTURES / "grace_hopper.jpg").read_bytes()
    zpath = write_zip(tmp_path / "queue.zip", {
        "a/grace.jpg": grace,
        "a/grace_again.jpg": grace,                                  # duplicate inside the zip
        "b/obama.jpg": (FIXTURES / "obama.jpg").read_bytes(),         # duplicate of a folder file
        "../../evil.jpg": grace,                                     # path traversal
        "c/rocket.jpg": variant_bytes("rocket.jpg", 1),
    })
    listing = tmp_path / "lists" / "paths.txt"
    listing.parent.mkdir()
    (tmp_path / "loose").mkdir()
    shutil.copy(FIXTURES / "chelsea.png", tmp_path / "loose" / "chelsea.png")
    listing.write_text(f"# moderator queue\n../loose/chelsea.png\n\n{folder / 'obama.jpg'}\n"
                       "../loose/missing.jpg\n")
    u = str(folder)
    expected = {
        f"{u}/broken.jpg": "bad", f"{u}/obama.jpg": "good",
        f"{u}/sub/coffee.png": "good", f"{u}/sub/same_as_obama.jpg": f"dup:{u}/obama.jpg",
        f"{zpath}!a/grace.jpg": "good", f"{zpath}!a/grace_again.jpg": f"dup:{zpath}!a/grace.jpg",
        f"{zpath}!b/obama.jpg": f"dup:{u}/obama.jpg", f"{zpath}!../../evil.jpg": "bad",
        f"{zpath}!c/rocket.jpg": "good",
        str(tmp_path / "loose" / "chelsea.png"): "good",
        f"{u}/obama.jpg#listed": "listed again: not a new input",
        str(tmp_path / "loose" / "missing.jpg"): "bad",
    }
    return [u, str(zpath), str(listing)], expected


def test_mixed_inputs_one_record_per_input(mixed_inputs, celeb_engine):
    inputs, expected = mixed_inputs
    calls: list[str] = []
    real_check = celeb_engine.check

    def counting_check(source, **kw):
        calls.append(kw.get("name"))
        return real_check(source, **kw)

    celeb_engine.check = counting_check
    skipped: list[str] = []
    records = list(scan_iter(inputs, celeb_engine, checks=CHECKS, on_skip=skipped.append))
    sources = [r["source"] for r in records]
    assert skipped == [f"{inputs[0]}/notes.txt"]  # not an image by name nor by its bytes
    # the listing names uploads/obama.jpg again: the same input, so still one record
    want = sorted(s for s in expected if "#" not in s)
    assert sorted(sources) == want
    by_source: dict[str, list[dict]] = {}
    for r in records:
        by_source.setdefault(r["source"], []).append(r)
        assert r["schema"] == "imgcheck.report/2"
    assert all(len(v) == 1 for v in by_source.values())
    for src, what in expected.items():
        if "#" in src:
            continue
        rec = by_source[src][0]
        if what == "bad":
            assert rec["verdict"] == "error" and rec["error"], src
        elif what.startswith("dup:"):
            first = by_source[what[4:]][0]
            assert strip(rec) == {**strip(first), "source": rec["source"]}
        else:
            assert rec["verdict"] in ("clear", "flagged") and rec["sha256"], src
    assert "path traversal" in by_source[f"{inputs[1]}!../../evil.jpg"][0]["error"]
    assert "damaged or truncated" in by_source[f"{inputs[0]}/broken.jpg"][0]["error"]
    assert "no such file" in by_source[str(Path(inputs[2]).parent.parent / "loose" / "missing.jpg")][0]["error"]
    obama = by_source[f"{inputs[0]}/obama.jpg"][0]
    assert obama["verdict"] == "flagged" and obama["matches"][0]["label"] == "Barack Obama"
    # identical bytes are checked once: 5 distinct good files (+ the truncated one, which reaches the loader)
    assert sorted(c for c in calls if c) == sorted([
        f"{inputs[0]}/broken.jpg", f"{inputs[0]}/obama.jpg",
        f"{inputs[0]}/sub/coffee.png", f"{inputs[1]}!a/grace.jpg", f"{inputs[1]}!c/rocket.jpg",
        str(Path(inputs[2]).parent.parent / "loose" / "chelsea.png")])


def test_two_workers_give_the_same_records(mixed_inputs, celeb_engine):
    inputs, _ = mixed_inputs
    one = sorted((strip(r) for r in scan_iter(inputs, celeb_engine, checks=CHECKS)), key=json.dumps)
    two = sorted((strip(r) for r in scan_iter(inputs, celeb_engine, checks=CHECKS, workers=2)), key=json.dumps)
    assert one == two


def test_skip_and_cache_resume_semantics(mixed_inputs, celeb_engine):
    inputs, _ = mixed_inputs
    first = list(scan_iter(inputs, celeb_engine, checks=CHECKS))
    done_part = first[:5]
    done = DoneSet.from_sources(r["source"] for r in done_part)
    cache = RecordCache()
    for r in done_part:
        cache.put(r)
    rest = list(scan_iter(inputs, celeb_engine, checks=CHECKS, skip=done.__contains__, cache=cache))
    assert sorted(r["source"] for r in done_part + rest) == sorted(r["source"] for r in first)


@pytest.mark.parametrize("name", ["../x.jpg", "a/../../x.jpg", "/etc/passwd", "C:/x.jpg", "a\\..\\..\\x.jpg",
                                  "a\x00b.jpg"])
def test_unsafe_zip_names(name):
    assert unsafe_member_reason(name)


@pytest.mark.parametrize("name", ["a/b.jpg", "x..y.jpg", "photos/2024/..hidden.jpg"])
def test_safe_zip_names(name):
    assert unsafe_member_reason(name) is None


def test_zip_bomb_entries_are_rejected_with_a_reason(tmp_path, celeb_engine):
    photo = (FIXTURES / "coffee.png").read_bytes()
    bomb = write_zip(tmp_path / "bomb.zip", {"ok.png": photo, "zeros.jpg": b"\0" * (20 * 1024 * 1024),
                                             "../../../tmp/slip.png": photo})
    records = {r["source"]: r for r in scan_iter([str(bomb)], celeb_engine, checks=CHECKS)}
    assert records[f"{bomb}!ok.png"]["verdict"] == "clear"
    zeros = records[f"{bomb}!zeros.jpg"]
    assert zeros["verdict"] == "error" and "compression ratio" in zeros["error"] and "zip bomb" in zeros["error"]
    assert "path traversal" in records[f"{bomb}!../../../tmp/slip.png"]["error"]
    assert not (tmp_path.parent / "tmp" / "slip.png").exists()


def test_zip_caps_on_entries_total_and_size(tmp_path, celeb_engine):
    photo = (FIXTURES / "coffee.png").read_bytes()
    many = write_zip(tmp_path / "many.zip", {f"{i}.png": photo for i in range(6)})
    limits = InputLimits(zip_max_entries=5)
    (rec,) = list(scan_iter([str(many)], celeb_engine, checks=CHECKS, input_limits=limits))
    assert rec["source"] == str(many) and "6 entries" in rec["error"] and "zip bomb" in rec["error"]
    limits = InputLimits(zip_max_total_bytes=len(photo) * 3)
    (rec,) = list(scan_iter([str(many)], celeb_engine, checks=CHECKS, input_limits=limits))
    assert "unpacks to" in rec["error"]
    stored = write_zip(tmp_path / "stored.zip", {"big.png": photo}, compress=zipfile.ZIP_STORED)
    limits = InputLimits(zip_max_entry_bytes=len(photo) - 1)
    (rec,) = list(scan_iter([str(stored)], celeb_engine, checks=CHECKS, input_limits=limits))
    assert rec["verdict"] == "error" and "limit" in rec["error"]


def test_not_a_zip_and_missing_input(tmp_path, celeb_engine):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 not really")
    recs = {r["source"]: r for r in scan_iter([str(fake), str(tmp_path / "nope")], celeb_engine, checks=CHECKS)}
    assert "not a readable zip" in recs[str(fake)]["error"]
    assert "no such file" in recs[str(tmp_path / "nope")]["error"]


def test_listing_is_streamed_not_loaded(tmp_path):
    listing = tmp_path / "big.txt"
    with listing.open("w") as fh:
        for i in range(20000):
            fh.write(f"img{i}.jpg\n")
    it = iter_items([str(listing)])
    first = next(it)
    assert first.source == str(tmp_path / "img0.jpg") and first.error  # missing file, reported lazily


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_report_escapes_everything_from_files(tmp_path, engine):
    evil_label = "<script>alert('label')</script>"
    engine.add_to_bank(FIXTURES / "obama.jpg", evil_label, "celebrity", "<img src=x onerror=alert(2)>")
    evil_name = tmp_path / "\"><img src=x onerror=alert(1)>.jpg"
    shutil.copy(FIXTURES / "obama.jpg", evil_name)
    records = list(scan_iter([str(evil_name)], engine, checks=CHECKS))
    assert records[0]["matches"][0]["label"] == evil_label
    out = write_html(records, tmp_path / "r.html", bank=engine.bank)
    page = out.read_text()
    assert evil_label not in page and "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in page
    assert "onerror=alert(1)>" not in page
    parser = _Tags()
    parser.feed(page)
    assert [t for t, _ in parser.tags].count("script") == 1
    assert not any(k.startswith("on") for _, attrs in parser.tags for k in attrs)
    assert all(a.get("src", "data:").startswith("data:") for t, a in parser.tags if t == "img")
    csp = next(a["content"] for t, a in parser.tags if t == "meta" and a.get("http-equiv"))
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert "http://" not in page and "https://" not in page
    # a thumbnail of the upload and the matched bank image are embedded
    assert page.count("data:image/jpeg;base64,") >= 2


def test_csv_neutralises_formulas(tmp_path):
    rec = {"source": "=HYPERLINK(\"http://x\")", "verdict": "flagged", "flags": ["known_image"],
           "reasons": ["Matches"], "matches": [{"label": "@SUM(1)", "entry_id": 1, "method": "pdq",
                                                "distance": 3}], "evidence": []}
    out = write_csv([rec], tmp_path / "r.csv")
    row = next(csv.DictReader(out.open()))
    assert row["source"].startswith("'=") and row["best_match_label"] == "'@SUM(1)"
    assert row["flags"] == "known_image"


def test_torn_last_line_is_repaired(tmp_path):
    path = tmp_path / "s.jsonl"
    with JsonlWriter(path) as w:
        w.write({"source": "a", "verdict": "clear"})
        w.write({"source": "b", "verdict": "clear"})
    with path.open("a") as fh:
        fh.write('{"source": "c", "verd')
    assert [r["source"] for r in read_jsonl(path)] == ["a", "b"]
    assert repair_jsonl(path) == len('{"source": "c", "verd')
    assert path.read_text().endswith("}\n") and repair_jsonl(path) == 0
    done = DoneSet.from_sources(r["source"] for r in read_jsonl(path))
    assert "a" in done and "b" in done and "c" not in done and len(done) == 2


def test_identical_broken_files_each_name_themselves(tmp_path, celeb_engine):
    broken = (FIXTURES / "biden.jpg").read_bytes()[:3000]
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (folder / name).write_bytes(broken)
    for workers in (1, 2):
        recs = {r["source"]: r for r in scan_iter([str(folder)], celeb_engine, checks=CHECKS, workers=workers)}
        assert set(recs) == {str(folder / "a.jpg"), str(folder / "b.jpg")}
        for src, r in recs.items():
            assert r["verdict"] == "error" and r["error"].startswith(src + ":")


def test_a_crashed_worker_costs_one_file_not_the_scan(celeb_engine):
    import os
    import signal

    from imgcheck.batch.pool import EngineSpec, WorkerPool

    pool = WorkerPool(EngineSpec.of(celeb_engine), ("known_image",), workers=1, threads=1)
    try:
        data = [(FIXTURES / n).read_bytes() for n in ("obama.jpg", "biden.jpg", "coffee.png")]
        for tid, d in enumerate(data[:2]):
            pool.submit(tid, f"f{tid}", d)
        os.kill(pool._slots[0].proc.pid, signal.SIGKILL)  # as if a decoder segfaulted on f0
        got = {}
        while len(got) < 2:
            for tid, record, crash in pool.wait(30):
                got[tid] = (record, crash)
        assert got[0][0] is None and "crashed" in got[0][1] and got[0][1].startswith("f0:")
        assert got[1][0]["source"] == "f1" and got[1][0]["matches"][0]["label"] == "Joe Biden"  # re-sent
        pool.submit(2, "f2", data[2])
        (tid, record, crash), = pool.wait(30)
        assert tid == 2 and record["verdict"] == "clear" and crash is None
    finally:
        pool.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_html_report_speaks_the_readers_language(tmp_path, engine, lang):
    """Every fixed text of the page and every check's reason come from the catalog in ``lang``; what
    came from files (names, labels) is shown as it is."""
    from imgcheck import i18n

    engine.add_to_bank(FIXTURES / "obama.jpg", "Barack Obama", "celebrity", "fixtures")
    records = list(scan_iter([str(FIXTURES / "obama.jpg"), str(FIXTURES / "coffee.png"), str(tmp_path / "nope.jpg")],
                             engine, checks=CHECKS))
    page = html.unescape(write_html(records, tmp_path / "r.html", bank=engine.bank, lang=lang).read_text())
    assert f'<html lang="{lang}">' in page
    for code in ("report.title", "report.by_risk", "report.by_name", "report.col.matches", "report.any",
                 "report.verdict.clear", "report.no_preview"):
        assert i18n.text(code, {}, lang) in page, code
    flagged = next(e for e in records[0]["evidence"] if e["status"] == "flag")
    assert i18n.reason_text(flagged, lang) in page and "Barack Obama" in page
    assert i18n.text("report.n_images", {"n": 3}, lang) in page
    if lang == "fr":
        for english in ("by risk", "no preview", "Matched bank images", "strongest evidence", "Matches a known"):
            assert english not in page
