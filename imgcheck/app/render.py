"""Turn report dicts (the JSON contract) into the HTML and Markdown the app shows.

Rendering reads only the report JSON, so a check added later shows up without changes here: every
Evidence item gets a generic card (status, reason, score, details); kinds the app knows get a richer
view (face boxes on the photo, the matched bank image beside the upload, an AI score with honest
wording). The HTML comes from Jinja2 macros with autoescape (``templates/results.html``): everything
that came from a file, a bank label or a check is escaped by the template engine; Python builds the
values (and the sentences in every language, ``tt``/``both``) and the macros lay them out.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound
from markupsafe import Markup, escape
from PIL import Image

from imgcheck import i18n
from imgcheck.contract import evidence_strength
from imgcheck.verdict import AI_SCORE_FLAGS  # one home: the verdict rules

#: what the user should do, per verdict (the issue's "what to do next")
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "flagged": (
        "Do not send money, gift cards, crypto or bank details, whatever the story.",
        "Ask for a live video call. Someone using another person's photos will find excuses.",
        "Report the profile to the dating app or site, and keep the conversation as evidence.",
    ),
    "suspicious": (
        "Do not send money, gift cards, crypto or bank details before you have met in person.",
        "Ask for a live video call, or a new photo holding today's date on paper.",
        "If anything else feels wrong, report the profile to the dating app or site.",
    ),
    "clear": (
        "No warning sign is not a guarantee: a new stolen photo or a new AI image may not be known yet.",
        "Never send money to someone you have not met in person.",
    ),
    "incomplete": (
        "Some checks did not run, so this is not a clean result: try again, or another copy of the photo.",
        "Never send money to someone you have not met in person.",
    ),
    "error": ("Try another copy of the photo (a screenshot works), or a JPEG or PNG file.",),
}

HEADLINES: dict[str, tuple[str, str]] = {
    "flagged": ("Flagged", "Strong evidence that this photo is not what the profile claims."),
    "suspicious": ("Suspicious", "Signals that this photo may be AI-generated or altered. A signal, not proof."),
    "clear": ("No warning signs found", "None of the checks found a problem with this photo."),
    "incomplete": ("Not every check ran", "No check found a problem, but not every check ran, so this "
                   "is not a clean result."),
    "error": ("Could not check this file", ""),
}

#: plain-language meaning of each flag (unknown flags fall back to their name)
FLAG_TEXT: dict[str, str] = {
    "known_image": "This photo, or an edited copy of it, is in the bank of known images "
    "(celebrities, photos already used in scams).",
    "known_face": "The face matches a known person in the bank.",
    "inconsistent_faces": "The photos of this profile do not all show the same person.",
    "ai_provenance": "The file's own metadata says it was made or edited with an AI tool.",
    "ai_watermark": "An invisible watermark left by an AI image generator was found.",
    "ai_generated": "A pixel-level detector finds this photo looks AI-generated. "
    "This is a statistical signal, not proof.",
    "gan_face_geometry": "The face has the fixed geometry typical of generated faces. "
    "A statistical signal, not proof.",
    "provenance_broken": "The photo was edited after it was signed: its Content Credentials no longer "
    "match the file.",
}


STATUS_TEXT = {
    "flag": "found a problem",
    "clear": "nothing found",
    "inconclusive": "could not tell",
    "error": "did not run",
}

ThumbLookup = Callable[[int], bytes | None]


@dataclass(frozen=True)
class Preview:
    """A small JPEG of the checked photo for the page (never written to disk) and its full size."""

    jpeg: bytes
    width: int
    height: int

    @property
    def data_uri(self) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode("ascii")


def preview_of(rgb: np.ndarray, width: int, height: int, quality: int = 82) -> Preview:
    """``rgb`` is a downscaled copy; ``width``/``height`` the full size the report's boxes refer to."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, "JPEG", quality=quality)
    return Preview(buf.getvalue(), width, height)


