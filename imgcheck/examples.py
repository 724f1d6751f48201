"""The bundled example bank, built from ``examples/bank.json`` into a cache file on first use."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from imgcheck.errors import BankError

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
#: bump when what the bank stores per image changes, so cached example banks are rebuilt
INDEX_VERSION = "4"  # 4: the reference PDQ (pdq_ref) and bank schema 2


def example_manifest(examples_dir: Path = EXAMPLES_DIR) -> dict:
    path = examples_dir / "bank.json"
    if not path.is_file():
        raise BankError(f"the example bank recipe {path} is missing")
    return json.loads(path.read_text())


def build_example_bank(engine, examples_dir: Path = EXAMPLES_DIR) -> int:
    """Add every example entry to ``engine.bank``; return how many entries were new."""
    added = 0
    for item in example_manifest(examples_dir)["entries"]:
        _, created = engine.add_to_bank(examples_dir / item["file"], item["label"], item["kind"], item["source"])
        added += int(created)
    return added


def example_bank_path(cache_dir: Path, settings=None, examples_dir: Path = EXAMPLES_DIR) -> Path:
    """Path of a ready example bank under ``cache_dir``, built (atomically) when missing or outdated."""
    from imgcheck.engine import Engine

    recipe = (examples_dir / "bank.json").read_bytes()
    digest = hashlib.sha256(recipe + INDEX_VERSION.encode()).hexdigest()[:12]
    path = cache_dir / f"example-bank-{digest}.sqlite"
    if path.is_file():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".example-bank-{digest}.{os.getpid()}.sqlite"
    engine = Engine(bank=tmp, settings=settings)
    try:
        build_example_bank(engine, examples_dir)
    finally:
        engine.bank.close()
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    os.replace(tmp, path)
    return path
