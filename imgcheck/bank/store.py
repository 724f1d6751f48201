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

import functools
import inspect
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
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


class _Result(list):
    """Rows fetched while the ``:memory:`` lock was held, with the cursor attributes the store reads."""

    def __init__(self, rows: list, lastrowid: int | None, rowcount: int) -> None:
        super().__init__(rows)
        self.lastrowid = lastrowid
        self.rowcount = rowcount

    def fetchone(self):
        return self[0] if self else None

    def fetchall(self) -> list:
        return list(self)


class _LockedConnection:
    """The single connection of a ``:memory:`` bank, shared by every thread (a second connection would
    be a second, empty database). Each statement, and each transaction (``with conn:``) as a whole,
    runs under one re-entrant lock, and results are fetched before the lock is released, so threads
    never interleave inside a transaction or a half-read cursor."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.RLock()

    def execute(self, sql: str, args: Iterable = ()) -> _Result:
        with self._lock:
            cur = self._conn.execute(sql, tuple(args))
            return _Result(cur.fetchall(), cur.lastrowid, cur.rowcount)

    def executemany(self, sql: str, rows: Iterable) -> _Result:
        with self._lock:
            cur = self._conn.executemany(sql, list(rows))
            return _Result([], cur.lastrowid, cur.rowcount)

    def executescript(self, sql: str) -> None:
        with self._lock:
            self._conn.executescript(sql)

    def __enter__(self) -> _LockedConnection:
        self._lock.acquire()
        self._conn.__enter__()
        return self

    def __exit__(self, *exc: object) -> bool:
        try:
            return bool(self._conn.__exit__(*exc))
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class BankStore:
    """SQLite access. One connection per thread (closed by ``close()``, or when its thread has ended
    and another thread opens one); a ``:memory:`` bank has one connection behind a lock. Writes are
    serialised by SQLite; every sqlite3 error leaves as ``BankError``."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        #: thread ident -> (thread, connection) of every open per-thread connection
        self._open: dict[int, tuple[threading.Thread, sqlite3.Connection]] = {}
        self._open_lock = threading.Lock()
        self._epoch = 0
        if self.path != ":memory:":
            parent = Path(self.path).parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BankError(f"cannot create the bank folder {parent}: {exc}") from exc
        self._memory_conn: _LockedConnection | None = None
        try:
            conn = self._conn()
        except sqlite3.DatabaseError as exc:
            raise BankError(f"{self.path} is not a usable imgcheck bank: {exc}") from exc
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
    def _conn(self):
        if self.path == ":memory:":
            with self._open_lock:
                if self._memory_conn is None:
                    raw = sqlite3.connect(":memory:", check_same_thread=False)
                    raw.execute("PRAGMA foreign_keys=ON")
                    self._memory_conn = _LockedConnection(raw)
                return self._memory_conn
        mine = getattr(self._local, "conn", None)
        if mine is not None and mine[0] == self._epoch:
            return mine[1]
        try:
            # check_same_thread=False only so that close() may close it from another thread; each
            # connection is still used by its own thread alone
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise BankError(f"cannot open the bank {self.path}: {exc}") from exc
        me = threading.current_thread()
        with self._open_lock:
            # connections of threads that have ended (a thread pool's old workers) are closed here
            for ident, (thread, old) in list(self._open.items()):
                if not thread.is_alive():
                    old.close()
                    del self._open[ident]
            self._open[me.ident] = (me, conn)
        self._local.conn = (self._epoch, conn)
        return conn

    def open_connections(self) -> int:
        """Per-thread connections open now (the ``:memory:`` one counts as one)."""
        with self._open_lock:
            return len(self._open) + (self._memory_conn is not None)

    def close(self) -> None:
        """Close every connection of this store, whichever thread opened it; using the store again
        opens new ones (a ``:memory:`` bank is gone once closed)."""
        with self._open_lock:
            for _, conn in self._open.values():
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._open.clear()
            self._epoch += 1
            if self._memory_conn is not None:
                self._memory_conn.close()
                self._memory_conn = None
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
        if new.category and new.category not in CATEGORIES:
            raise BankError(f"unknown opinion category {new.category!r}; use one of {', '.join(CATEGORIES)}")
        conn = self._conn()
        try:
            with conn:
                if new.sha256:
                    row = conn.execute("SELECT id FROM entries WHERE sha256=?", (new.sha256,)).fetchone()
                    if row:
                        return int(row[0]), False
                # ON CONFLICT: two threads adding the same file at once both passed the SELECT above;
                # the second insert then does nothing and gets the first one's id (no UNIQUE error)
                cur = conn.execute(
                    "INSERT INTO entries(label, kind, source, sha256, added_at, width, height, category, tags, "
                    "collab, external_key) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(sha256) DO NOTHING",
                    (new.label.strip(), new.kind, new.source, new.sha256,
                     datetime.now(UTC).isoformat(timespec="seconds"), new.width, new.height, new.category,
                     new.tags, new.collab, new.external_key))
                if cur.rowcount == 0:
                    row = conn.execute("SELECT id FROM entries WHERE sha256=?", (new.sha256,)).fetchone()
                    return int(row[0]), False
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
        rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        for row in rows:
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

    def index_hash_rows(self, hash_type: str, quality_gates: Mapping[str, int], min_side: int, after_id: int = 0,
                        added_since: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(entry ids, packed bits) of the hashes an index holds: those of entries past ``after_id``
        (or added at or after ``added_since``) whose picture can match on a hash, i.e. no hash of a
        type in ``quality_gates`` with a quality below that type's floor and no side under
        ``min_side`` px."""
        gated = " OR ".join("(p.type = ? AND p.quality < ?)" for _ in quality_gates) or "0"
        rows = self._conn().execute(
            "SELECT h.entry_id, h.bits FROM hashes h JOIN entries e ON e.id = h.entry_id "
            "WHERE h.type=? AND (h.entry_id > ? OR (? IS NOT NULL AND e.added_at >= ?)) "
            f"AND NOT EXISTS (SELECT 1 FROM hashes p WHERE p.entry_id = h.entry_id AND ({gated})) "
            "AND (e.width IS NULL OR e.height IS NULL OR MIN(e.width, e.height) >= ?) "
            "ORDER BY h.entry_id, h.id",
            (hash_type, after_id, added_since, added_since, *[v for kv in quality_gates.items() for v in kv],
             min_side)
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

    def min_quality(self, entry_id: int, hash_type: str) -> int | None:
        """The lowest quality among an entry's hashes of a type; None when it has none with a quality."""
        row = self._conn().execute("SELECT MIN(quality) FROM hashes WHERE entry_id=? AND type=?",
                                   (entry_id, hash_type)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def pdq_quality(self, entry_id: int) -> int | None:
        """The lowest PDQ quality among an entry's PDQ hashes; None when it has none with a quality."""
        return self.min_quality(entry_id, "pdq")

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


def _bank_errors(fn):
    """Turn any sqlite3 error escaping a store method into a BankError naming the bank."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(self, *args, **kwargs):
            try:
                yield from fn(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise BankError(f"cannot read the bank {self.path}: {exc}") from exc
        return gen

    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise BankError(f"the bank {self.path} failed: {exc}") from exc
    return wrapper


for _name in ("meta", "add", "remove", "update_exchange", "external_entries", "remove_label", "get", "entries",
              "count", "stats", "hash_rows", "max_entry_id", "index_hash_rows", "index_feature_rows",
              "hashes_of", "min_quality", "pdq_quality", "face_rows", "feature", "feature_rows", "thumb",
              "integrity_check"):
    if hasattr(BankStore, _name):
        setattr(BankStore, _name, _bank_errors(getattr(BankStore, _name)))