class _JoinedLoader(BaseLoader):
    """Templates of ``templates/`` with their lines joined: line breaks and the indentation around
    them are layout of the template file, not of the page (the fragments are inline HTML)."""

    def get_source(self, environment: Environment, template: str):
        path = Path(__file__).parent / "templates" / template
        if not path.is_file():
            raise TemplateNotFound(template)
        source = "".join(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
        return source, str(path), lambda: True


_ENV = Environment(loader=_JoinedLoader(), autoescape=True, undefined=StrictUndefined)
_ENV.globals["tt"] = lambda code, **params: Markup(tt(code, **params))


def _macro(name: str) -> Callable[..., str]:
    macro = getattr(_ENV.get_template("results.html").module, name)
    return lambda *args, **kw: str(macro(*args, **kw))


def _t(code: str, **params: Any) -> Markup:
    """Message ``code`` in every language, as markup for a macro."""
    return Markup(tt(code, **params))


def _html(fragment: str) -> Markup:
    """A fragment this module built (already escaped), passed to a macro as it is."""
    return Markup(fragment)


# -- languages ------------------------------------------------------------------------------------
# Every sentence the app writes is rendered in each language and wrapped in <span class="ic-t" lang=..>;
# the page shows the chosen one (CSS on <html data-ic-lang>, set from the browser's language or the
# switch), so switching is instant and nothing is re-checked. Texts equal in every language (a
# reason without a message id, a label) are written once.
def both(texts: dict[str, str]) -> str:
    """The same sentence in every language as HTML: one ``<span class="ic-t" lang=..>`` per language,
    or the text alone when every language says the same."""
    values = list(texts.values())
    if all(v == values[0] for v in values):
        return _text(values[0])
    return "".join(f'<span class="ic-t" lang="{lang}">{_text(t)}</span>' for lang, t in texts.items())


def _text(value: str) -> str:
    """Element text (never an attribute): <, > and & escaped, quotes left as they are (they read the
    same in text, and tests and readers of the page see the sentence as written)."""
    return html.escape(value, quote=False)


def tt(code: str, **params: Any) -> str:
    """Message ``code`` in every language, as HTML."""
    return both({lang: i18n.text(code, params, lang) for lang in i18n.LANGS})


def has_text(code: str) -> bool:
    return code in i18n.MESSAGES


def reason_html(ev: dict[str, Any]) -> str:
    """A check's reason in every language, from its message id (its stored English text otherwise)."""
    return both({lang: i18n.reason_text(ev, lang) for lang in i18n.LANGS})


def check_title(check: str) -> str:
    code = f"app.check.{check}"
    return tt(code) if has_text(code) else str(escape(humanize(check)))


#: message ids of reasons that mean "this check did not apply to this photo", and the badge for each
NOT_APPLICABLE: dict[str, str] = {
    "known_face.no_face": "app.na.no_face", "gan_face_geometry.no_eyes": "app.na.no_face",
    "known_face.too_small": "app.na.no_face", "known_face.no_bank_faces": "app.na.no_bank",
    "known_image.no_bank": "app.na.no_bank", "ai_pixels.too_small": "app.na.size",
    "ai_watermark.too_small": "app.na.size", "ai_watermark.too_large": "app.na.size",
    "ai_watermark.no_payload": "app.na.size", "gan_face_geometry.not_square": "app.na.not_square",
    "face_consistency.too_few": "app.na.too_few",
}


def not_applicable(ev: dict[str, Any]) -> str | None:
    """The badge message of a check that did not apply (no face, no bank, size), else None."""
    if ev.get("status") in ("flag", "error"):
        return None
    code = NOT_APPLICABLE.get(str(ev.get("code")))
    if code:
        return code
    if ev.get("status") == "inconclusive" and ev.get("strength", 0) is None:
        return "app.status.not_checked"
    return None


#: words shown in capitals when a field or check name is turned into a label
ACRONYMS = frozenset({"ai", "gan", "pdq", "orb", "exif", "iptc", "xmp", "c2pa", "id", "sha256", "url", "jpeg"})


def humanize(name: str) -> str:
    """``ai_provenance`` -> "AI provenance", ``bank_kind`` -> "Bank kind"."""
    words = name.replace("_", " ").strip().split(" ")
    words = [w.upper() if w.lower() in ACRONYMS else w.lower() for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


# -- verdict ---------------------------------------------------------------------------------------
def banner_html(verdict: str, *, subject: str = "photo", error: str | None = None,
                failed: Sequence[dict[str, Any]] = ()) -> str:
    """The verdict banner; ``failed`` (the report's ``failed_checks``) is listed on an incomplete one."""
    title_code = "app.title.error.profile" if subject == "profile" and verdict == "error" else f"app.title.{verdict}"
    title = _html(tt(title_code)) if has_text(title_code) else humanize(verdict)
    text_code = next((c for c in (f"app.text.{verdict}.{subject}", f"app.text.{verdict}.photo",
                                  f"app.text.{verdict}") if has_text(c)), None)
    body = escape(error) if verdict == "error" and error else _html(tt(text_code)) if text_code else Markup("")
    if verdict == "incomplete" and failed:
        body += Markup(" ") + _html(tt("app.did_not_run", what=failed_summary(failed)))
    return _macro("banner")(verdict, title, body)



def failed_summary(failed: Sequence[dict[str, Any]]) -> str:
    """``failed_checks`` of a report as one line: "photo: check (reason); ..."."""
    return "; ".join(f"{f['photo'] + ': ' if f.get('photo') else ''}{humanize(str(f.get('check', '')))} "
                     f"({f.get('reason', '')})" for f in failed)


def advice_html(verdict: str, flags: Sequence[str], reasons: Sequence[str]) -> str:
    """Why (plain language per flag), what the checks found (``reasons``: HTML from ``reason_html``) and
    what to do next, in every language (see ``both``)."""
    why = [_html(tt(f"app.flag.{f}")) if has_text(f"app.flag.{f}") else humanize(f) for f in flags]
    steps = [c for c in (f"app.step.{verdict}.{i}" for i in range(1, 6)) if has_text(c)]
    return _macro("advice")(why, [_html(r) for r in reasons], steps)



def report_reasons(report: dict[str, Any], prefix: str = "") -> list[str]:
    """The reasons of a report (its flagging evidence) as HTML in every language."""
    return [str(escape(prefix)) + reason_html(ev) for ev in report.get("evidence") or []
            if isinstance(ev, dict) and ev.get("status") == "flag"]



def profile_reasons(profile: dict[str, Any]) -> list[str]:
    out = report_reasons(profile)
    for rep in profile.get("photos") or []:
        out += report_reasons(rep, f"{rep.get('source', '')}: ")
    return out


def advice_markdown(verdict: str, flags: Sequence[str], reasons: Sequence[str]) -> str:
    """Why (plain language per flag, then the checks' own reasons) and what to do next."""
    lines: list[str] = []
    if flags:
        lines.append("**Why**")
        lines += [f"- {FLAG_TEXT.get(f, humanize(f))}" for f in flags]
    if reasons:
        lines.append("")
        lines.append("**What the checks found**")
        lines += [f"- {md_escape(r)}" for r in reasons]
    steps = NEXT_STEPS.get(verdict, ())
    if steps:
        lines.append("")
        lines.append("**What to do next**")
        lines += [f"- {s}" for s in steps]
    return "\n".join(lines)


def md_escape(text: str) -> str:
    """Escape Markdown and HTML in text that came from a file, a label or a check."""
    out = html.escape(str(text), quote=False)
    for ch in "\\`*_[]#|":
        out = out.replace(ch, "\\" + ch)
    return out


# -- evidence --------------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list, tuple)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 300 else text[:297] + "..."
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple, dict)) and not value)


