"""A flat CSV of scan records, one row per input, for spreadsheets and ticketing tools.

Cells that a spreadsheet would run as a formula get a leading apostrophe (``imgcheck/csvsafe.py``):
file names and bank labels come from untrusted files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from imgcheck.batch.records import Record, risk, strongest
from imgcheck.csvsafe import formula_safe

#: ``strength`` (0..1, higher is more suspicious) and the raw measure of the strongest evidence come
#: after v1's columns, so readers that index columns keep working
COLUMNS = ("source", "verdict", "flags", "reasons", "risk", "best_match_label", "best_match_entry_id",
           "best_match_method", "best_match_distance", "matches", "sha256", "width", "height", "format",
           "error", "strength", "strength_check", "measure", "failed_checks")


def measure_text(measure: object) -> str:
    """``distance 16 (bits of 256; flags at <= 31)`` from a v2 measure dict."""
    if not isinstance(measure, dict) or measure.get("value") is None:
        return ""
    return (f"{measure.get('name')} {measure.get('value')} ({measure.get('unit')}; flags at "
            f"{measure.get('flags_when')} {measure.get('flag_at')})")


def _safe(value: object) -> str:
    return formula_safe(value)


def csv_row(r: Record) -> dict[str, str]:
    matches = r.get("matches") or []
    best = matches[0] if matches else {}
    img = r.get("image") or {}
    dist = best.get("distance") if best.get("distance") is not None else best.get("similarity")
    ev, strength = strongest(r)
    row = {
        "source": r.get("source"), "verdict": r.get("verdict"), "flags": ";".join(r.get("flags") or []),
        "reasons": " | ".join(r.get("reasons") or []), "risk": f"{risk(r):.1f}",
        "best_match_label": best.get("label"), "best_match_entry_id": best.get("entry_id"),
        "best_match_method": best.get("method"), "best_match_distance": dist,
        "matches": ";".join(f"{m.get('label')}#{m.get('entry_id')}" for m in matches),
        "sha256": r.get("sha256"), "width": img.get("width"), "height": img.get("height"),
        "format": img.get("format"), "error": r.get("error"),
        "strength": "" if strength is None else f"{strength:.4f}",
        "strength_check": ev.get("check") if ev else "", "measure": measure_text(ev.get("measure")) if ev else "",
        "failed_checks": " | ".join(f"{f.get('check')}: {f.get('reason')}" for f in r.get("failed_checks") or []),
    }
    return {k: _safe(v) for k, v in row.items()}


def write_csv(records: Iterable[Record], path: str | Path) -> Path:
    """Stream records into a CSV file (written to a temporary name, then renamed)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for r in records:
            writer.writerow(csv_row(r))
    tmp.replace(out)
    return out
