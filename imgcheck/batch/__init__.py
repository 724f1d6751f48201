"""Batch scans: many inputs, one record per input, resumable, parallel, with CSV and HTML reports.

Library use (the CLI's ``imgcheck scan`` and the app's batch tab both go through here)::

    from imgcheck.batch import JsonlWriter, read_jsonl, scan_iter, write_html
    with JsonlWriter("scan.jsonl") as out:
        for record in scan_iter(["uploads/", "queue.zip", "paths.txt"], engine, workers=2):
            out.write(record)
    write_html(read_jsonl("scan.jsonl"), "scan.html", bank=engine.bank)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from imgcheck.batch.inputs import InputLimits, ScanItem, iter_items
from imgcheck.batch.records import DoneSet, JsonlWriter, Record, Summary, read_jsonl, repair_jsonl, risk
from imgcheck.batch.report_csv import write_csv
from imgcheck.batch.report_html import write_html
from imgcheck.batch.scan import RecordCache, scan_iter


def write_jsonl(records: Iterable[Record], path: str | Path) -> Path:
    """Write records as JSON Lines (one per line, flushed as written)."""
    with JsonlWriter(path) as w:
        for r in records:
            w.write(r)
    return Path(path)


__all__ = ["DoneSet", "InputLimits", "JsonlWriter", "Record", "RecordCache", "ScanItem", "Summary",
           "iter_items", "read_jsonl", "repair_jsonl", "risk", "scan_iter", "write_csv", "write_html",
           "write_jsonl"]