#: details the cards leave out (engine internals; the JSON report keeps them)
HIDDEN_DETAILS = frozenset({"verified", "hash_hits_not_used", "encoder_sha256", "features", "metric",
                            "next_label_distance"})


def _cell(key: str, value: Any) -> str:
    """One value of a details table; face numbers count from 1, as on the photo."""
    if key in ("face_index", "reference_face") and isinstance(value, int) and not isinstance(value, bool):
        return str(value + 1)
    return "" if value is None else _fmt(value)


def _col(key: str) -> str:
    return "Face" if key == "face_index" else humanize(key)


def _detail_value(value: Any, depth: int = 0, key: str = "") -> Markup | str:
    """A details value: nested dicts as lists, lists of records as small tables (HTML), else text."""
    if isinstance(value, dict) and depth < 2:
        return _html(details_table(value, depth + 1))
    if isinstance(value, (list, tuple)) and value and depth < 2 and all(isinstance(v, dict) for v in value):
        cols = list(dict.fromkeys(k for v in value[:10] for k, x in v.items()
                                  if not _empty(x) and k not in HIDDEN_DETAILS))[:6]
        rows = [[_cell(str(c), v.get(c, "")) for c in cols] for v in value[:10]]
        return _html(_macro("record_rows")([_col(str(c)) for c in cols], rows, max(0, len(value) - 10)))
    if isinstance(value, (list, tuple)) and all(not isinstance(v, (dict, list, tuple)) for v in value):
        return ", ".join(_fmt(v) for v in value[:20]) + (" ..." if len(value) > 20 else "")
    return _cell(key, value)



