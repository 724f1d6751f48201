"""Hash-list exchange with python-threatexchange (its real CLI and library) and HMA-shaped dumps."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from imgcheck import Engine
from imgcheck.bank import Bank
from imgcheck.bank.exchange import export_csv, export_list, import_csv, import_list
from imgcheck.bank.store import SCHEMA_VERSION, BankStore

TE = Path(sys.executable).with_name("threatexchange")
ROOT = Path(__file__).resolve().parent.parent


def te_cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The real threatexchange CLI with its state in ``home`` (never the user's ~/.threatexchange)."""
    env = {**os.environ, "HOME": str(home), "TX_STATE_DIR": str(home)}
    proc = subprocess.run([str(TE), *args], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def imgcheck_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CACHE_HOME": str(home / "cache"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "imgcheck.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def pdq_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def te_world(tmp_path_factory, fixtures):
    """One bank of 3 photos exported as `pdq <hash>` lines, loaded into a real threatexchange
    local_file collab next to a non-PDQ collab, and every list the CLI prints about it."""
    base = tmp_path_factory.mktemp("te")
    home = base / "home"
    home.mkdir()
    bank = Bank(base / "bank.sqlite")
    eng = Engine(bank=bank)
    for f, label, kind in [("obama.jpg", "Barack Obama", "celebrity"), ("biden.jpg", "=HYPERLINK(\"x\")", "known_scam"),
                           ("grace_hopper.jpg", "Grace Hopper", "celebrity")]:
        eng.add_to_bank(fixtures / f, label, kind, f"/home/someone/photos/{f}")
    export = base / "ours.txt"
    summary = export_list(bank.store, export, "te")
    other = base / "other.txt"
    other.write_text("url http://example.com/scam\nmd5 d41d8cd98f00b204e9800998ecf8427e\n")
    te_cli(home, "config", "collab", "edit", "local_file", "--create", "--filename", str(export), "ours")
    te_cli(home, "config", "collab", "edit", "local_file", "--create", "--filename", str(other), "other")
    te_cli(home, "fetch")
    outputs = {
        "dataset -P": te_cli(home, "dataset", "-P").stdout,
        "dataset -P -S": te_cli(home, "dataset", "-P", "-S").stdout,
        "dataset -P -S -s pdq": te_cli(home, "dataset", "-P", "-S", "-s", "pdq").stdout,
        "dataset -P -s pdq": te_cli(home, "dataset", "-P", "-s", "pdq").stdout,
        "dataset -P --csv": te_cli(home, "dataset", "-P", "--csv").stdout,
        "hash photo": te_cli(home, "hash", "photo", str(fixtures / "obama.jpg"), str(fixtures / "biden.jpg")).stdout,
        "hash rotations": te_cli(home, "hash", "--photo-preprocess", "rotations", "photo",
                                 str(fixtures / "obama.jpg")).stdout,
    }
    yield {"base": base, "home": home, "bank": bank, "export": export, "summary": summary, "outputs": outputs,
           "summary_text": te_cli(home, "dataset").stdout}
    bank.close()


def test_our_export_is_read_by_threatexchange(te_world, fixtures):
    from imgcheck.hashing.files import hash_file

    assert te_world["summary"].written == 3
    # what goes out is the reference PDQ of each file, as `imgcheck hash` prints it
    assert [ln.split()[1] for ln in te_world["export"].read_text().splitlines()] == [
        str(hash_file(fixtures / f, ["pdq"]).hashes["pdq"]) for f in ("obama.jpg", "biden.jpg", "grace_hopper.jpg")]
    # `threatexchange dataset` counts one record per exported entry
    assert "pdq: 3" in te_world["summary_text"]
    listed = {ln.split()[1] for ln in pdq_lines(te_world["outputs"]["dataset -P -S"]) if ln.startswith("pdq ")}
    assert listed == {ln.split()[1] for ln in te_world["export"].read_text().splitlines()}
    # and `threatexchange match` finds the photo, by its own hash of the file
    out = te_cli(te_world["home"], "match", "photo", str(fixtures / "obama.jpg")).stdout
    assert out.startswith("pdq ") and "(ours)" in out
    out = te_cli(te_world["home"], "match", "--rotations", "photo", str(fixtures / "biden.jpg")).stdout
    assert "ORIGINAL" in out and "(ours)" in out
    assert te_cli(te_world["home"], "match", "photo", str(fixtures / "rocket.jpg")).stdout.strip() == ""


def test_library_reads_every_line_of_our_export(te_world):
    from threatexchange.exchanges.impl.file_api import FileCollaborationConfig, LocalFileSignalExchangeAPI
    from threatexchange.signal_type.pdq.signal import PdqSignal

    api = LocalFileSignalExchangeAPI(FileCollaborationConfig(name="x", api="local_file", enabled=True,
                                                             filename=str(te_world["export"])))
    updates = {k: v for delta in api.fetch_iter([PdqSignal], None) for k, v in delta.updates.items()}
    assert len(updates) == te_world["bank"].store.count() == 3
    for stype, value in updates:
        assert stype == "pdq" and PdqSignal.validate_signal_str(value) == value


@pytest.mark.parametrize(("name", "n_pdq", "not_pdq", "rotations"), [
    ("dataset -P", 3, 1, 0), ("dataset -P -S", 3, 1, 0), ("dataset -P -S -s pdq", 3, 0, 0),
    ("dataset -P -s pdq", 3, 0, 0), ("dataset -P --csv", 3, 1, 0), ("hash photo", 2, 0, 0),
    ("hash rotations", 1, 0, 7)])
def test_every_threatexchange_output_imports_all_its_pdq_signals(te_world, tmp_path, name, n_pdq, not_pdq,
                                                                 rotations):
    listing = tmp_path / "list.txt"
    listing.write_text(te_world["outputs"][name])
    store = BankStore(tmp_path / "b.sqlite")
    s = import_list(store, listing)
    assert (s.added, s.not_pdq, s.rotations, s.refused) == (n_pdq, not_pdq, rotations, 0), s.to_dict()
    assert s.ok
    if name.startswith("dataset"):
        hashes = {str(h) for e in store.entries() for _, h in store.hashes_of(e.id)}
        assert hashes == {ln.split()[1] for ln in te_world["export"].read_text().splitlines()}
        if "-S" not in name:  # the collab and opinion printed with each signal are kept
            assert {(e.collab, e.category) for e in store.entries()} == {("ours", "INVESTIGATION_SEED")}


def _opinion_lines(hashes: list[str], home: Path) -> tuple[str, str]:
    """`threatexchange dataset -P` and `dataset -P --csv`, printed by the real CLI, for a ThreatExchange
    collaboration whose fetched state (written with python-threatexchange's own classes, as its fetch
    writes it) holds a positive, a false-positive and a disputed signal."""
    import pickle

    from threatexchange.exchanges.fetch_state import FetchDelta
    from threatexchange.exchanges.fetch_state import SignalOpinionCategory as Cat
    from threatexchange.exchanges.impl.fb_threatexchange_api import (
        FBThreatExchangeCheckpoint,
        FBThreatExchangeIndicatorRecord,
        FBThreatExchangeOpinion,
    )

    def record(*cats: Cat) -> FBThreatExchangeIndicatorRecord:
        return FBThreatExchangeIndicatorRecord([FBThreatExchangeOpinion(False, c, {"romance_scam"}, 100 + i, 1000 + i)
                                                for i, c in enumerate(cats)])

    te_cli(home, "config", "collab", "edit", "fb_threatexchange", "--create", "--privacy-group", "1234",
           "Dating fraud")
    cats = [(Cat.POSITIVE_CLASS,), (Cat.NEGATIVE_CLASS,), (Cat.POSITIVE_CLASS, Cat.NEGATIVE_CLASS)]
    updates = {("HASH_PDQ", h): record(*c) for h, c in zip(hashes, cats)}
    updates[("HASH_MD5", "d41d8cd98f00b204e9800998ecf8427e")] = record(Cat.POSITIVE_CLASS)
    state = home / ".threatexchange" / "fetched" / "fb_threatexchange" / "Dating fraud.state.pickle"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_bytes(pickle.dumps(FetchDelta(updates, FBThreatExchangeCheckpoint(1))))
    return te_cli(home, "dataset", "-P").stdout, te_cli(home, "dataset", "-P", "--csv").stdout


@pytest.mark.parametrize("form", ["lines", "csv"])
def test_opinions_are_kept_negative_and_disputed_never_match(celeb_engine, tmp_path, fixtures, form):
    from imgcheck.hashing.files import hash_file

    photos = ["obama.jpg", "biden.jpg", "grace_hopper.jpg"]
    hashes = [str(hash_file(fixtures / p, ["pdq"]).hashes["pdq"]) for p in photos]
    home = tmp_path / "home"
    home.mkdir()
    lines, as_csv = _opinion_lines(hashes, home)
    assert "DISPUTED romance_scam" in lines and "NEGATIVE_CLASS" in as_csv
    listing = tmp_path / ("te.txt" if form == "lines" else "te.csv")
    listing.write_text(lines if form == "lines" else as_csv)
    engine = Engine(bank=tmp_path / "shared.sqlite")
    s = import_list(engine.bank.store, listing)
    assert (s.added, s.non_matching, s.refused) == (3, 2, 0)
    cats = {e.category for e in engine.bank.store.entries()}
    assert cats == {"POSITIVE_CLASS", "NEGATIVE_CLASS", "DISPUTED"}
    assert {e.tags for e in engine.bank.store.entries()} == {"romance_scam"}
    assert engine.check(fixtures / "obama.jpg", checks=["known_image"]).verdict == "flagged"
    for photo, category in (("biden.jpg", "NEGATIVE_CLASS"), ("grace_hopper.jpg", "DISPUTED")):
        report = engine.check(fixtures / photo, checks=["known_image"])
        ev = next(e for e in report.evidence if e.check == "known_image")
        assert not report.matches and ev.status == "clear", report.to_dict()
        assert category in ev.reason and ev.details["disputed"][0]["category"] == category
    # exports that can say so keep the opinion; the bare formats leave those entries out
    out = tmp_path / "out.csv"
    export_list(engine.bank.store, out, "te-csv")
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert sorted(r["category"] for r in rows) == ["DISPUTED", "NEGATIVE_CLASS", "POSITIVE_CLASS"]
    summary = export_list(engine.bank.store, tmp_path / "out.txt", "te")
    assert (summary.written, summary.opinion_withheld) == (1, 2)
    engine.bank.close()


def test_imgcheck_format_carries_everything_formula_safe_and_no_paths(te_world, tmp_path):
    out = tmp_path / "full.csv"
    export_list(te_world["bank"].store, out, "imgcheck")
    text = out.read_text()
    assert "/home/someone" not in text  # local paths only when asked
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["label"] for r in rows][1] == "'=HYPERLINK(\"x\")"
    assert {r["kind"] for r in rows} == {"celebrity", "known_scam"} and {r["quality"] for r in rows} == {"100"}
    with_sources = tmp_path / "sources.csv"
    export_list(te_world["bank"].store, with_sources, "imgcheck", include_sources=True)
    assert "/home/someone/photos/obama.jpg" in with_sources.read_text()
    store = BankStore(tmp_path / "b.sqlite")
    s = import_list(store, out)
    assert s.added == 3 and {e.label for e in store.entries()} == {"Barack Obama", "=HYPERLINK(\"x\")", "Grace Hopper"}
    assert {e.kind for e in store.entries()} == {"celebrity", "known_scam"}


