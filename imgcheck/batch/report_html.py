"""A self-contained HTML report a moderator can work through: thumbnails, verdicts, reasons, the
matched bank images side by side, a filter by flag and verdict, and a sort by risk.

The page is a Jinja2 template (``templates/scan_report.html``) with autoescape on, in English or
French (message ids of ``imgcheck/messages.toml``, ``report.*``).

Safety: every string that comes from a file (names, labels, sources, reasons quoting metadata) is
HTML-escaped by the template engine, images are embedded as base64 data URIs, nothing external is loaded, and a Content
Security Policy allows only this file's own script (by its sha256) to run: even if an escaping bug
let markup through, an injected ``<script>`` would not execute.
"""

from __future__ import annotations

import base64
import hashlib
import functools
import heapq
import io
import itertools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from PIL import Image

from imgcheck import i18n
from imgcheck.batch.inputs import ZIP_SEP, ScanItem, read_item
from imgcheck.batch.records import Record, Summary, risk, strongest
from imgcheck.errors import InputError
from imgcheck.load import Limits, load_image
from imgcheck.terminal import clean

THUMB_SIDE = 128
VERDICTS = ("flagged", "suspicious", "error", "incomplete", "clear")


def _finalize(value: Any) -> Any:
    """Every value the template prints: control and bidi characters (from file names and metadata)
    shown as visible escapes, as the CLI shows them; autoescape then escapes it for HTML."""
    return value if isinstance(value, Markup) else clean(value)


