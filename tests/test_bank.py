"""Bank: round trip, idempotence, removal, export/import, index against the reference scan."""

from __future__ import annotations

import numpy as np
import pytest

from imgcheck.bank import Bank
from imgcheck.bank.exchange import export_csv, import_csv
from imgcheck.bank.index import FaissHammingIndex, LinearHammingIndex
from imgcheck.errors import BankError, InputError


def test_add_is_idempotent_and_round_trips(engine, fixtures):
    eid, created = engine.add_to_bank(fixtures / "astronaut.png", "Eileen Collins", "celebrity", "skimage")
    again, created2 = engine.add_to_bank(fixtures / "astronaut.png", "someone else", "other")
    assert created and not created2 and again == eid
    store = engine.bank.store
    assert store.count() == 1
    e = store.get(eid)
    assert (e.label, e.kind, e.source, e.width, e.height) == ("Eileen Collins", "celebrity", "skimage", 512, 512)
    assert {h.kind for _, h in store.hashes_of(eid)} >= {"pdq", "phash"}
    assert store.thumb(eid)[:3] == b"\xff\xd8\xff"
    assert store.integrity_check() == []


def test_reopen_sees_entries_and_index_refreshes(bank_path, engine, fixtures):
    engine.add_to_bank(fixtures / "coffee.png", "coffee", "other")
    other = Bank(bank_path)
    assert other.store.count() == 1
    assert engine.check(fixtures / "astronaut.png").verdict == "clear"
    engine.add_to_bank(fixtures / "astronaut.png", "Eileen Collins", "celebrity")
    # the cached index is stale after the add and must be rebuilt
    assert "known_image" in engine.check(fixtures / "astronaut.png").flags
    assert engine.bank.store.remove_label("Eileen Collins") == 1
    assert engine.check(fixtures / "astronaut.png").verdict == "clear"


def test_bad_kind_and_label_rejected(engine, fixtures):
    with pytest.raises(BankError):
        engine.add_to_bank(fixtures / "coffee.png", "x", "villain")
    with pytest.raises(BankError):
        engine.add_to_bank(fixtures / "coffee.png", "  ", "other")


def test_not_a_bank_file(tmp_path):
    p = tmp_path / "junk.sqlite"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BankError):
        Bank(p)


def test_export_import_round_trip(celeb_engine, tmp_path, fixtures):
    out = tmp_path / "hashes.csv"
    assert export_csv(celeb_engine.bank.store, out) == 4
    header = out.read_text().splitlines()[0]
    assert header.startswith("signal_type,signal_value")
    other = Bank(tmp_path / "other.sqlite")
    assert import_csv(other.store, out) == (4, 0)
    assert import_csv(other.store, out) == (0, 4)  # idempotent
    assert sorted(e.label for e in other.store.entries()) == sorted(
        e.label for e in celeb_engine.bank.store.entries())
    from imgcheck import Engine

    eng = Engine(bank=other)
    report = eng.check(fixtures / "grace_hopper.jpg", checks=["known_image"])
    assert report.matches[0].label == "Grace Hopper"


def test_import_rejects_bad_rows(tmp_path):
    bank = Bank(tmp_path / "b.sqlite")
    p = tmp_path / "bad.csv"
    p.write_text("signal_type,signal_value,label\npdq,xyz,bad\n")
    with pytest.raises(InputError, match="not a 256-bit PDQ hash"):
        import_csv(bank.store, p)


def test_plain_hash_label_rows(tmp_path):
    bank = Bank(tmp_path / "b.sqlite")
    p = tmp_path / "plain.csv"
    p.write_text("ab" * 32 + ",scam photo 1\n" + "cd" * 32 + ",scam photo 2\n")
    assert import_csv(bank.store, p, default_kind="known_scam") == (2, 0)
    assert {e.kind for e in bank.store.entries()} == {"known_scam"}


@pytest.mark.parametrize("multihash", [False, True])
def test_faiss_index_equals_linear_scan(multihash):
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    queries = base[:50].copy()
    # flip a few bits so distances spread around the radius
    for i, q in enumerate(queries):
        idx = rng.choice(256, size=i % 40, replace=False)
        for b in idx:
            q[b // 8] ^= 1 << (7 - b % 8)
    ref = LinearHammingIndex(base).range_search(queries, 31)
    got = FaissHammingIndex(base, multihash=multihash).range_search(queries, 31)
    assert [[(h.row, h.distance) for h in r] for r in got] == [[(h.row, h.distance) for h in r] for r in ref]
    assert sum(len(r) for r in ref) >= 30
