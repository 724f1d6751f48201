"""A self-contained HTML report a moderator can work through: thumbnails, verdicts, reasons, the
matched bank images side by side, a filter by flag and verdict, and a sort by risk.

Safety: every string that comes from a file (names, labels, sources, reasons quoting metadata) is
HTML-escaped, images are embedded as base64 data URIs, nothing external is loaded, and a Content
Security Policy allows only this file's own script (by its sha256) to run: even if an escaping bug
let markup through, an injected ``<script>`` would not execute.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import html
import io
import itertools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PIL import Image

from imgcheck.batch.inputs import ZIP_SEP, ScanItem, read_item
from imgcheck.batch.records import Record, Summary, risk, strongest
from imgcheck.batch.report_csv import measure_text
from imgcheck.errors import InputError
from imgcheck.load import Limits, load_image
from imgcheck.terminal import clean

THUMB_SIDE = 128

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


def esc(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute; control and bidi characters (from file
    names and metadata) are shown as visible escapes, as the CLI shows them."""
    return html.escape(clean(value), quote=True)


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
               max_rows: int = 5000, thumbnails: bool = True, title: str = "imgcheck scan report",
               thumb_for: Callable[[str], str | None] | None = None) -> Path:
    """Write the report to ``path``. At most ``max_rows`` records are shown, riskiest first (the
    rest are counted in the summary; the JSON Lines file has them all). ``bank``: a Bank whose
    thumbnails show matched images (``bank.store.thumb(entry_id)``)."""
    limits = limits or Limits()
    summary = Summary()
    counter = itertools.count()

    def keyed(rs: Iterable[Record]):
        for r in rs:
            summary.add(r)
            yield (risk(r), -next(counter), r)

    top = [r for _, _, r in heapq.nlargest(max_rows, keyed(records))]
    thumb = thumb_for or (lambda src: thumbnail_uri(src, limits))

    bank_css: list[str] = []
    bank_ok: set[int] = set()
    if bank is not None:
        ids = sorted({int(m["entry_id"]) for r in top for m in r.get("matches") or []
                      if isinstance(m.get("entry_id"), int)})
        for eid in ids:
            jpeg = bank.store.thumb(eid)
            uri = _bank_thumb_uri(jpeg) if jpeg else None
            if uri:
                bank_css.append(f".bank-{eid}{{background-image:url({uri})}}")
                bank_ok.add(eid)

    js_hash = base64.b64encode(hashlib.sha256(_JS.encode()).digest()).decode()
    csp = (f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{js_hash}'; "
           "base-uri 'none'; form-action 'none'")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as fh:
        w = fh.write
        w("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        w(f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n')
        w('<meta name="referrer" content="no-referrer">\n')
        w(f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n")
        if bank_css:
            w("<style>\n" + "\n".join(bank_css) + "\n</style>\n")
        w("</head><body>\n<header>\n")
        w(f"<h1>{esc(title)}</h1>\n")
        w(_summary_html(summary, len(top)))
        w(_controls_html(summary))
        w("</header>\n<table id=\"rows\"><thead><tr><th>Image</th><th>File</th><th>Verdict</th>"
          "<th>Reasons</th><th>Matched bank images</th></tr></thead>\n<tbody>\n")
        for r in top:
            uri = thumb(str(r.get("source"))) if thumbnails and r.get("verdict") != "error" else None
            w(_row_html(r, uri, bank_ok))
        w("</tbody></table>\n")
        w(f"<script>{_JS}</script>\n</body></html>\n")
    tmp.replace(out)
    return out


def _summary_html(s: Summary, shown: int) -> str:
    parts = [f"{esc(s.total)} images", f"{esc(s.verdicts.get('flagged', 0))} flagged",
             f"{esc(s.verdicts.get('suspicious', 0))} suspicious", f"{esc(s.errors)} errors",
             f"{esc(s.incomplete)} incomplete",
             f"{esc(s.verdicts.get('clear', 0))} clear"]
    flags = ", ".join(f"{esc(k)}: {esc(v)}" for k, v in s.flag_items()) or "none"
    text = f"<p>{' &middot; '.join(parts)}. Flags: {flags}.</p>\n"
    if shown < s.total:
        text += (f"<p class=\"note\">Showing the {esc(shown)} riskiest of {esc(s.total)} records; the JSON Lines "
                 "file has every record.</p>\n")
    return text


def _controls_html(s: Summary) -> str:
    opts = "".join(f'<option value="{esc(k)}">{esc(k)} ({esc(v)})</option>' for k, v in s.flag_items())
    boxes = "".join(f'<label><input type="checkbox" class="verdict" value="{v}" checked> {v}</label>'
                    for v in ("flagged", "suspicious", "error", "incomplete", "clear"))
    return ('<div class="controls">' + boxes +
            f'<label>Flag: <select id="flag"><option value="">any</option>{opts}</select></label>'
            '<label>Sort: <select id="sort"><option value="risk">by risk</option>'
            '<option value="name">by file name</option></select></label>'
            '<span class="note">showing <span id="shown"></span></span></div>\n')


def _row_html(r: Record, thumb_uri: str | None, bank_ok: set[int]) -> str:
    verdict = str(r.get("verdict"))
    flags = [str(f) for f in r.get("flags") or []]
    img = (f'<img class="thumb" alt="" src="{esc(thumb_uri)}">' if thumb_uri
           else '<div class="nothumb">no preview</div>')
    info = r.get("image") or {}
    dims = (f"<div class=\"sha\">{esc(info.get('format'))} {esc(info.get('width'))}x{esc(info.get('height'))}"
            "</div>") if info else ""
    sha = f"<div class=\"sha\">sha256 {esc((r.get('sha256') or '')[:16])}</div>" if r.get("sha256") else ""
    reasons = "".join(f"<li>{esc(x)}</li>" for x in r.get("reasons") or [])
    reasons_html = f"<ul>{reasons}</ul>" if reasons else ""
    if r.get("error"):
        reasons_html += f"<div class=\"err\">{esc(r.get('error'))}</div>"
    ev, strength = strongest(r)
    if ev is not None and strength is not None and strength > 0:
        what = measure_text(ev.get("measure"))
        reasons_html += (f'<div class="note">strongest evidence: {esc(ev.get("check"))}, strength '
                         f'{strength:.2f} of 1' + (f" ({esc(what)})" if what else "") + "</div>")
    others = [e for e in r.get("evidence") or [] if e.get("status") in ("inconclusive", "error")]
    if others:
        reasons_html += "".join(f"<div class=\"note\">{esc(e.get('check'))}: {esc(e.get('status'))} - "
                                f"{esc(e.get('reason'))}</div>" for e in others)
    matches = []
    for m in r.get("matches") or []:
        eid = m.get("entry_id")
        pic = (f'<div class="bank bank-{int(eid)}"></div>' if isinstance(eid, int) and eid in bank_ok
               else '<div class="nothumb">bank entry</div>')
        how = m.get("method")
        dist = m.get("distance") if m.get("distance") is not None else m.get("similarity")
        matches.append(f"<div class=\"match\">{pic}<div><b>{esc(m.get('label'))}</b></div>"
                       f"<div class=\"sha\">{esc(m.get('kind'))} via {esc(how)} {esc(dist)} "
                       f"(#{esc(eid)}, {esc(m.get('bank_kind'))})</div></div>")
    return (f'<tr data-risk="{risk(r):.3f}" data-verdict="{esc(verdict)}" data-flags="{esc(" ".join(flags))}" '
            f'data-name="{esc(r.get("source"))}">'
            f"<td>{img}</td><td class=\"src\">{esc(r.get('source'))}{dims}{sha}</td>"
            f"<td><span class=\"v v-{esc(verdict)}\">{esc(verdict.upper())}</span><div>"
            + "".join(f'<span class="flag">{esc(f)}</span>' for f in flags)
            + f"</div></td><td>{reasons_html}</td><td>{''.join(matches)}</td></tr>\n")
