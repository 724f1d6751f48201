"""The bank's truth: a SQLite database (WAL) of known images, their hashes, faces and thumbnails.

Every entry is written in one transaction with all its rows, so a crash never leaves half an entry.
A ``generation`` counter in ``meta`` changes on every write; in-memory indexes compare it to know
when they are stale.

Schema 2 added what hash exchange needs (``bank/exchange.py``): an entry's sharing-group opinion
(``category``: POSITIVE_CLASS, INVESTIGATION_SEED, NEGATIVE_CLASS or DISPUTED; empty for photos added
here), its ``tags``, the ``collab`` (sharing group or list) it was imported from and the key it has
there (``external_key``), so a re-import updates and deletes instead of duplicating. A schema-1 bank is
migrated in place when opened (columns added with defaults; nothing rewritten).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from imgcheck.errors import BankError
from imgcheck.hashing.base import Hash
from imgcheck.types import BANK_KINDS

SCHEMA_VERSION = 2
#: opinions under which a bank entry never counts as a match (python-threatexchange's categories)
NON_MATCHING = ("NEGATIVE_CLASS", "DISPUTED")
CATEGORIES = ("POSITIVE_CLASS", "INVESTIGATION_SEED", "NEGATIVE_CLASS", "DISPUTED")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('celebrity', 'known_scam', 'other')),
    source TEXT NOT NULL DEFAULT '',
    sha256 TEXT UNIQUE,
    added_at TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    category TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    collab TEXT NOT NULL DEFAULT '',
    external_key TEXT
);
CREATE TABLE IF NOT EXISTS hashes (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    variant TEXT NOT NULL,
    bits BLOB NOT NULL,
    quality INTEGER
);
CREATE INDEX IF NOT EXISTS hashes_entry ON hashes(entry_id);
CREATE INDEX IF NOT EXISTS hashes_type ON hashes(type);
CREATE TABLE IF NOT EXISTS faces (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    face_index INTEGER NOT NULL,
    box TEXT NOT NULL,
    score REAL NOT NULL,
    model TEXT NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS faces_entry ON faces(entry_id);
CREATE TABLE IF NOT EXISTS features (
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (entry_id, kind)
);
CREATE TABLE IF NOT EXISTS thumbs (
    entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    jpeg BLOB NOT NULL
);
"""

#: schema 1 -> 2: the exchange columns (the schema above already has them for new banks)
_MIGRATE_2 = (
    "ALTER TABLE entries ADD COLUMN category TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entries ADD COLUMN tags TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entries ADD COLUMN collab TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entries ADD COLUMN external_key TEXT",
)
_INDEX_2 = "CREATE INDEX IF NOT EXISTS entries_external ON entries(collab, external_key)"


def _readonly(exc: sqlite3.OperationalError) -> bool:
    return "readonly" in str(exc).replace("-", "").replace(" ", "").lower()


@dataclass(frozen=True)
class Entry:
    id: int
    label: str
    kind: str
    source: str
    sha256: str | None
    added_at: str
    width: int | None = None
    height: int | None = None
    category: str = ""
    tags: str = ""
    collab: str = ""
    external_key: str | None = None

    @property
    def matches(self) -> bool:
        """False when the sharing group says matches are false positives (NEGATIVE_CLASS) or disputes it."""
        return self.category not in NON_MATCHING

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "kind": self.kind, "source": self.source,
                "sha256": self.sha256, "added_at": self.added_at, "width": self.width, "height": self.height,
                "category": self.category, "tags": self.tags, "collab": self.collab}


@dataclass(frozen=True)
class FaceRow:
    entry_id: int
    face_index: int
    box: tuple[int, int, int, int]
    score: float
    model: str
    embedding: np.ndarray


@dataclass
class NewEntry:
    """Everything stored for one entry, written in one transaction."""

    label: str
    kind: str = "other"
    source: str = ""
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    hashes: list[tuple[str, Hash]] = field(default_factory=list)  # (variant, hash)
    faces: list[tuple[tuple[int, int, int, int], float, str, np.ndarray]] = field(default_factory=list)
    features: dict[str, bytes] = field(default_factory=dict)
    thumb_jpeg: bytes | None = None
    category: str = ""
    tags: str = ""
    collab: str = ""
    external_key: str | None = None