def test_indicator_csv_tsv_and_hma_dumps(te_world, tmp_path):
    hashes = [ln.split()[1] for ln in te_world["export"].read_text().splitlines()]
    ind = tmp_path / "simple.HASH_PDQ.te"
    export_list(te_world["bank"].store, ind, "te-indicators")
    from threatexchange.cli.dataset.simple_serialization import HMASerialization

    parsed = [HMASerialization.from_csv_row(r, "HASH_PDQ") for r in csv.reader(ind.read_text().splitlines())]
    assert [p.indicator for p in parsed] == hashes  # python-threatexchange reads it back
    store = BankStore(tmp_path / "b.sqlite")
    assert import_list(store, ind).added == 3
    tsv = tmp_path / "list.tsv"
    tsv.write_text("signal_type\tsignal_value\tlabel\n" + "".join(f"HASH_PDQ\t{h}\tscam {i}\n"
                                                                 for i, h in enumerate(hashes)))
    assert import_list(BankStore(tmp_path / "c.sqlite"), tsv).added == 3
    # HMA 2.0: content objects as GET /c/bank/<bank>/content/<id>?include_signals=true returns them
    # disable_until_ts: 1 enabled, 0 disabled, a future time disabled until then (HMA's BankContentConfig)
    dump = [{"id": 10 + i, "disable_until_ts": (2_000_000_000, 1, 0)[i], "original_media_uri": None,
             "bank": {"name": "SCAM_PHOTOS", "matching_enabled_ratio": 1.0},
             "signals": {"pdq": h, "video_md5": "d41d8cd98f00b204e9800998ecf8427e"}, "note": f"case {i}"}
            for i, h in enumerate(hashes)]
    path = tmp_path / "hma.json"
    path.write_text(json.dumps(dump))
    hma = BankStore(tmp_path / "d.sqlite")
    s = import_list(hma, path)
    assert (s.added, s.not_pdq, s.non_matching) == (3, 3, 2)
    assert sorted(e.category for e in hma.entries()) == ["INVESTIGATION_SEED", "NEGATIVE_CLASS", "NEGATIVE_CLASS"]
    assert {(e.collab, e.label) for e in hma.entries()} == {("SCAM_PHOTOS", f"case {i}") for i in range(3)}
    # POST /c/bank/<bank>/signal bodies, one per line
    bodies = tmp_path / "signals.jsonl"
    bodies.write_text("".join(json.dumps({"pdq": h, "note": "x"}) + "\n" for h in hashes))
    assert import_list(BankStore(tmp_path / "e.sqlite"), bodies).added == 3


