"""Share banks as hash lists with other trust-and-safety tools (python-threatexchange, HMA).

Export formats (``export_list``; ``bank export --format``), checked against python-threatexchange
1.2.17's own code and CLI:

``te``
    ``pdq <hash>`` lines: what its ``local_file`` collaboration reads, and what ``threatexchange
    hash`` and ``dataset -P -S`` print. The format holds nothing but the signal, so entries whose
    sharing group marks them NEGATIVE_CLASS or DISPUTED are left out (they would become positives).
``te-csv``
    the columns of ``threatexchange dataset -P --csv`` (``signal_type,signal_str,collab,category,
    tags``), then imgcheck's ``label,kind,quality``.
``te-indicators``
    the ThreatExchange indicator CSV python-threatexchange and HMA 1.0 store per indicator type
    (``simple.HASH_PDQ.te``: ``indicator,indicator_id,first_descriptor_id,added_on,labels``, no
    header). Like ``te`` it carries no opinion, so negative and disputed entries are left out.
``imgcheck``
    every column: ``signal_type,signal_value`` (HMA's names) then label, kind, category, tags, collab,
    quality, sha256, and ``source`` only when asked (it is often a local path).

Every format writes one PDQ per entry: the hash other tools compute for the file (Meta's reference
PDQ of the stored pixels, ``views.exchange_pdq``, kept by ``bank add``), never one of quality below 50 (PDQ's own rule: such hashes match noise).
Free-text cells are written formula-safe (a cell starting with ``= + - @`` gets a leading ``'``).

``import_list`` reads all of these, plus every list those tools print (``threatexchange hash``
with or without ``--photo-preprocess rotations``; ``dataset -P`` with any of ``-S``, ``-s pdq``,
``-c``; multi-signal dumps), tab-separated lists, ``imgcheck hash`` JSON lines and HMA bank dumps
(JSON built from its API: ``GET /c/bank/<b>/content/<id>`` objects, ``POST /c/bank/<b>/signal``
bodies). Non-PDQ signals are skipped and counted, hashes of quality below 50 dropped and counted,
opinions kept (a NEGATIVE_CLASS or DISPUTED entry never counts as a match). A list is imported as
the current state of its collaboration: re-importing updates what changed and removes what the
list no longer holds (``keep_missing`` turns that off). Imported entries carry hashes only.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from imgcheck import csvsafe
from imgcheck.bank.store import CATEGORIES, NON_MATCHING, BankStore, Entry, NewEntry
from imgcheck.errors import BankError, InputError
from imgcheck.hashing.base import Hash
from imgcheck.hashing.pdq import PdqHash
from imgcheck.hashing.views import EXCHANGE_KIND
from imgcheck.types import BANK_KINDS

FORMATS = ("te", "te-csv", "te-indicators", "imgcheck")
#: other names people give the same formats
ALIASES = {"local_file": "te", "local-file": "te", "threatexchange": "te", "lines": "te", "txt": "te",
           "dataset": "te-csv", "dataset-csv": "te-csv", "te_csv": "te-csv", "indicators": "te-indicators",
           "te_indicators": "te-indicators", "indicator-csv": "te-indicators", "csv": "imgcheck", "full": "imgcheck"}
MIN_QUALITY = PdqHash.min_quality
IMGCHECK_COLUMNS = ("signal_type", "signal_value", "label", "kind", "category", "tags", "collab", "quality",
                    "sha256")
TE_CSV_COLUMNS = ("signal_type", "signal_str", "collab", "category", "tags", "label", "kind", "quality")
#: names other tools give the PDQ signal type (python-threatexchange, ThreatExchange, HMA 1.0)
PDQ_NAMES = frozenset({"pdq", "hash_pdq", "pdq_hash", "pdqhash"})
#: ThreatExchange descriptor status -> python-threatexchange opinion (its fb_threatexchange_api.py)
_STATUS = {"MALICIOUS": "POSITIVE_CLASS", "NON_MALICIOUS": "NEGATIVE_CLASS", "SUSPICIOUS": "INVESTIGATION_SEED",
           "UNKNOWN": "INVESTIGATION_SEED"}
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
MAX_REPORTED_ERRORS = 20


def formula_safe(text: str) -> str:
    """A spreadsheet never runs a cell that starts with ``'`` (imgcheck/csvsafe.py)."""
    return csvsafe.formula_safe(text)