def details_table(details: dict[str, Any], depth: int = 0) -> str:
    """A check's details, whatever their shape; empty values and engine internals are left out."""
    items = [(k, v) for k, v in (details or {}).items() if not _empty(v) and k not in HIDDEN_DETAILS]
    if not items:
        return ""
    return _macro("details")([(_col(str(k)), _detail_value(v, depth, str(k))) for k, v in items])



def ai_meter(ev: dict[str, Any]) -> str:
    """An AI-likeness strength as a bar, with the decision line (0.5) marked and the honest wording."""
    strength = evidence_strength(ev)
    if strength is None:
        return ""
    return _macro("meter")(max(0.0, min(1.0, float(strength))) * 100)



def is_ai_score(ev: dict[str, Any], known_ai_checks: frozenset[str] = frozenset()) -> bool:
    return ev.get("check") in known_ai_checks or bool(AI_SCORE_FLAGS & set(ev.get("flags") or ()))


def measure_html(ev: dict[str, Any]) -> str:
    """The raw measure in plain words ("how close to the bank photo: 16 of 256 bits differ")."""
    m = ev.get("measure")
    if not isinstance(m, dict) or not isinstance(m.get("value"), (int, float)):
        return ""
    check = str(ev.get("check"))
    code = f"app.measure.{check}"
    if check == "known_image":
        unit = str(m.get("unit", ""))
        bits = 64 if "of 64" in unit else 256
        return tt(code, value=int(m["value"]), bits=bits, flag_at=int(m.get("flag_at") or 0))
    if has_text(code) and isinstance(m.get("flag_at"), (int, float)):
        return tt(code, value=float(m["value"]), flag_at=float(m["flag_at"]))
    return str(escape(f"{m.get('name')} {_fmt(m['value'])} ({m.get('unit')}); flags at {m.get('flags_when')} "
                      f"{_fmt(m.get('flag_at'))}"))


def evidence_card(ev: dict[str, Any], known_ai_checks: frozenset[str] = frozenset()) -> str:
    status = str(ev.get("status", ""))
    na = not_applicable(ev)
    shown = "na" if na else status  # a check that did not apply is neutral grey, never green
    badge = (_html(tt(na)) if na else _html(tt(f"app.status.{status}")) if has_text(f"app.status.{status}")
             else status)
    meter = _html(ai_meter(ev)) if is_ai_score(ev, known_ai_checks) and not na else ""
    nums: list[Markup] = []
    measure = measure_html(ev)
    if measure:
        nums.append(_html(measure))
    strength = ev.get("strength")
    if isinstance(strength, (int, float)) and not na:
        nums.append(_html(tt("app.strength", pct=f"{100 * float(strength):.0f}")))
    if ev.get("model"):
        sha = str(ev.get("model_sha256") or "")[:12]
        nums.append(_html(tt("app.model")) + Markup(" ") + escape(ev["model"])
                    + (Markup(" (") + escape(sha) + Markup(")") if sha else ""))
    table = details_table(ev.get("details") or {})  # open when the check found a problem; else one click away
    return _macro("card")(ev.get("check", ""), status, shown, _html(check_title(str(ev.get("check", "")))), badge,
                          _html(reason_html(ev)), meter, nums, _html(table), status == "flag")