def test_quality_refusals_line_numbers_and_exit_codes(tmp_path, fixtures):
    from imgcheck.hashing.files import hash_file

    good = str(hash_file(fixtures / "obama.jpg", ["pdq"]).hashes["pdq"])
    listing = tmp_path / "q.csv"
    listing.write_text("signal_type,signal_value,label,quality\n"
                       f"pdq,{good},ok,100\n"
                       f"pdq,{'0' * 64},flat,0\n"
                       "pdq,nothex,bad,100\n"
                       "url,http://x,u,\n")
    store = BankStore(tmp_path / "b.sqlite")
    s = import_list(store, listing)
    assert (s.added, s.low_quality, s.refused, s.not_pdq) == (1, 1, 1, 1)
    assert s.errors == [f"{listing}:4: 'nothex' is not a 256-bit PDQ hash in hex"]
    assert not s.ok
    home = tmp_path / "home"
    bank = tmp_path / "cli.sqlite"
    proc = imgcheck_cli("bank", "import", "--bank", str(bank), str(listing), home=home)
    assert proc.returncode == 2 and "q.csv:4:" in proc.stderr and "added 1" in proc.stderr, proc.stderr
    only_other = tmp_path / "urls.txt"
    only_other.write_text("url http://example.com/a\nraw_text some text 'collab' INVESTIGATION_SEED\n")
    proc = imgcheck_cli("bank", "import", "--bank", str(bank), str(only_other), "--json", home=home)
    assert proc.returncode == 2 and json.loads(proc.stdout)["skipped_not_pdq"] == 2
    typed = tmp_path / "typed.csv"
    typed.write_text(f"HASH_PDQ,{good}\n")
    proc = imgcheck_cli("bank", "import", "--bank", str(bank), str(typed), home=home)
    assert proc.returncode == 0 and "added 1" in proc.stderr, proc.stderr