def _unformula(text: str) -> str:
    return csvsafe.unformula(text)


@dataclass(frozen=True)
class ExportSummary:
    written: int
    low_quality: int = 0
    #: negative / disputed entries left out of a format that cannot say so
    opinion_withheld: int = 0
    no_pdq: int = 0

    def describe(self) -> str:
        parts = [f"exported {self.written} hashes"]
        if self.low_quality:
            parts.append(f"{self.low_quality} of quality below {MIN_QUALITY} left out")
        if self.opinion_withheld:
            parts.append(f"{self.opinion_withheld} negative/disputed left out (this format cannot mark them)")
        if self.no_pdq:
            parts.append(f"{self.no_pdq} entries without a PDQ hash")
        return "; ".join(parts)


def _exchange_hash(store: BankStore, entry_id: int) -> Hash | None:
    """The PDQ other tools compute for an entry's file: its stored reference PDQ (``pdq_ref``), else
    (entries added before it was stored, imported hashes) its PDQ of the stored pixels or upright."""
    found: dict[str, Hash] = {}
    for variant, h in store.hashes_of(entry_id):
        if h.kind == EXCHANGE_KIND:
            found["ref"] = Hash("pdq", h.bits, h.quality)
        elif h.kind == "pdq" and variant in ("full", "stored"):
            found[variant] = h
    return found.get("ref") or found.get("stored") or found.get("full")