def faces_view(preview: Preview | None, faces: Sequence[dict[str, Any]]) -> str:
    """The photo with numbered face boxes drawn over it (SVG in the report's pixel coordinates)."""
    if preview is None or not faces:
        return ""  # without faces the photo is already on screen beside the verdict
    w, h = preview.width, preview.height
    stroke = max(2.0, max(w, h) / 250)
    boxes = []
    for f in faces:
        box = f.get("box") or ()
        if len(box) != 4:
            continue
        x, y, bw, bh = (float(v) for v in box)
        boxes.append({"x": f"{x:.0f}", "y": f"{y:.0f}", "w": f"{bw:.0f}", "h": f"{bh:.0f}",
                      "stroke": f"{stroke:.1f}", "tx": f"{x + stroke:.0f}",
                      "ty": f"{max(y - stroke, stroke * 6):.0f}", "size": f"{stroke * 6:.0f}", "n": len(boxes) + 1})
    caption = f"{len(boxes)} face{'s' if len(boxes) != 1 else ''} found"
    return _macro("faces")(preview, boxes, caption)



def _crop_uri(preview: Preview, box: Sequence[float]) -> str | None:
    """The upload cropped to a face box (for showing a face match beside the bank's face)."""
    try:
        im = Image.open(io.BytesIO(preview.jpeg))
        sx, sy = im.width / preview.width, im.height / preview.height
        x, y, w, h = box
        pad = 0.25 * max(w, h)
        crop = im.crop(
            (
                int(max(0, (x - pad) * sx)),
                int(max(0, (y - pad) * sy)),
                int(min(im.width, (x + w + pad) * sx)),
                int(min(im.height, (y + h + pad) * sy)),
            )
        )
        buf = io.BytesIO()
        crop.convert("RGB").save(buf, "JPEG", quality=85)
        return _data_uri(buf.getvalue())
    except (OSError, ValueError):
        return None


def match_view(
    match: dict[str, Any], preview: Preview | None, faces: Sequence[dict[str, Any]], thumb: ThumbLookup | None
) -> str:
    """The upload (or its matching face) beside the bank image it matches, with the distance."""
    upload_src = preview.data_uri if preview else None
    fi = match.get("face_index")
    if match.get("kind") == "face" and preview and isinstance(fi, int) and 0 <= fi < len(faces):
        upload_src = _crop_uri(preview, faces[fi].get("box") or (0, 0, 0, 0)) or upload_src
    bank_jpeg = None
    if thumb is not None and isinstance(match.get("entry_id"), int):
        try:
            bank_jpeg = thumb(match["entry_id"])
        except Exception:  # noqa: BLE001 - a missing thumbnail must not break the page
            bank_jpeg = None
    method = str(match.get("method", ""))
    label = str(match.get("label", ""))
    dist = match.get("distance")
    measure = ""
    if isinstance(dist, (int, float)) and match.get("kind") == "face":
        measure = tt("app.close_face", value=float(dist))
    elif isinstance(dist, (int, float)):
        measure = tt("app.close_image", value=int(dist), bits=64 if method == "phash" else 256)
    what = (tt("app.same_face", label=label, face=(fi if isinstance(fi, int) else 0) + 1)
            if match.get("kind") == "face" else tt("app.same_image", label=label))
    return _macro("match")(match.get("entry_id", ""), upload_src, _data_uri(bank_jpeg) if bank_jpeg else None,
                           label, _html(what), humanize(str(match.get("bank_kind", ""))), _html(measure),
                           str(match["source"]) if match.get("source") else "")



