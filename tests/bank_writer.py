"""Adds every image of a folder to a bank, reporting each commit; killed at random by test_bank_crash.py.

Usage: ``python tests/bank_writer.py BANK DIR``. Prints ``READY``, then one line per image after its
transaction committed: ``COMMITTED name entry_id sha256 hash_rows``, flushed, so the parent knows
exactly what was durable when it sent SIGKILL. Files already in the bank (same sha256) are skipped
without hashing, so a restarted writer resumes quickly.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path


def main() -> None:
    bank, folder = sys.argv[1], Path(sys.argv[2])
    from imgcheck import Engine

    engine = Engine(bank=bank)
    store = engine.bank.store
    known = {row[0] for row in store._conn().execute("SELECT sha256 FROM entries")}
    paths = sorted(folder.iterdir())
    engine.entry_for(engine.load(paths[0]), "warm-up")  # imports and first-use costs before READY
    print("READY", flush=True)
    for path in paths:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() in known:
            continue
        entry_id, created = engine.add_to_bank(data, "generated", "other", path.name)
        rows = (
            store._conn().execute("SELECT COUNT(*) FROM hashes WHERE entry_id=?", (entry_id,)).fetchone()[0]
        )
        print(f"COMMITTED {path.name} {entry_id} {hashlib.sha256(data).hexdigest()} {rows}", flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