def test_reimport_updates_and_deletes(tmp_path, fixtures):
    from imgcheck.hashing.files import hash_file

    hs = [str(hash_file(fixtures / p, ["pdq"]).hashes["pdq"]) for p in ("obama.jpg", "biden.jpg", "rocket.jpg")]
    listing = tmp_path / "feed.csv"
    listing.write_text("signal_type,signal_str,collab,category,tags\n"
                       + "".join(f"pdq,{h},feed,POSITIVE_CLASS,\n" for h in hs))
    store = BankStore(tmp_path / "b.sqlite")
    assert import_list(store, listing).added == 3
    listing.write_text("signal_type,signal_str,collab,category,tags\n"
                       f"pdq,{hs[0]},feed,POSITIVE_CLASS,\npdq,{hs[1]},feed,NEGATIVE_CLASS,reviewed\n")
    s = import_list(store, listing)
    assert (s.added, s.updated, s.unchanged, s.deleted) == (0, 1, 1, 1)
    assert sorted((e.category, e.tags) for e in store.entries()) == [("NEGATIVE_CLASS", "reviewed"),
                                                                     ("POSITIVE_CLASS", "")]
    s = import_list(store, listing)
    assert (s.added, s.updated, s.unchanged, s.deleted) == (0, 0, 2, 0) and s.ok