class BankStore:
    """SQLite access. One connection per thread; writes are serialised by SQLite."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        if self.path != ":memory:":
            parent = Path(self.path).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BankError(f"cannot create the bank folder {parent}: {exc}") from exc
        self._memory_conn: sqlite3.Connection | None = None
        conn = self._conn()
        try:
            with conn:
                conn.executescript(_SCHEMA)
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
        except sqlite3.OperationalError as exc:
            # a bank we may only read (read-only file or folder) is fine as long as it is a bank
            if not (_readonly(exc) and self._is_bank(conn)):
                raise BankError(f"{self.path} is not a usable imgcheck bank: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise BankError(f"{self.path} is not a usable imgcheck bank: {exc}") from exc
        version = int(self.meta("schema_version") or 0)
        if version > SCHEMA_VERSION:
            raise BankError(f"{self.path} was written by a newer imgcheck (bank schema {version})")
        self._entry_cols = self._ENTRY_COLS
        if version < SCHEMA_VERSION:
            self._migrate(conn, version)

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        """Bring an older bank up to SCHEMA_VERSION in one transaction (a crash leaves it as it was).

        A bank that cannot be written (read-only file or folder) stays as it is and is read with the
        new columns' defaults, so an old bank is always readable."""
        try:
            with conn:
                if version < 2:
                    have = {r[1] for r in conn.execute("PRAGMA table_info(entries)")}
                    for sql in _MIGRATE_2:
                        if sql.split("COLUMN ")[1].split()[0] not in have:
                            conn.execute(sql)
                conn.execute(_INDEX_2)
                if version < SCHEMA_VERSION:
                    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
        except sqlite3.OperationalError as exc:
            if not _readonly(exc):
                raise BankError(f"cannot upgrade the bank {self.path} to schema {SCHEMA_VERSION}: {exc}") from exc
            self._entry_cols = self._LEGACY_COLS
        except sqlite3.DatabaseError as exc:
            raise BankError(f"cannot upgrade the bank {self.path} to schema {SCHEMA_VERSION}: {exc}") from exc

    @staticmethod
    def _is_bank(conn: sqlite3.Connection) -> bool:
        try:
            return conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() is not None
        except sqlite3.DatabaseError:
            return False

    # -- connections -------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._memory_conn is None:
                self._memory_conn = sqlite3.connect(":memory:", check_same_thread=False)
                self._memory_conn.execute("PRAGMA foreign_keys=ON")
            return self._memory_conn
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as exc:
                raise BankError(f"cannot open the bank {self.path}: {exc}") from exc
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- meta --------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")

    # -- writes ------------------------------------------------------------------------------
    def add(self, new: NewEntry) -> tuple[int, bool]:
        """Insert an entry with all its rows; return (id, created). Same sha256 twice: (old id, False)."""
        if new.kind not in BANK_KINDS:
            raise BankError(f"unknown bank kind {new.kind!r}; use one of {', '.join(BANK_KINDS)}")
        if not new.label.strip():
            raise BankError("a bank entry needs a non-empty label")
        conn = self._conn()
        try:
            with conn:
                if new.sha256:
                    row = conn.execute("SELECT id FROM entries WHERE sha256=?", (new.sha256,)).fetchone()
                    if row:
                        return int(row[0]), False
                if new.category and new.category not in CATEGORIES:
                    raise BankError(f"unknown opinion category {new.category!r}; use one of {', '.join(CATEGORIES)}")
                cur = conn.execute(
                    "INSERT INTO entries(label, kind, source, sha256, added_at, width, height, category, tags, "
                    "collab, external_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (new.label.strip(), new.kind, new.source, new.sha256,
                     datetime.now(UTC).isoformat(timespec="seconds"), new.width, new.height, new.category,
                     new.tags, new.collab, new.external_key))
                entry_id = int(cur.lastrowid)
                conn.executemany(
                    "INSERT INTO hashes(entry_id, type, variant, bits, quality) VALUES (?,?,?,?,?)",
                    [(entry_id, h.kind, variant, h.bits, h.quality) for variant, h in new.hashes])
                conn.executemany(
                    "INSERT INTO faces(entry_id, face_index, box, score, model, embedding) VALUES (?,?,?,?,?,?)",
                    [(entry_id, i, json.dumps(list(map(int, box))), float(score), model,
                      np.asarray(emb, np.float32).tobytes())
                     for i, (box, score, model, emb) in enumerate(new.faces)])
                conn.executemany("INSERT INTO features(entry_id, kind, data) VALUES (?,?,?)",
                                 [(entry_id, k, v) for k, v in new.features.items()])
                if new.thumb_jpeg:
                    conn.execute("INSERT INTO thumbs(entry_id, jpeg) VALUES (?,?)", (entry_id, new.thumb_jpeg))
                self._bump(conn)
        except sqlite3.DatabaseError as exc:
            raise BankError(f"cannot write to the bank {self.path}: {exc}") from exc
        return entry_id, True

    def remove(self, entry_ids: Iterable[int]) -> int:
        ids = [int(i) for i in entry_ids]
        conn = self._conn()
        with conn:
            n = 0
            for i in ids:
                n += conn.execute("DELETE FROM entries WHERE id=?", (i,)).rowcount
            if n:
                self._bump(conn)
        return n

    def update_exchange(self, entry_id: int, *, label: str, kind: str, category: str, tags: str,
                        quality: int | None) -> None:
        """Change what a re-imported hash list says about an entry (its hashes stay)."""
        if kind not in BANK_KINDS:
            raise BankError(f"unknown bank kind {kind!r}; use one of {', '.join(BANK_KINDS)}")
        if category and category not in CATEGORIES:
            raise BankError(f"unknown opinion category {category!r}; use one of {', '.join(CATEGORIES)}")
        conn = self._conn()
        try:
            with conn:
                conn.execute("UPDATE entries SET label=?, kind=?, category=?, tags=? WHERE id=?",
                             (label.strip(), kind, category, tags, int(entry_id)))
                conn.execute("UPDATE hashes SET quality=? WHERE entry_id=? AND type='pdq'", (quality, int(entry_id)))
                self._bump(conn)
        except sqlite3.DatabaseError as exc:
            raise BankError(f"cannot write to the bank {self.path}: {exc}") from exc

    def external_entries(self, collab: str) -> dict[str, Entry]:
        """Entries imported from ``collab``, by their key there."""
        rows = self._conn().execute(f"SELECT {self._entry_cols} FROM entries WHERE collab=? AND external_key "
                                    "IS NOT NULL ORDER BY id", (collab,))
        return {e.external_key: e for e in map(self._entry, rows) if e.external_key is not None}

    def remove_label(self, label: str) -> int:
        ids = [r[0] for r in self._conn().execute("SELECT id FROM entries WHERE label=?", (label,))]
        return self.remove(ids)

    # -- reads -------------------------------------------------------------------------------
    @staticmethod
    def _entry(row: tuple) -> Entry:
        return Entry(*row)

    _ENTRY_COLS = "id, label, kind, source, sha256, added_at, width, height, category, tags, collab, external_key"
    #: a schema-1 bank that could not be upgraded (read-only): the same columns with their defaults
    _LEGACY_COLS = "id, label, kind, source, sha256, added_at, width, height, '', '', '', NULL"

    def get(self, entry_id: int) -> Entry | None:
        row = self._conn().execute(f"SELECT {self._entry_cols} FROM entries WHERE id=?", (entry_id,)).fetchone()
        return self._entry(row) if row else None

    def entries(self, label: str | None = None) -> Iterator[Entry]:
        sql = f"SELECT {self._entry_cols} FROM entries"
        args: tuple = ()
        if label is not None:
            sql += " WHERE label=?"
            args = (label,)
        for row in self._conn().execute(sql + " ORDER BY id", args):
            yield self._entry(row)

    def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def stats(self) -> dict:
        conn = self._conn()
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM entries GROUP BY kind").fetchall())
        hashes = dict(conn.execute("SELECT type, COUNT(*) FROM hashes GROUP BY type").fetchall())
        faces = dict(conn.execute("SELECT model, COUNT(*) FROM faces GROUP BY model").fetchall())
        labels = int(conn.execute("SELECT COUNT(DISTINCT label) FROM entries").fetchone()[0])
        return {"path": self.path, "entries": self.count(), "labels": labels, "by_kind": kinds,
                "hashes": hashes, "faces": faces, "generation": self.generation,
                "schema_version": int(self.meta("schema_version") or 0)}

    def hash_rows(self, hash_type: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """All hashes of a type: (entry ids int64, packed bits uint8 [n, nbytes], variants)."""
        rows = self._conn().execute(
            "SELECT entry_id, bits, variant FROM hashes WHERE type=? ORDER BY id", (hash_type,)).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.uint8), []
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        bits = np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(len(rows), -1)
        return ids, bits, [r[2] for r in rows]

    def max_entry_id(self) -> int:
        return int(self._conn().execute("SELECT COALESCE(MAX(id), 0) FROM entries").fetchone()[0])

    def now(self) -> str:
        """The time format of ``added_at``: what an index records as its build time."""
        return datetime.now(UTC).isoformat(timespec="seconds")

    def index_hash_rows(self, hash_type: str, min_quality: int, min_side: int, after_id: int = 0,
                        added_since: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(entry ids, packed bits) of the hashes an index holds: those of entries past ``after_id``
        (or added at or after ``added_since``) whose picture can match on a hash, i.e. no PDQ hash of
        quality below ``min_quality`` and no side under ``min_side`` px."""
        rows = self._conn().execute(
            "SELECT h.entry_id, h.bits FROM hashes h JOIN entries e ON e.id = h.entry_id "
            "WHERE h.type=? AND (h.entry_id > ? OR (? IS NOT NULL AND e.added_at >= ?)) "
            "AND NOT EXISTS (SELECT 1 FROM hashes p WHERE p.entry_id = h.entry_id AND p.type = 'pdq' "
            "AND p.quality < ?) AND (e.width IS NULL OR e.height IS NULL OR MIN(e.width, e.height) >= ?) "
            "ORDER BY h.entry_id, h.id", (hash_type, after_id, added_since, added_since, min_quality, min_side)
        ).fetchall()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.uint8)
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        bits = np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(len(rows), -1)
        return ids, bits

    def index_feature_rows(self, kind: str, after_id: int = 0,
                           added_since: str | None = None) -> Iterator[tuple[int, bytes]]:
        """``feature_rows`` of the entries past ``after_id`` or added at or after ``added_since``."""
        for entry_id, data in self._conn().execute(
                "SELECT f.entry_id, f.data FROM features f JOIN entries e ON e.id = f.entry_id "
                "WHERE f.kind=? AND (f.entry_id > ? OR (? IS NOT NULL AND e.added_at >= ?)) ORDER BY f.entry_id",
                (kind, after_id, added_since, added_since)):
            yield int(entry_id), bytes(data)

    def hashes_of(self, entry_id: int) -> list[tuple[str, Hash]]:
        rows = self._conn().execute(
            "SELECT type, variant, bits, quality FROM hashes WHERE entry_id=? ORDER BY id", (entry_id,))
        return [(variant, Hash(t, bytes(bits), q)) for t, variant, bits, q in rows]

    def pdq_quality(self, entry_id: int) -> int | None:
        """The lowest PDQ quality among an entry's PDQ hashes; None when it has none with a quality."""
        row = self._conn().execute("SELECT MIN(quality) FROM hashes WHERE entry_id=? AND type='pdq'",
                                   (entry_id,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def face_rows(self, model: str) -> list[FaceRow]:
        rows = self._conn().execute(
            "SELECT entry_id, face_index, box, score, model, embedding FROM faces WHERE model=? ORDER BY id",
            (model,))
        return [FaceRow(e, i, tuple(json.loads(b)), s, m, np.frombuffer(emb, np.float32))
                for e, i, b, s, m, emb in rows]

    def feature(self, entry_id: int, kind: str) -> bytes | None:
        row = self._conn().execute("SELECT data FROM features WHERE entry_id=? AND kind=?",
                                   (entry_id, kind)).fetchone()
        return bytes(row[0]) if row else None

    def feature_rows(self, kind: str) -> Iterator[tuple[int, bytes]]:
        """(entry id, blob) of every entry that has features of ``kind``, in entry order."""
        for entry_id, data in self._conn().execute(
                "SELECT entry_id, data FROM features WHERE kind=? ORDER BY entry_id", (kind,)):
            yield int(entry_id), bytes(data)

    def thumb(self, entry_id: int) -> bytes | None:
        row = self._conn().execute("SELECT jpeg FROM thumbs WHERE entry_id=?", (entry_id,)).fetchone()
        return bytes(row[0]) if row else None

    def integrity_check(self) -> list[str]:
        """SQLite's own check plus the bank's invariants; empty list when all is well."""
        conn = self._conn()
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"foreign key violation in {r[0]}" for r in conn.execute("PRAGMA foreign_key_check")]
        orphan = conn.execute("SELECT COUNT(*) FROM entries e WHERE e.sha256 IS NOT NULL AND NOT EXISTS "
                              "(SELECT 1 FROM hashes h WHERE h.entry_id=e.id)").fetchone()[0]
        if orphan:
            problems.append(f"{orphan} entries have no hashes")
        return problems
