"""Share banks as hash lists with other trust-and-safety tools.

Conventions checked against Meta's tools (python-threatexchange and Hasher-Matcher-Actioner):
signals are named by ``signal_type`` (``pdq``, lower case) and ``signal_value`` (the hash as 64
lower-case hex digits), as in HMA's lookup API; python-threatexchange's file exchange reads one
signal per line as ``<signal_type> <signal>`` separated by a space (or the bare hash when the
collaboration names the type).

``export_csv`` writes a CSV with ``signal_type,signal_value`` first, then imgcheck's own columns
(label, kind, source, sha256, quality), so tools that read the first two columns ignore the rest;
``style="te"`` writes the bare ``pdq <hash>`` lines the threatexchange CLI reads. ``import_csv``
reads all of these, plus plain ``pdq_hash[,label]`` rows. Imported entries carry hashes only (no
pixels), so they match by PDQ alone.
"""

from __future__ import annotations

import csv
from pathlib import Path

from imgcheck.bank.store import BankStore, NewEntry
from imgcheck.errors import BankError, InputError
from imgcheck.hashing.base import Hash
from imgcheck.types import BANK_KINDS

COLUMNS = ("signal_type", "signal_value", "label", "kind", "source", "sha256", "quality")


def export_csv(store: BankStore, path: Path, style: str = "csv") -> int:
    """Write every entry's full-image PDQ hash; return how many. ``style``: "csv" or "te"."""
    if style not in ("csv", "te"):
        raise InputError(f"unknown hash-list style {style!r}; use csv or te")
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        if style == "csv":
            writer.writerow(COLUMNS)
        for entry in store.entries():
            for variant, h in store.hashes_of(entry.id):
                if h.kind != "pdq" or variant != "full":
                    continue
                if style == "te":
                    fh.write(f"pdq {h}\n")
                else:
                    writer.writerow(["pdq", str(h), entry.label, entry.kind, entry.source, entry.sha256 or "",
                                     "" if h.quality is None else h.quality])
                n += 1
    return n


def _te_lines(lines: list[str]) -> list[list[str]] | None:
    """``<signal_type> <signal>`` lines (python-threatexchange's file format) as CSV-like rows."""
    body = [ln.strip() for ln in lines if ln.strip()]
    if not body or any("," in ln for ln in body) or not all(" " in ln for ln in body):
        return None
    return [["signal_type", "signal_value"]] + [ln.split(None, 1) for ln in body]


def _hex256(text: str, where: str) -> str:
    text = text.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise InputError(f"{where}: {text[:70]!r} is not a 256-bit PDQ hash in hex")
    return text


def import_csv(store: BankStore, path: Path, default_kind: str = "other") -> tuple[int, int]:
    """Add one entry per row; rows whose sha256 (or, without one, hash+label) is known are skipped."""
    if default_kind not in BANK_KINDS:
        raise InputError(f"kind must be one of {', '.join(BANK_KINDS)}")
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the hash list ({exc})") from exc
    rows = _te_lines(text.splitlines()) or list(csv.reader(text.splitlines()))
    if not rows:
        return 0, 0
    header = [c.strip().lower() for c in rows[0]]
    if "signal_value" in header or "pdq_hash" in header or "hash" in header:
        body = rows[1:]
    else:
        header, body = ["pdq_hash", "label"], rows
    col = {name: i for i, name in enumerate(header)}
    value_col = col.get("signal_value", col.get("pdq_hash", col.get("hash")))
    added = same = 0
    for lineno, row in enumerate(body, start=2 if body is not rows else 1):
        if not row or not any(c.strip() for c in row):
            continue
        where = f"{path}:{lineno}"

        def get(name: str, default: str = "", row: list[str] = row) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else default

        if get("signal_type", "pdq").lower() not in ("pdq", "pdq_hash", ""):
            continue
        hexval = _hex256(row[value_col], where)
        kind = get("kind") or default_kind
        if kind not in BANK_KINDS:
            raise InputError(f"{where}: unknown kind {kind!r}")
        quality = get("quality")
        label = get("label") or f"imported {hexval[:12]}"
        sha = get("sha256") or None
        if sha is None:
            known = store._conn().execute(
                "SELECT 1 FROM hashes h JOIN entries e ON e.id=h.entry_id WHERE h.type='pdq' AND h.bits=? "
                "AND e.label=?", (bytes.fromhex(hexval), label)).fetchone()
            if known:
                same += 1
                continue
        try:
            h = Hash.from_hex("pdq", hexval, int(quality) if quality else None)
            _, created = store.add(NewEntry(label=label, kind=kind, source=get("source") or str(path), sha256=sha,
                                            hashes=[("full", h)]))
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from exc
        except BankError:
            raise
        added += int(created)
        same += int(not created)
    return added, same