#: kinds of validation problem with a label on the provenance card (``app.prov.kind.<kind>``)
PROBLEM_KINDS = ("content_hash", "signature", "certificate", "identity", "malformed", "other")


def provenance_card(summary: dict[str, Any] | None) -> str:
    """The provenance summary (``report["provenance"]``) as a small card: credentials, signer and trust,
    generator, capture device, history in words, and each validation problem with its C2PA code."""
    if not isinstance(summary, dict):
        return ""
    state = str(summary.get("content_credentials") or "absent")
    problems = [p for p in summary.get("problems") or [] if isinstance(p, dict)]
    bad = any(p.get("kind") in ("content_hash", "signature") and not p.get("ingredient") for p in problems)
    rows: list[tuple[Markup, Markup | str]] = []
    if state == "absent":
        head = "app.prov.head.absent" if summary.get("metadata_present") else "app.prov.head.no_metadata"
    elif state == "unreadable":
        head = "app.prov.head.unreadable"
    else:
        head = ("app.prov.head.ai" if summary.get("ai_declared") else "app.prov.head.no_ai") + (
            "_edited" if bad else "")
    if summary.get("signer"):
        signer = _macro("signer")(summary["signer"], summary.get("trust") or "")
        rows.append((_t("app.prov.signed_by"), _html(signer)))
    if summary.get("claim_generator"):
        rows.append((_t("app.prov.made_with"), str(summary["claim_generator"])))
    if summary.get("capture_device"):
        rows.append((_t("app.prov.capture_device"), str(summary["capture_device"])))
    if summary.get("history"):
        text = str(summary["history"])
        rows.append((_t("app.prov.history"), text[:1].upper() + text[1:]))
    if problems:
        kinds = [p.get("kind") if p.get("kind") in PROBLEM_KINDS else "other" for p in problems[:8]]
        items = [(p.get("code", ""), _t(f"app.prov.kind.{kind}"), p.get("text", ""))
                 for p, kind in zip(problems[:8], kinds)]
        rows.append((_t("app.prov.validation"), _html(_macro("problems")(items))))
    elif state == "present":
        trusted = summary.get("validation") == "trusted"
        rows.append((_t("app.prov.validation"), _t("app.prov.valid_trusted" if trusted else "app.prov.valid_untrusted")))
    by_kind = summary.get("by_kind") if isinstance(summary.get("by_kind"), dict) else {}
    words = {"content_hash": "content hash", "signature": "signature", "certificate": "certificate",
             "identity": "identity", "malformed": "data"}
    checked = [f"{words.get(k, k)} {v.get('outcome')}" for k, v in by_kind.items()
               if isinstance(v, dict) and v.get("outcome") not in (None, "not present")]
    if checked:
        rows.append((_t("app.prov.checked"), " · ".join(checked)))  # C2PA's own outcome words
    return _macro("provenance")(state, bad, _t(head), rows)



def verdict_html(verdict: str) -> str:
    code = f"verdict.{verdict}"
    if not has_text(code):
        return str(escape(verdict.upper()))
    return both({lang: i18n.text(code, {}, lang).upper() for lang in i18n.LANGS})



def report_html(
    report: dict[str, Any],
    preview: Preview | None = None,
    thumb: ThumbLookup | None = None,
    known_ai_checks: frozenset[str] = frozenset(),
) -> str:
    """The evidence section of one report: photo with faces, bank matches, then every check's card."""
    if report.get("verdict") == "error":
        return _macro("report")(report.get("error") or "", "", [], 0, "", [])
    faces = report.get("faces") or []
    matches = report.get("matches") or []
    return _macro("report")(
        None, _html(faces_view(preview, faces)), [_html(match_view(m, preview, faces, thumb)) for m in matches[:5]],
        max(0, len(matches) - 5), _html(provenance_card(report.get("provenance"))),
        [_html(evidence_card(ev, known_ai_checks)) for ev in report.get("evidence") or []])