_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                   undefined=StrictUndefined, finalize=_finalize, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:8px 16px;z-index:1}
h1{font-size:18px;margin:0 0 4px}
.controls label{margin-right:12px}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #e4e4e4;padding:6px 8px;vertical-align:top;text-align:left}
.thumb{width:128px;height:128px;object-fit:contain;background:#eee;display:block}
.nothumb{width:128px;height:128px;background:#eee;display:flex;align-items:center;justify-content:center;color:#888}
.src{word-break:break-all;max-width:320px}
.sha{color:#888;font-size:11px}
.v{font-weight:bold;padding:1px 6px;border-radius:3px;color:#fff}
.v-flagged{background:#c62828}.v-suspicious{background:#ef6c00}.v-error{background:#6a1b9a}.v-incomplete{background:#6b5a00}.v-clear{background:#2e7d32}
.flag{display:inline-block;background:#eee;border-radius:3px;padding:0 4px;margin:2px;font-size:12px}
.match{display:inline-block;margin:0 8px 4px 0;width:136px;font-size:12px;vertical-align:top}
.bank{width:128px;height:128px;background-size:contain;background-repeat:no-repeat;background-position:center;
      background-color:#eee}
.err{color:#6a1b9a}
.note{color:#666}
"""

_JS = """
(function(){
  var tbody=document.querySelector('#rows tbody');
  var rows=Array.prototype.slice.call(tbody.querySelectorAll('tr'));
  var flagSel=document.getElementById('flag'), sortSel=document.getElementById('sort');
  var boxes=document.querySelectorAll('input.verdict');
  function apply(){
    var want={};
    for(var i=0;i<boxes.length;i++){ if(boxes[i].checked){ want[boxes[i].value]=true; } }
    var flag=flagSel.value, shown=0;
    for(var j=0;j<rows.length;j++){
      var r=rows[j], flags=r.getAttribute('data-flags').split(' ');
      var ok=want[r.getAttribute('data-verdict')]===true && (flag==='' || flags.indexOf(flag)>=0);
      r.hidden=!ok; if(ok){ shown++; }
    }
    document.getElementById('shown').textContent=String(shown);
  }
  function sort(){
    var key=sortSel.value;
    rows.sort(function(a,b){
      if(key==='risk'){ return parseFloat(b.getAttribute('data-risk'))-parseFloat(a.getAttribute('data-risk')); }
      return a.getAttribute('data-name')<b.getAttribute('data-name')?-1:1;
    });
    for(var k=0;k<rows.length;k++){ tbody.appendChild(rows[k]); }
  }
  flagSel.addEventListener('change',apply); sortSel.addEventListener('change',sort);
  for(var i=0;i<boxes.length;i++){ boxes[i].addEventListener('change',apply); }
  apply();
})();
"""


def _jpeg_data_uri(rgb) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def source_bytes(source: str, limits: Limits) -> bytes:
    """Bytes of a record's source: a file, or ``archive.zip!entry`` read in place."""
    if Path(source).is_file():
        return read_item(ScanItem(source, source), limits)
    start = 0
    while (i := source.find(ZIP_SEP, start)) > 0:
        zpath, member = source[:i], source[i + 1:]
        if zpath.lower().endswith(".zip") and Path(zpath).is_file():
            return read_item(ScanItem(source, zpath, member), limits)
        start = i + 1
    raise InputError(f"{source}: no longer readable")


def thumbnail_uri(source: str, limits: Limits, side: int = THUMB_SIDE) -> str | None:
    """A small JPEG data URI of the source image, or None when it cannot be read any more."""
    try:
        img = load_image(source_bytes(source, limits), name=source, limits=limits, verify_side=None)
        return _jpeg_data_uri(img.rgb(side))
    except InputError:
        return None
    except Exception:  # noqa: BLE001 - a thumbnail must never stop the report
        return None


def _bank_thumb_uri(jpeg: bytes, side: int = THUMB_SIDE) -> str | None:
    try:
        img = load_image(jpeg, name="bank thumbnail", verify_side=None)
        return _jpeg_data_uri(img.rgb(side))
    except Exception:  # noqa: BLE001
        return None


def write_html(records: Iterable[Record], path: str | Path, *, bank=None, limits: Limits | None = None,
               max_rows: int = 5000, thumbnails: bool = True, title: str | None = None,
               thumb_for: Callable[[str], str | None] | None = None, lang: str = i18n.DEFAULT_LANG) -> Path:
    """Write the report to ``path`` in ``lang`` (``en``, ``fr``). At most ``max_rows`` records are
    shown, riskiest first (the rest are counted in the summary; the JSON Lines file has them all).
    ``bank``: a Bank whose thumbnails show matched images (``bank.store.thumb(entry_id)``)."""
    limits = limits or Limits()
    summary = Summary()
    counter = itertools.count()

    def keyed(rs: Iterable[Record]):
        for r in rs:
            summary.add(r)
            yield (risk(r), -next(counter), r)

    top = [r for _, _, r in heapq.nlargest(max_rows, keyed(records))]
    thumb = thumb_for or (lambda src: thumbnail_uri(src, limits))

    bank_css: list[tuple[int, str]] = []
    bank_ok: set[int] = set()
    if bank is not None:
        ids = sorted({int(m["entry_id"]) for r in top for m in r.get("matches") or []
                      if isinstance(m.get("entry_id"), int)})
        for eid in ids:
            jpeg = bank.store.thumb(eid)
            uri = _bank_thumb_uri(jpeg) if jpeg else None
            if uri:
                bank_css.append((eid, uri))
                bank_ok.add(eid)

    js_hash = base64.b64encode(hashlib.sha256(_JS.encode()).digest()).decode()
    csp = (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{js_hash}'; "
           "base-uri 'none'; form-action 'none'")
    lang = i18n.pick_lang(lang)
    pages = _ENV.get_template("scan_report.html").generate(
        lang=lang, t=functools.partial(_text, lang), csp=csp, title=title or i18n.text("report.title", {}, lang),
        css=Markup(_CSS), js=Markup(_JS), bank_css=bank_css, total=summary.total, shown=len(top),
        counts=_counts(summary, lang), flag_items=summary.flag_items(), verdicts=VERDICTS,
        rows=(_row(r, thumb(str(r.get("source"))) if thumbnails and r.get("verdict") != "error" else None,
                   bank_ok, lang) for r in top))  # one row at a time: thumbnails are not all held at once
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.writelines(pages)
    tmp.replace(out)
    return out


def _text(lang: str, code: str, **params: Any) -> str:
    return i18n.text(code, params, lang)


def _counts(s: Summary, lang: str) -> list[str]:
    v = s.verdicts
    return [i18n.text(code, {"n": n}, lang) for code, n in (
        ("report.n_images", s.total), ("report.n_flagged", v.get("flagged", 0)),
        ("report.n_suspicious", v.get("suspicious", 0)), ("report.n_errors", s.errors),
        ("report.n_incomplete", s.incomplete), ("report.n_clear", v.get("clear", 0)))]


def _row(r: Record, thumb_uri: str | None, bank_ok: set[int], lang: str) -> dict[str, Any]:
    """What the template shows of one record (every value a plain string or number; escaping is
    the template's)."""
    verdict = str(r.get("verdict"))
    evidence = [e for e in r.get("evidence") or [] if isinstance(e, dict)]
    flagging = [e for e in evidence if e.get("status") == "flag"]
    # the flagging checks' reasons in the reader's language (their stored English text when a record
    # has no message ids); a record without evidence keeps its own reasons
    reasons = [i18n.reason_text(e, lang) for e in flagging] if flagging else [str(x) for x in r.get("reasons") or []]
    ev, strength = strongest(r)
    strong = None
    if ev is not None and strength is not None and strength > 0:
        strong = {"check": clean(ev.get("check")), "strength": strength, "measure": _measure(ev.get("measure"), lang)}
    matches = []
    for m in r.get("matches") or []:
        eid = m.get("entry_id")
        value = m.get("distance") if m.get("distance") is not None else m.get("similarity")
        matches.append({"thumb": isinstance(eid, int) and eid in bank_ok, "entry_id": clean(eid),
                        "label": m.get("label"), "kind": clean(m.get("kind")), "method": clean(m.get("method")),
                        "value": clean(value), "bank_kind": clean(m.get("bank_kind"))})
    return {
        "risk": risk(r), "verdict": verdict, "flags": [str(f) for f in r.get("flags") or []],
        "source": r.get("source"), "thumb": thumb_uri, "image": r.get("image") or None,
        "sha": (r.get("sha256") or "")[:16] if r.get("sha256") else None,
        "badge": _badge(verdict, lang), "reasons": reasons, "error": r.get("error"), "strongest": strong,
        "others": [{"check": e.get("check"), "status": _status(e.get("status"), lang),
                    "reason": i18n.reason_text(e, lang)}
                   for e in evidence if e.get("status") in ("inconclusive", "error")],
        "matches": matches,
    }


def _measure(measure: object, lang: str) -> str:
    """``distance 16 (bits of 256; flags at <= 31)``, as the CSV's ``measure`` column, in ``lang``."""
    if not isinstance(measure, dict) or measure.get("value") is None:
        return ""
    return i18n.text("report.measure", {k: clean(measure.get(k)) for k in ("name", "value", "unit", "flags_when",
                                                                           "flag_at")}, lang)


def _badge(verdict: str, lang: str) -> str:
    code = f"report.verdict.{verdict}"
    return i18n.text(code, {}, lang).upper() if code in i18n.MESSAGES else verdict.upper()


def _status(status: object, lang: str) -> str:
    code = f"report.status.{status}"
    return i18n.text(code, {}, lang) if code in i18n.MESSAGES else clean(status)