def test_schema_1_bank_is_migrated_and_still_matches(tmp_path, fixtures, monkeypatch):
    path = tmp_path / "old.sqlite"
    engine = Engine(bank=path)
    engine.add_to_bank(fixtures / "obama.jpg", "Barack Obama", "celebrity")
    engine.bank.close()
    conn = sqlite3.connect(path)  # make it look like a bank written before schema 2
    conn.execute("CREATE TABLE e2 AS SELECT id, label, kind, source, sha256, added_at, width, height FROM entries")
    conn.execute("DROP TABLE entries")
    conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, label TEXT NOT NULL, kind TEXT NOT NULL, "
                 "source TEXT NOT NULL DEFAULT '', sha256 TEXT UNIQUE, added_at TEXT NOT NULL, width INTEGER, "
                 "height INTEGER)")
    conn.execute("INSERT INTO entries SELECT * FROM e2")
    conn.execute("DROP TABLE e2")
    conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    # a bank imgcheck may only read (here: every connection is query-only) is read as schema 1
    real_conn = BankStore._conn

    def read_only(self):
        conn = real_conn(self)
        conn.execute("PRAGMA query_only=1")
        return conn

    monkeypatch.setattr(BankStore, "_conn", read_only)
    ro = BankStore(path)
    assert [(e.label, e.category) for e in ro.entries()] == [("Barack Obama", "")]
    assert ro.stats()["schema_version"] == 1
    ro.close()
    monkeypatch.setattr(BankStore, "_conn", real_conn)
    store = BankStore(path)
    assert store.stats()["schema_version"] == SCHEMA_VERSION == 2
    assert [(e.label, e.category, e.collab) for e in store.entries()] == [("Barack Obama", "", "")]
    store.close()
    engine = Engine(bank=path)
    assert engine.check(fixtures / "obama.jpg", checks=["known_image"]).verdict == "flagged"
    engine.bank.close()


def test_legacy_helpers_keep_working(celeb_engine, tmp_path, fixtures):
    out = tmp_path / "list.txt"
    assert export_csv(celeb_engine.bank.store, out, style="te") == 4
    assert all(ln.startswith("pdq ") and len(ln) == 68 for ln in out.read_text().splitlines())
    other = Bank(tmp_path / "other.sqlite")
    assert import_csv(other.store, out) == (4, 0)
    assert import_csv(other.store, out) == (0, 4)
    report = Engine(bank=other).check(fixtures / "obama.jpg", checks=["known_image"])
    assert report.matches and report.matches[0].method == "pdq"


def test_cli_export_formats(te_world, tmp_path):
    home = tmp_path / "home"
    bank = str(te_world["base"] / "bank.sqlite")
    for fmt in ("te", "te-csv", "te-indicators", "imgcheck"):  # every format reads back whole
        out = tmp_path / f"x.{fmt}"
        assert export_list(te_world["bank"].store, out, fmt).written == 3
        assert import_list(BankStore(tmp_path / f"{fmt}.sqlite"), out).added == 3
    proc = imgcheck_cli("bank", "export", "--bank", bank, "--out", str(tmp_path / "default.txt"), home=home)
    assert proc.returncode == 0 and "exported 3 hashes" in proc.stderr, proc.stderr
    assert (tmp_path / "default.txt").read_text() == (tmp_path / "x.te").read_text()  # te is the default
    proc = imgcheck_cli("bank", "export", "--bank", bank, "--out", str(tmp_path / "lf"), "--format", "local_file",
                        home=home)
    assert proc.returncode == 0 and (tmp_path / "lf").read_text() == (tmp_path / "x.te").read_text()
    proc = imgcheck_cli("bank", "export", "--bank", bank, "--out", str(tmp_path / "y"), "--format", "xml", home=home)
    assert proc.returncode == 2 and "unknown hash-list format" in proc.stderr