def per_photo_notes(evidence: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """What profile-level checks say about each photo, from details rows that name a ``photo``
    (e.g. face consistency: whether this photo's face is the same person as the others), as HTML."""
    notes: dict[str, list[str]] = {}
    for ev in evidence:
        rows = (ev.get("details") or {}).get("photos")
        if not isinstance(rows, list):
            continue
        for row in rows:
            if not isinstance(row, dict) or "photo" not in row:
                continue
            extra = [
                f"{_col(str(k)).lower()} {_cell(str(k), v)}"
                for k, v in row.items()
                if k not in ("photo", "status") and isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
            status = str(row.get("status", ""))
            if ev.get("check") == "face_consistency" and has_text(f"app.{status}"):
                text = _html(tt("app.same_person_as_profile", status=f"app.{status}"))
            else:
                text = escape(f"{humanize(str(ev.get('check', '')))}: {status}")
            notes.setdefault(str(row["photo"]), []).append(str(text + (f" ({', '.join(extra)})" if extra else "")))
    return notes



def profile_html(
    profile: dict[str, Any],
    previews: Sequence[Preview | None],
    thumb: ThumbLookup | None = None,
    known_ai_checks: frozenset[str] = frozenset(),
) -> str:
    """Profile-level findings, then one compact card per photo."""
    photos = profile.get("photos") or []
    notes = per_photo_notes(profile.get("evidence") or [])
    tiles, banked = [], []
    for i, rep in enumerate(photos):
        preview = previews[i] if i < len(previews) else None
        verdict = str(rep.get("verdict", ""))
        why = [_html(r) for r in report_reasons(rep)] or ([rep["error"]] if rep.get("error") else [])
        tiles.append({"verdict": verdict, "src": preview.data_uri if preview else None, "n": i + 1,
                      "source": rep.get("source", ""), "verdict_text": _html(verdict_html(verdict)), "why": why,
                      "notes": [_html(n) for n in notes.get(str(rep.get("source")), [])]})
        if rep.get("matches"):
            banked.append((i + 1, [_html(match_view(m, preview, rep.get("faces") or [], thumb))
                                   for m in rep["matches"][:3]]))
    return _macro("profile")([str(rep.get("source", "")) for rep in photos],
                             [_html(evidence_card(ev, known_ai_checks)) for ev in profile.get("evidence") or []],
                             tiles, banked)



CSS = """
.ic-banner{border-radius:10px;padding:14px 18px;margin:4px 0;color:#fff !important}
.ic-banner-title{font-size:1.5em;font-weight:700;color:#fff !important}
.ic-banner-text{margin-top:4px;color:#fff !important}
.ic-waiting{background:rgba(127,127,127,.12);color:inherit !important}
.ic-flagged{background:#b3261e}.ic-suspicious{background:#a15c00}.ic-clear{background:#1e7a34}
.ic-error{background:#5f4b8b}.ic-incomplete{background:#6b5a00}
.ic-evidence img{max-width:100%;height:auto;border-radius:6px}
.ic-photo{margin:0 0 8px 0}.ic-photo svg{width:100%;max-width:520px;height:auto;display:block}
.ic-face{fill:none;stroke:#ffd400}.ic-face-label{fill:#ffd400;font-weight:700}
.ic-match{border:1px solid #ccc;border-radius:8px;padding:8px;margin:8px 0}
.ic-pair{display:flex;gap:8px;flex-wrap:wrap}.ic-pair figure{flex:1 1 140px;margin:0;min-width:120px}
.ic-pair img{max-height:260px;object-fit:contain;width:100%}
.ic-card{border-left:5px solid #999;padding:6px 10px;margin:8px 0;background:rgba(127,127,127,.08)}
.ic-status-flag{border-color:#b3261e}.ic-status-clear{border-color:#1e7a34}
.ic-status-inconclusive{border-color:#888}.ic-status-na{border-color:#bbb;opacity:.85}
.ic-badge-na{background:#e4e4e4;color:#444}
.ic-advice h4{margin:10px 0 2px}.ic-advice ul{margin:2px 0 6px;padding-left:20px}
.ic-checked{margin:4px 0 8px;padding-left:22px;font-size:.95em}
.ic-ex-captions{margin:0 0 4px;padding-left:22px;font-size:.9em}.ic-status-error{border-color:#5f4b8b}
.ic-card-head{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap}
.ic-check{font-weight:700}
.ic-badge{font-size:.85em;padding:1px 8px;border-radius:10px;background:#ddd;color:#222}
.ic-badge-flag{background:#b3261e;color:#fff}.ic-badge-clear{background:#1e7a34;color:#fff}
.ic-reason{margin:4px 0}.ic-nums,.ic-note{font-size:.85em;opacity:.8;margin:2px 0}
.ic-details{font-size:.85em;display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
.ic-details dt{font-weight:600}.ic-details dd{margin:0;word-break:break-word;min-width:0}
.ic-more summary{cursor:pointer;font-size:.85em;opacity:.8}
.ic-rows{font-size:.95em;border-collapse:collapse;display:block;overflow-x:auto;max-width:100%}
.ic-rows th,.ic-rows td{text-align:left;padding:1px 8px 1px 0;vertical-align:top}
.ic-meter{position:relative;height:12px;background:#ddd;border-radius:6px;margin:6px 0;max-width:420px}
.ic-meter-fill{height:100%;background:#a15c00;border-radius:6px}
.ic-meter-thr{position:absolute;top:-3px;width:2px;height:18px;background:#222}
.ic-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:8px}
.ic-tile{border-radius:8px;padding:6px}.ic-tile,.ic-tile *{color:#fff !important}
.ic-tile img{max-height:180px;width:100%;object-fit:cover}
.ic-tile ul{margin:4px 0;padding-left:18px;font-size:.9em}
.ic-noimg{padding:30px 8px;text-align:center;opacity:.7;border:1px dashed #999}
.ic-prov{border:1px solid #bbb;border-radius:8px;padding:6px 10px;margin:8px 0;max-width:640px}
.ic-prov-head{font-weight:700;margin-bottom:2px}.ic-prov-broken{border-color:#a15c00;border-width:2px}
.ic-prov-problems{margin:0;padding-left:18px}
"""


# -- video -----------------------------------------------------------------------------------------
#: most thumbnails shown in a clip's timeline strip (spread evenly over the samples)
TIMELINE_MAX = 48


def timeline_html(report: dict[str, Any], thumbnails: Sequence[tuple[float, bytes]]) -> str:
    """A clip's timeline strip: sampled frames with their time, flags of that second and AI score."""
    video = report.get("video") or {}
    rows = {int(r["second"]): r for r in video.get("timeline") or []}
    thumbs = list(thumbnails)
    if len(thumbs) > TIMELINE_MAX:
        idx = np.linspace(0, len(thumbs) - 1, TIMELINE_MAX).round().astype(int)
        thumbs = [thumbs[i] for i in dict.fromkeys(idx.tolist())]
    cells = []
    for t, jpeg in thumbs:
        row = rows.get(int(t), {})
        flags = row.get("flags") or []
        ai = row.get("ai_pixels")
        names = ", ".join(row.get("known_face") or [])
        note = " ".join(x for x in (", ".join(humanize(f) for f in flags), names,
                                    f"AI {ai:.0%}" if isinstance(ai, (int, float)) else "") if x)
        cells.append({"cls": "ic-tl-flag" if flags else "ic-tl-ok", "note": note, "src": _data_uri(jpeg),
                      "t": f"{t:.1f}"})
    head = _t("app.timeline.head", duration=float(video.get("duration_s", 0) or 0),
              frames=video.get("frames_sampled", 0), shots=video.get("shots", 0),
              tracks=len(video.get("tracks") or []))
    return _macro("timeline")(head, cells)