def export_list(store: BankStore, path: Path, fmt: str = "te", *, include_sources: bool = False) -> ExportSummary:
    """Write the bank's PDQ hashes as a hash list in ``fmt`` (see the module docstring)."""
    fmt = ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if fmt not in FORMATS:
        raise InputError(f"unknown hash-list format {fmt!r}; use one of {', '.join(FORMATS)}")
    written = low = withheld = no_pdq = 0
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if fmt == "imgcheck":
        writer.writerow(IMGCHECK_COLUMNS + (("source",) if include_sources else ()))
    elif fmt == "te-csv":
        writer.writerow(TE_CSV_COLUMNS)
    seen: set[str] = set()
    for entry in store.entries():
        h = _exchange_hash(store, entry.id)
        if h is None:
            no_pdq += 1
            continue
        if h.quality is not None and h.quality < MIN_QUALITY:
            low += 1
            continue
        category = entry.category or "POSITIVE_CLASS"
        if fmt in ("te", "te-indicators") and category in NON_MATCHING:
            withheld += 1
            continue
        hexval = str(h)
        quality = "" if h.quality is None else str(h.quality)
        label, tags, collab = formula_safe(entry.label), formula_safe(entry.tags), formula_safe(entry.collab)
        if fmt == "te":
            if hexval in seen:  # python-threatexchange keeps one record per signal
                continue
            seen.add(hexval)
            buf.write(f"pdq {hexval}\n")
        elif fmt == "te-csv":
            writer.writerow(["pdq", hexval, collab, category, tags, label, entry.kind, quality])
        elif fmt == "te-indicators":
            ext = entry.external_key or ""
            indicator_id = ext if ext.isdigit() else str(entry.id)
            writer.writerow([hexval, indicator_id, str(entry.id), entry.added_at, tags])
        else:
            row = ["pdq", hexval, label, entry.kind, category, tags, collab, quality, entry.sha256 or ""]
            if include_sources:
                row.append(formula_safe(entry.source))
            writer.writerow(row)
        written += 1
    try:
        Path(path).write_text(buf.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the hash list {path}: {exc}") from exc
    return ExportSummary(written, low, withheld, no_pdq)


def export_csv(store: BankStore, path: Path, style: str = "imgcheck") -> int:
    """Older name of ``export_list`` (``style="te"`` was the line format); returns how many hashes."""
    return export_list(store, path, "te" if style == "te" else "imgcheck").written


# -- import ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signal:
    """One PDQ signal read from a list, with what the list says about it."""

    line: int
    hexval: str
    quality: int | None = None
    label: str = ""
    kind: str = ""
    category: str = ""
    tags: str = ""
    collab: str = ""
    key: str = ""
    sha256: str | None = None
    source: str = ""
    delete: bool = False


@dataclass
class ImportSummary:
    """What an import did, by outcome. ``errors``: refused lines as ``file:line: why``."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    not_pdq: int = 0
    low_quality: int = 0
    rotations: int = 0
    refused: int = 0
    non_matching: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged + self.deleted

    @property
    def ok(self) -> bool:
        """False when nothing was imported or a line was refused (the CLI then exits with 2)."""
        return self.imported > 0 and self.refused == 0

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted,
                "skipped_not_pdq": self.not_pdq, "dropped_low_quality": self.low_quality,
                "skipped_rotations": self.rotations, "refused": self.refused,
                "negative_or_disputed": self.non_matching, "errors": list(self.errors)}

    def describe(self) -> str:
        parts = [f"added {self.added}", f"updated {self.updated}", f"unchanged {self.unchanged}",
                 f"deleted {self.deleted}"]
        if self.non_matching:
            parts.append(f"{self.non_matching} kept as negative/disputed (never a match)")
        if self.not_pdq:
            parts.append(f"skipped {self.not_pdq} non-PDQ signals")
        if self.low_quality:
            parts.append(f"dropped {self.low_quality} of PDQ quality below {MIN_QUALITY}")
        if self.rotations:
            parts.append(f"skipped {self.rotations} rotated copies")
        if self.refused:
            parts.append(f"refused {self.refused} lines")
        return ", ".join(parts)

    def _refuse(self, where: str, why: str) -> None:
        self.refused += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(f"{where}: {why}")


class _Skip(Exception):
    def __init__(self, outcome: str) -> None:
        self.outcome = outcome


class _Refuse(Exception):
    pass


def _hex(text: str) -> str:
    text = text.strip()
    if text.lower().startswith("0x"):
        text = text[2:]
    if not _HEX64.fullmatch(text):
        raise _Refuse(f"{text[:70]!r} is not a 256-bit PDQ hash in hex")
    return text.lower()


def _category(text: str) -> str:
    text = text.strip().upper()
    if not text:
        return ""
    text = _STATUS.get(text, text)
    if text not in CATEGORIES:
        raise _Refuse(f"unknown opinion category {text!r} (one of {', '.join(CATEGORIES)})")
    return text


def _quality(text: str | int | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        q = int(float(text))
    except (TypeError, ValueError):
        raise _Refuse(f"quality {text!r} is not a number") from None
    if not 0 <= q <= 100:
        raise _Refuse(f"quality {q} is outside 0-100")
    return q


def _is_pdq_type(name: str) -> bool:
    return name.strip().lower() in PDQ_NAMES


# python-threatexchange `dataset -P` lines: [type] <signal> ['collab'] CATEGORY [tag,tag]
_DATASET_TAIL = re.compile(r"""^(?P<collab>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")?\s*"""
                           r"(?P<cat>NEGATIVE_CLASS|INVESTIGATION_SEED|POSITIVE_CLASS|DISPUTED)?\s*(?P<tags>\S*)\s*$")
_ROTATIONS = ("ORIGINAL", "ROTATE90", "ROTATE180", "ROTATE270", "FLIPX", "FLIPY", "FLIPPLUS1", "FLIPMINUS1")


def _text_line(line: str, lineno: int) -> Signal:
    """One line of ``threatexchange hash`` / ``dataset -P`` output or of a local_file collab."""
    parts = line.split(None, 1)
    if parts[0] in _ROTATIONS and len(parts) == 2:  # `hash --photo-preprocess rotations`
        if parts[0] != "ORIGINAL":
            raise _Skip("rotations")
        parts = parts[1].split(None, 1)
    if _HEX64.fullmatch(parts[0]):  # a bare PDQ (`-s pdq`, or a collab with --signal-type pdq)
        hexval, rest = parts[0], parts[1] if len(parts) > 1 else ""
    else:
        if not _is_pdq_type(parts[0]):
            typed = len(parts) == 2 and re.fullmatch(r"[A-Za-z][\w.-]*", parts[0]) is not None
            bare_md5_or_sha1 = re.fullmatch(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}", parts[0]) is not None
            if typed or bare_md5_or_sha1:
                raise _Skip("not_pdq")  # another signal type's line (md5, url, raw_text ...)
            raise _Refuse(f"{line[:70]!r} is neither '<signal_type> <signal>' nor a PDQ hash")
        rest_parts = parts[1].split(None, 1) if len(parts) > 1 else [""]
        hexval, rest = rest_parts[0], rest_parts[1] if len(rest_parts) > 1 else ""
    m = _DATASET_TAIL.match(rest)
    if m is None:
        raise _Refuse(f"cannot read {rest[:70]!r} after the hash (expected 'collab' CATEGORY tags)")
    collab = ast.literal_eval(m.group("collab")) if m.group("collab") else ""
    tags = " ".join(t for t in (m.group("tags") or "").split(",") if t)
    return Signal(lineno, _hex(hexval), category=m.group("cat") or "", tags=tags, collab=str(collab))


# column names other tools use -> ours
_ALIASES = {
    "signal_value": "signal", "signal_str": "signal", "signal": "signal", "hash": "signal", "pdq_hash": "signal",
    "pdq": "signal", "indicator": "signal", "hash_value": "signal",
    "signal_type": "type", "type": "type", "indicator_type": "type", "hash_type": "type",
    "label": "label", "note": "label", "description": "label", "name": "label",
    "kind": "kind", "category": "category", "opinion": "category", "status": "category",
    "tags": "tags", "labels": "tags", "collab": "collab", "bank": "collab", "privacy_group": "collab",
    "quality": "quality", "pdq_quality": "quality", "sha256": "sha256", "source": "source",
    "id": "key", "indicator_id": "key", "content_id": "key", "bank_content_id": "key",
    "should_delete": "delete", "deleted": "delete",
}


def _row_signal(get, lineno: int, default_type: str = "pdq") -> Signal:
    stype = get("type") or default_type
    if not _is_pdq_type(stype):
        raise _Skip("not_pdq")
    value = get("signal")
    if not value:
        raise _Refuse("no hash in this row")
    kind = get("kind")
    if kind and kind not in BANK_KINDS:
        raise _Refuse(f"unknown kind {kind!r} (one of {', '.join(BANK_KINDS)})")
    tags = " ".join(t for t in re.split(r"[\s,;]+", get("tags")) if t)
    delete = get("delete").strip().lower() in ("1", "true", "yes")
    return Signal(lineno, _hex(value), _quality(get("quality")), _unformula(get("label")), kind,
                  _category(get("category")), _unformula(tags), _unformula(get("collab")), get("key"),
                  get("sha256") or None, _unformula(get("source")), delete)


def _csv_signals(lines: list[str], first_line: int, delimiter: str) -> Iterator[Signal | _Skip | tuple[int, str]]:
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = [c.strip().lower() for c in rows[0]] if rows else []
    named = sum(1 for c in header if c in _ALIASES)
    has_signal = any(_ALIASES.get(c) == "signal" for c in header)
    if has_signal and named >= 1:
        col: dict[str, int] = {}
        for i, c in enumerate(header):
            col.setdefault(_ALIASES.get(c, c), i)
        body, start = rows[1:], first_line + 1
    else:
        col, body, start = {}, rows, first_line
    for offset, row in enumerate(body):
        lineno = start + offset
        if not row or not any(c.strip() for c in row):
            continue
        try:
            if col:
                def get(name: str, row: list[str] = row) -> str:
                    i = col.get(name)
                    return row[i].strip() if i is not None and i < len(row) else ""
                yield _row_signal(get, lineno)
            else:
                yield _headerless_row([c.strip() for c in row], lineno)
        except _Skip as skip:
            yield skip
        except _Refuse as exc:
            yield (lineno, str(exc))


def _headerless_row(row: list[str], lineno: int) -> Signal:
    """Rows without a header: ThreatExchange indicator CSVs, ``hash,label`` lists, ``type,hash`` rows."""
    if len(row) >= 2 and not _HEX64.fullmatch(row[0]) and _HEX64.fullmatch(row[1]):
        if not _is_pdq_type(row[0]):
            raise _Skip("not_pdq")
        row = row[1:]
    elif len(row) >= 2 and not _HEX64.fullmatch(row[0]) and not _is_pdq_type(row[0]):
        if re.fullmatch(r"[A-Za-z][\w.-]*", row[0]):
            raise _Skip("not_pdq")
    if len(row) >= 5 and row[1].isdigit() and row[2].lstrip("-").isdigit():
        # simple.HASH_PDQ.te: indicator, indicator_id, first_descriptor_id, added_on, labels
        return Signal(lineno, _hex(row[0]), tags=" ".join(row[4].split()), key=row[1])
    if len(row) >= 4 and row[1].lstrip("-").isdigit():
        # the threatexchange CLI's own cache: indicator, first_descriptor_id, added_on, labels
        return Signal(lineno, _hex(row[0]), tags=" ".join(row[3].split()))
    label = _unformula(row[1]) if len(row) > 1 else ""
    return Signal(lineno, _hex(row[0]), label=label)


def _json_objects(text: str) -> Iterator[tuple[int, object]]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        for item in data:
            yield 0, item
        return
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            if isinstance(data.get("signals"), dict) or isinstance(data.get("pdq"), str) or "signal" in data:
                yield 1, data
                return
            # {bank name: [content, ...]}: a dump of several HMA banks
            for bank, items in data.items():
                for item in items if isinstance(items, list) else [items]:
                    if isinstance(item, dict):
                        item = {"bank": bank, **item}
                    yield 0, item
            return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, exc


def _hma_disabled(disable_until_ts: object, bank: object) -> bool:
    """HMA's BankContentConfig.enabled: 0 disabled, 1 enabled, else disabled until that time; and a
    bank whose matching_enabled_ratio is 0 matches nothing."""
    import time

    if isinstance(bank, dict) and bank.get("matching_enabled_ratio") in (0, 0.0):
        return True
    if not isinstance(disable_until_ts, int) or isinstance(disable_until_ts, bool):
        return False
    return disable_until_ts == 0 or (disable_until_ts > 1 and disable_until_ts > time.time())


def _json_signal(obj: object, lineno: int, index: int) -> list[Signal | _Skip]:
    """HMA content objects, signal bodies, ``imgcheck hash`` lines -> signals."""
    if not isinstance(obj, dict):
        raise _Refuse("expected a JSON object")
    signals = obj.get("signals") if isinstance(obj.get("signals"), dict) else None
    if signals is None:
        if "signal_type" in obj and ("signal" in obj or "signal_value" in obj):
            signals = {str(obj["signal_type"]): obj.get("signal", obj.get("signal_value"))}
        else:
            signals = {k: v for k, v in obj.items() if isinstance(v, str) and (_is_pdq_type(k) or k in (
                "video_md5", "md5", "url", "raw_text", "url_md5", "video_sha256", "sha256_video"))}
    if not signals:
        raise _Refuse("no signals in this object (expected HMA's {\"signals\": {\"pdq\": ...}})")
    bank = obj.get("bank")
    bank = bank.get("name", "") if isinstance(bank, dict) else (bank or "")
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    label = obj.get("note") or obj.get("label") or meta.get("content_id") or ""
    key = obj.get("id", meta.get("content_id", ""))
    disabled = obj.get("disable_until_ts")
    out: list[Signal | _Skip] = []
    for name, value in signals.items():
        if not _is_pdq_type(name):
            out.append(_Skip("not_pdq"))
            continue
        if not isinstance(value, str):
            raise _Refuse(f"the {name} signal is not a string")
        tags = obj.get("tags") or []
        if isinstance(tags, str):
            tags = tags.split()
        category = _category(str(obj.get("category", "")))
        if _hma_disabled(disabled, obj.get("bank")):  # HMA does not match disabled content
            category = "NEGATIVE_CLASS"
            tags = list(tags) + ["hma_disabled"]
        out.append(Signal(lineno or index, _hex(value), _quality(obj.get("pdq_quality", obj.get("quality"))),
                          str(label), str(obj.get("kind", "") or ""), category,
                          " ".join(map(str, tags)), str(bank), str(key) if key != "" else "",
                          obj.get("sha256") if isinstance(obj.get("sha256"), str) else None))
    return out


def read_signals(text: str, name: str = "<list>") -> Iterator[Signal | _Skip | tuple[int, str]]:
    """Every line/row/object of a hash list as a Signal, a skip (with its outcome) or (line, error)."""
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first is None:
        return
    head = lines[first].lstrip()
    if head.startswith(("{", "[")):
        for index, (lineno, obj) in enumerate(_json_objects(text), start=1):
            if isinstance(obj, json.JSONDecodeError):
                yield (lineno, f"not valid JSON ({obj.msg})")
                continue
            try:
                yield from _json_signal(obj, lineno, index)
            except _Refuse as exc:
                yield (lineno or index, str(exc))
        return
    if "\t" in head:
        yield from _csv_signals(lines[first:], first + 1, "\t")
        return
    if "," in head.split()[0]:  # CSV; `dataset -P` lines have commas only in their last (tags) field
        yield from _csv_signals(lines[first:], first + 1, ",")
        return
    for lineno, line in enumerate(lines, start=1):
        text_line = line.strip()
        if not text_line or text_line.startswith("#"):
            continue
        try:
            yield _text_line(text_line, lineno)
        except _Skip as skip:
            yield skip
        except _Refuse as exc:
            yield (lineno, str(exc))


def import_list(store: BankStore, path: Path, *, default_kind: str = "known_scam", collab: str | None = None,
                keep_missing: bool = False, display_name: str | None = None) -> ImportSummary:
    """Import a hash list into the bank; see the module docstring. Bad lines are refused, not fatal."""
    if default_kind not in BANK_KINDS:
        raise InputError(f"kind must be one of {', '.join(BANK_KINDS)}")
    name = display_name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a text hash list (not UTF-8)") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read the hash list ({exc})") from exc
    default_collab = collab if collab is not None else Path(display_name or path).name
    summary = ImportSummary()
    wanted: dict[str, dict[str, Signal]] = {}
    for item in read_signals(text, name):
        if isinstance(item, _Skip):
            if item.outcome == "not_pdq":
                summary.not_pdq += 1
            else:
                summary.rotations += 1
            continue
        if isinstance(item, tuple):
            summary._refuse(f"{name}:{item[0]}", item[1])
            continue
        if item.quality is not None and item.quality < MIN_QUALITY:
            summary.low_quality += 1
            continue
        group = item.collab or default_collab
        key = item.key or f"pdq:{item.hexval}"
        wanted.setdefault(group, {})[key] = item  # a later line about the same signal wins
    for group, signals in wanted.items():
        _apply(store, group, signals, summary, default_kind, keep_missing, name)
    return summary


