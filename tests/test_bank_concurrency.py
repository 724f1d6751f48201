"""The bank under the app's thread pool: 20 threads adding, removing and checking at once.

Identical concurrent adds are idempotent (one entry, every caller gets its id, no BankError); the
``:memory:`` bank's single connection is locked; connections are closed (by ``close()`` and when
their thread has ended); sqlite3 errors leave as BankError.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from imgcheck import Engine
from imgcheck.bank import Bank
from imgcheck.bank.store import BankStore, NewEntry
from imgcheck.errors import BankError
from imgcheck.hashing.base import Hash

FIXTURES = Path(__file__).parent / "fixtures"
THREADS = 20


def entry(i: int, label: str = "x") -> NewEntry:
    rng = np.random.default_rng(i)
    return NewEntry(label=f"{label}{i}", kind="other", sha256=f"{i:064x}", width=100, height=100,
                    hashes=[("orig", Hash("pdq", rng.integers(0, 256, 32, dtype=np.uint8).tobytes(), 100))])


def run_threads(target, n: int = THREADS) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def wrapped(k: int) -> None:
        try:
            barrier.wait()
            target(k)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("where", ["file", "memory"])
def test_identical_concurrent_adds_are_idempotent(tmp_path, where):
    store = BankStore(tmp_path / "b.sqlite" if where == "file" else ":memory:")
    results: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def add(k: int) -> None:
        r = store.add(entry(7))  # every thread adds the same file
        with lock:
            results.append(r)

    assert run_threads(add) == []
    assert len(results) == THREADS
    assert len({i for i, _ in results}) == 1 and sum(created for _, created in results) == 1
    assert store.count() == 1 and store.integrity_check() == []
    store.close()


@pytest.mark.parametrize("where", ["file", "memory"])
def test_twenty_threads_add_remove_and_check(tmp_path, where, fixtures):
    path = tmp_path / "bank.sqlite" if where == "file" else ":memory:"
    bank = Bank(path)
    eng = Engine(bank=bank)
    eng.add_to_bank(fixtures / "obama.jpg", "Barack Obama", "celebrity")
    photo = eng.load(fixtures / "obama.jpg")
    flagged: list[str] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        mine = [bank.store.add(entry(1000 + 50 * k + j, f"t{k}-"))[0] for j in range(6)]
        shared = bank.store.add(entry(5))  # the same entry from every thread
        assert shared[0] > 0
        assert bank.store.remove(mine[:3]) == 3
        assert bank.store.remove_label(f"t{k}-{1000 + 50 * k + 3}") == 1
        report = eng.check(photo, checks=["known_image"])
        with lock:
            flagged.append(report.verdict)
        assert len(list(bank.store.entries())) >= 2

    errors = run_threads(work)
    assert errors == [], errors[:3]
    assert flagged == ["flagged"] * THREADS
    # per thread 6 added, 4 removed; plus the photo and the one shared entry
    assert bank.store.count() == 2 * THREADS + 2
    assert bank.store.integrity_check() == []
    if where == "file":
        assert bank.store.open_connections() <= THREADS + 1
    bank.close()
    assert bank.store.open_connections() == 0


def test_connections_of_ended_threads_are_closed_and_close_closes_all(tmp_path):
    store = BankStore(tmp_path / "b.sqlite")
    store.add(entry(1))
    for _ in range(3):
        t = threading.Thread(target=store.count)
        t.start()
        t.join()
    # each ended thread's connection is closed when the next thread opens one
    assert store.open_connections() <= 2
    seen = []
    t = threading.Thread(target=lambda: seen.append(store._conn()))
    t.start()
    t.join()
    store.close()
    assert store.open_connections() == 0
    with pytest.raises(sqlite3.ProgrammingError):
        seen[0].execute("SELECT 1")  # closed, although another thread opened it
    assert store.count() == 1  # the store reopens on use


def test_sqlite_errors_are_bank_errors(tmp_path):
    store = BankStore(tmp_path / "b.sqlite")
    store.add(entry(1))
    store._conn().execute("DROP TABLE thumbs")  # a damaged bank
    store._conn().execute("DROP TABLE features")
    with pytest.raises(BankError):
        store.thumb(1)
    with pytest.raises(BankError):
        list(store.feature_rows("orb"))
    store._conn().execute("DROP TABLE entries")
    with pytest.raises(BankError):
        store.remove([1])  # was a raw sqlite3.OperationalError
    with pytest.raises(BankError):
        store.remove_label("x")
    not_a_bank = tmp_path / "x.sqlite"
    not_a_bank.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(BankError):
        BankStore(not_a_bank)


def test_a_memory_bank_holds_real_entries(fixtures):
    eng = Engine(bank=Bank(":memory:"))
    eid, created = eng.add_to_bank(fixtures / "obama.jpg", "Barack Obama", "celebrity")
    assert created and eng.bank.store.thumb(eid)[:2] == b"\xff\xd8"
    assert eng.add_to_bank(fixtures / "obama.jpg", "Barack Obama", "celebrity") == (eid, False)


# -- bank export: formula-safe cells -------------------------------------------------------------------
FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2", "@SUM(A1)", " =1+1", "\t=cmd",
            "\uff1d1+1", "'already quoted", "plain label"]


@pytest.mark.parametrize("fmt", ["imgcheck", "te-csv"])
def test_bank_export_csv_cells_are_formula_safe_and_import_back(tmp_path, fmt, fixtures):
    import csv
    import os
    import subprocess
    import sys

    from imgcheck.bank.exchange import export_list, import_list

    store = BankStore(tmp_path / "b.sqlite")
    rng = np.random.default_rng(0)
    for i, label in enumerate(FORMULAS):
        store.add(NewEntry(label=label, sha256=f"{i:064x}", tags=label, collab="=evil", width=400, height=400,
                           hashes=[("full", Hash("pdq", rng.integers(0, 256, 32, dtype=np.uint8).tobytes(), 100))]))
    out = tmp_path / f"export.{fmt}.csv"
    assert export_list(store, out, fmt).written == len(FORMULAS)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    for r in rows:
        for col in ("label", "tags", "collab"):
            cell = r[col]
            assert not cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@", "\uff1d")), (col, cell)
    back = BankStore(tmp_path / "back.sqlite")
    import_list(back, out, collab="c")
    assert sorted(e.label for e in back.entries()) == sorted(e.label for e in store.entries())  # exactly
    # the CLI writes the same cells
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_CACHE_HOME=str(tmp_path / "c"))
    cli_out = tmp_path / "cli.csv"
    p = subprocess.run([sys.executable, "-m", "imgcheck.cli", "bank", "export", "--bank", str(tmp_path / "b.sqlite"),
                        "--format", fmt, "--out", str(cli_out)], capture_output=True, text=True, env=env,
                       cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert p.returncode == 0, p.stderr
    assert cli_out.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
