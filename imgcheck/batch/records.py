"""The scan's JSON Lines file: a crash-safe writer, a reader that tolerates a torn last line, the set
of sources already done (for resume), the cache of records of identical files (every scan engine's),
a summary, and the risk order the reports use."""

from __future__ import annotations

import json
import os
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

import numpy as np

from imgcheck.batch.inputs import source_digest
from imgcheck.contract import evidence_strength, upgrade_report
from imgcheck.engine import error_report
from imgcheck.types import REPORT_SCHEMA
from imgcheck.verdict import FLAG_ORDER

Record = dict[str, Any]


def error_record(source: str, message: str) -> Record:
    """The record of a file that could not be checked (a report with verdict ``error``)."""
    return error_report(source, message).to_dict()

#: verdict -> base risk; within a verdict, more flags and closer matches rank higher
_VERDICT_RISK = {"flagged": 3000.0, "suspicious": 2000.0, "error": 1000.0, "incomplete": 500.0, "clear": 0.0}


def with_source(record: Record, source: str) -> Record:
    """The record of an identical file, reported for ``source`` (an error message names it too)."""
    out = {**record, "source": source}
    old, err = record.get("source"), record.get("error")
    if isinstance(err, str) and isinstance(old, str) and old and err.startswith(old):
        out["error"] = source + err[len(old):]
    return out


class RecordCache:
    """Records of recently checked files by sha256, capped in bytes (JSON text), least recently used
    dropped first. An identical file whose record was dropped is simply checked again."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, str] = OrderedDict()
        self._size = 0

    def get(self, sha: str) -> Record | None:
        text = self._items.get(sha)
        if text is None:
            return None
        self._items.move_to_end(sha)
        return json.loads(text)

    def put(self, record: Record) -> None:
        sha = record.get("sha256")
        if not sha or record.get("verdict") == "error" or sha in self._items:
            return
        if record.get("schema") != REPORT_SCHEMA:
            return  # a record from an older scan (resume) is not copied into a new one: check again
        text = json.dumps(record, ensure_ascii=False)
        self._items[sha] = text
        self._size += len(text)
        while self._size > self.max_bytes and self._items:
            _, old = self._items.popitem(last=False)
            self._size -= len(old)


def strongest(record: Record) -> tuple[dict[str, Any] | None, float | None]:
    """The evidence item with the highest ``strength`` (flagging items first) and that strength;
    v1 records are read through ``imgcheck.contract`` (strength rebuilt from score and threshold)."""
    record = upgrade_report(record)
    matches = [m for m in record.get("matches") or [] if isinstance(m, dict)]
    best: tuple[tuple[int, float], dict[str, Any], float] | None = None
    for ev in record.get("evidence") or []:
        if not isinstance(ev, dict):
            continue
        s = evidence_strength(ev, matches)
        if s is None:
            continue
        key = (int(ev.get("status") == "flag"), s)
        if best is None or key > best[0]:
            best = (key, ev, s)
    return (best[1], best[2]) if best else (None, None)


def risk(record: Record) -> float:
    """A sort key for moderators: flagged before suspicious before errors before clear; then by
    the number of flags, then by the strongest evidence (``strength``, 0..1, higher is worse)."""
    base = _VERDICT_RISK.get(str(record.get("verdict")), 0.0)
    flags = record.get("flags") or []
    _, s = strongest(record)
    return base + 100.0 * len(flags) + (s or 0.0)


class JsonlWriter:
    """Appends one record per line and flushes each, so a kill -9 loses at most the line being
    written (which ``repair_jsonl`` then drops). ``fsync_every`` > 0 also syncs to disk every N records
    (power-loss safety at some speed cost)."""

    def __init__(self, path: str | Path, append: bool = False, fsync_every: int = 0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = self.path.open("a" if append else "w", encoding="utf-8", newline="\n")
        self._fsync_every = fsync_every
        self.count = 0

    def write(self, record: Record) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        self.count += 1
        if self._fsync_every and self.count % self._fsync_every == 0:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def repair_jsonl(path: str | Path) -> int:
    """Cut a torn last line (a write interrupted by a crash); return the number of bytes dropped."""
    path = Path(path)
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        # walk back from the end to the last newline; records are small, so read in blocks
        pos = size
        block = 65536
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            chunk = fh.read(pos - start)
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            pos = start
        else:
            keep = 0
        if keep == size:
            return 0
        fh.truncate(keep)
        return size - keep


def read_jsonl(path: str | Path) -> Iterator[Record]:
    """Records of a scan file, one at a time; lines that are not whole JSON objects are skipped."""
    with Path(path).open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.endswith("\n"):
                return  # torn last line
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "source" in rec:
                yield rec


class DoneSet:
    """Sources already in a scan file, as a sorted array of 64-bit digests: 8 bytes per source, so a
    million-record resume needs 8 MB, not the strings (a false "done" has odds of about 1 in 10^13)."""

    def __init__(self, digests: np.ndarray) -> None:
        self._d = np.unique(digests.astype(np.uint64))

    @classmethod
    def from_sources(cls, sources: Iterable[str]) -> DoneSet:
        buf = array("Q")
        for s in sources:
            buf.append(source_digest(s))
        return cls(np.frombuffer(buf, dtype=np.uint64) if len(buf) else np.zeros(0, np.uint64))

    def __contains__(self, source: object) -> bool:
        if not isinstance(source, str) or not len(self._d):
            return False
        d = np.uint64(source_digest(source))
        i = int(np.searchsorted(self._d, d))
        return i < len(self._d) and self._d[i] == d

    def __len__(self) -> int:
        return len(self._d)


@dataclass
class Summary:
    """Counts for the end of a scan: verdicts, flags by kind, errors."""

    total: int = 0
    verdicts: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)

    def add(self, record: Record) -> None:
        self.total += 1
        self.verdicts[str(record.get("verdict"))] += 1
        for f in record.get("flags") or []:
            self.flags[str(f)] += 1

    @property
    def errors(self) -> int:
        return self.verdicts.get("error", 0)

    @property
    def incomplete(self) -> int:
        return self.verdicts.get("incomplete", 0)

    @property
    def flagged(self) -> int:
        return self.verdicts.get("flagged", 0) + self.verdicts.get("suspicious", 0)

    def flag_items(self) -> list[tuple[str, int]]:
        rank = {f: i for i, f in enumerate(FLAG_ORDER)}
        return sorted(self.flags.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))

    def to_dict(self) -> dict[str, Any]:
        return {"scanned": self.total, "verdicts": dict(self.verdicts), "flags": dict(self.flag_items()),
                "errors": self.errors, "incomplete": self.incomplete}

    @classmethod
    def of(cls, records: Iterable[Record]) -> Summary:
        s = cls()
        for r in records:
            s.add(r)
        return s