def _apply(store: BankStore, group: str, signals: dict[str, Signal], summary: ImportSummary, default_kind: str,
           keep_missing: bool, name: str) -> None:
    known = store.external_entries(group)
    for key, sig in signals.items():
        old: Entry | None = known.get(key)
        if sig.delete:
            if old is not None:
                summary.deleted += store.remove([old.id])
            continue
        label = sig.label or (old.label if old else f"{group} {sig.hexval[:12]}")
        kind = sig.kind or (old.kind if old else default_kind)
        category = sig.category or "INVESTIGATION_SEED"
        if category in NON_MATCHING:
            summary.non_matching += 1
        try:
            if old is not None:
                old_hash = _exchange_hash(store, old.id)
                if old_hash is not None and str(old_hash) != sig.hexval:
                    store.remove([old.id])  # the key now names another hash: replace the entry
                    old = None
                elif (old.label, old.kind, old.category, old.tags) == (label, kind, category, sig.tags) and (
                        old_hash is None or old_hash.quality == sig.quality):
                    summary.unchanged += 1
                    continue
                else:
                    store.update_exchange(old.id, label=label, kind=kind, category=category, tags=sig.tags,
                                          quality=sig.quality)
                    summary.updated += 1
                    continue
            h = Hash.from_hex("pdq", sig.hexval, sig.quality)
            _, created = store.add(NewEntry(label=label, kind=kind, source=sig.source or f"hash list {name}",
                                            sha256=sig.sha256, hashes=[("full", h)], category=category,
                                            tags=sig.tags, collab=group, external_key=key))
        except BankError as exc:
            if "cannot write" in str(exc) or "cannot open" in str(exc):
                raise
            summary._refuse(f"{name}:{sig.line}", str(exc))
            continue
        if created:
            summary.added += 1
        else:
            summary.unchanged += 1  # the same file (sha256) is already in the bank
    if not keep_missing:
        gone = [e.id for k, e in known.items() if k not in signals]
        if gone:
            summary.deleted += store.remove(gone)


def import_csv(store: BankStore, path: Path, default_kind: str = "other") -> tuple[int, int]:
    """Older interface of ``import_list``: (added, already present)."""
    s = import_list(store, path, default_kind=default_kind, keep_missing=True)
    if s.refused:
        raise InputError(s.errors[0] if s.errors else f"{path}: lines were refused")
    return s.added, s.unchanged + s.updated
