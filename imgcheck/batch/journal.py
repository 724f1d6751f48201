"""A scan kept in a JSON Lines journal: refuse to clobber one, resume one, scan into one, and render
the CSV or HTML report from it. ``imgcheck scan`` only adds progress and messages.

The journal is the scan's truth: each record is appended and flushed as it is made, so a crash or
``kill -9`` loses at most the line being written. Resuming drops a torn last line, skips every source
already recorded (their records also fill the cache of identical files) and appends the rest, so the
journal ends with one record per input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgcheck.batch.records import DoneSet, JsonlWriter, Record, RecordCache, read_jsonl, repair_jsonl
from imgcheck.batch.report_csv import write_csv
from imgcheck.batch.report_html import write_html
from imgcheck.batch.scan import scan_iter
from imgcheck.errors import InputError


def journal_in_use(path: Path, *, resume: bool, overwrite: bool) -> bool:
    """Whether ``path`` holds records already; InputError when that forbids the scan (neither
    ``resume`` nor ``overwrite``) or when both are asked."""
    if resume and overwrite:
        raise InputError("--resume and --overwrite cannot be used together")
    existing = path.exists() and path.stat().st_size > 0
    if existing and not (resume or overwrite):
        raise InputError(f"{path} already exists: pass --resume to continue that scan, or "
                         "--overwrite to start again")
    return existing


@dataclass
class Journal:
    """Where a scan writes, and what resuming found there."""

    path: Path
    append: bool = False
    done: DoneSet = field(default_factory=lambda: DoneSet.from_sources(()))
    cache: RecordCache = field(default_factory=RecordCache)
    #: bytes of a torn last line dropped on resume
    dropped: int = 0

    @classmethod
    def start(cls, path: Path, *, resume: bool) -> Journal:
        """A new journal, or (``resume`` and records there) the existing one, repaired and read."""
        if not (resume and path.exists() and path.stat().st_size > 0):
            return cls(path)
        journal = cls(path, append=True, dropped=repair_jsonl(path))

        def sources() -> Iterator[str]:
            for r in read_jsonl(path):
                journal.cache.put(r)
                yield str(r["source"])

        journal.done = DoneSet.from_sources(sources())
        return journal

    def scan(self, inputs: Iterable[str | Path], engine, **scan_kw: Any) -> Iterator[Record]:
        """``scan_iter`` over the sources not yet recorded, each record appended as it is yielded;
        closing the generator (an interrupted scan) closes the file with every record made so far."""
        skip = self.done.__contains__ if len(self.done) else None
        with JsonlWriter(self.path, append=self.append) as writer:
            for rec in scan_iter(inputs, engine, skip=skip, cache=self.cache, **scan_kw):
                writer.write(rec)
                yield rec

    def records(self) -> Iterator[Record]:
        return read_jsonl(self.path)

    def render(self, fmt: str, out: Path, engine, *, max_html_rows: int | None = None, lang: str = "en") -> None:
        """The CSV or HTML report of every record in the journal (nothing to do for ``jsonl``)."""
        if fmt == "csv":
            write_csv(self.records(), out)
        elif fmt == "html":
            kw: dict[str, Any] = {"max_rows": max_html_rows} if max_html_rows is not None else {}
            write_html(self.records(), out, bank=engine.bank, limits=engine.settings.limits, lang=lang, **kw)
