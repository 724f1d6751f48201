"""Turn report dicts (the JSON contract) into the HTML and Markdown the app shows.

Rendering reads only the report JSON, so a check added later shows up without changes here: every
Evidence item gets a generic card (status, reason, score, details); kinds the app knows get a richer
view (face boxes on the photo, the matched bank image beside the upload, an AI score with honest
wording). Everything that came from a file, a bank label or a check is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


# -- languages ------------------------------------------------------------------------------------
# Every sentence the app writes is rendered in each language and wrapped in <span class="ic-t" lang=..>;
# the page shows the chosen one (CSS on <html data-ic-lang>, set from the browser's language or the
# switch), so switching is instant and nothing is re-checked. Texts equal in every language (a
# reason without a message id, a label) are written once.
def _text(value: str) -> str:
    """Element text (never an attribute): <, > and & escaped."""
    return html.escape(value, quote=False)


def both(texts: dict[str, str]) -> str:
    values = list(texts.values())
    if all(v == values[0] for v in values):
        return _text(values[0])
    return "".join(f'<span class="ic-t" lang="{lang}">{_text(t)}</span>' for lang, t in texts.items())


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
    return tt(code) if has_text(code) else esc(humanize(check))


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
    title = tt(title_code) if has_text(title_code) else esc(humanize(verdict))
    text_code = next((c for c in (f"app.text.{verdict}.{subject}", f"app.text.{verdict}.photo",
                                  f"app.text.{verdict}") if has_text(c)), None)
    body = esc(error) if verdict == "error" and error else tt(text_code) if text_code else ""
    if verdict == "incomplete" and failed:
        body += " " + tt("app.did_not_run", what=failed_summary(failed))
    return (
        f'<div class="ic-banner ic-{esc(verdict)}" data-verdict="{esc(verdict)}" role="status">'
        f'<div class="ic-banner-title">{title}</div><div class="ic-banner-text">{body}</div></div>'
    )


def failed_summary(failed: Sequence[dict[str, Any]]) -> str:
    """``failed_checks`` of a report as one line: "photo: check (reason); ..."."""
    return "; ".join(f"{f['photo'] + ': ' if f.get('photo') else ''}{humanize(str(f.get('check', '')))} "
                     f"({f.get('reason', '')})" for f in failed)


def advice_html(verdict: str, flags: Sequence[str], reasons: Sequence[str]) -> str:
    """Why (plain language per flag), what the checks found (``reasons``: HTML from ``reason_html``) and
    what to do next, in every language (see ``both``)."""
    parts: list[str] = ['<div class="ic-advice">']
    if flags:
        items = "".join(f"<li>{tt(f'app.flag.{f}') if has_text(f'app.flag.{f}') else esc(humanize(f))}</li>"
                        for f in flags)
        parts.append(f"<h4>{tt('app.why')}</h4><ul>{items}</ul>")
    if reasons:
        parts.append(f"<h4>{tt('app.found')}</h4><ul>" + "".join(f"<li>{r}</li>" for r in reasons) + "</ul>")
    steps = [c for c in (f"app.step.{verdict}.{i}" for i in range(1, 6)) if has_text(c)]
    if steps:
        parts.append(f"<h4>{tt('app.next')}</h4><ul>" + "".join(f"<li>{tt(c)}</li>" for c in steps) + "</ul>")
    parts.append("</div>")
    return "".join(parts)


def report_reasons(report: dict[str, Any], prefix: str = "") -> list[str]:
    """The reasons of a report (its flagging evidence) as HTML in every language."""
    return [(esc(prefix) if prefix else "") + reason_html(ev) for ev in report.get("evidence") or []
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


def _detail_value(value: Any, depth: int = 0, key: str = "") -> str:
    """A details value as HTML: nested dicts as lists, lists of records as small tables."""
    if isinstance(value, dict) and depth < 2:
        return details_table(value, depth + 1)
    if isinstance(value, (list, tuple)) and value and depth < 2 and all(isinstance(v, dict) for v in value):
        cols = list(dict.fromkeys(k for v in value[:10] for k, x in v.items()
                                  if not _empty(x) and k not in HIDDEN_DETAILS))[:6]
        head = "".join(f"<th>{esc(_col(str(c)))}</th>" for c in cols)
        rows = "".join(
            "<tr>" + "".join(f"<td>{esc(_cell(str(c), v.get(c, '')))}</td>" for c in cols) + "</tr>"
            for v in value[:10]
        )
        more = f'<p class="ic-note">and {len(value) - 10} more</p>' if len(value) > 10 else ""
        return f'<table class="ic-rows"><tr>{head}</tr>{rows}</table>{more}'
    if isinstance(value, (list, tuple)) and all(not isinstance(v, (dict, list, tuple)) for v in value):
        return esc(", ".join(_fmt(v) for v in value[:20]) + (" ..." if len(value) > 20 else ""))
    return esc(_cell(key, value))


def details_table(details: dict[str, Any], depth: int = 0) -> str:
    """A check's details, whatever their shape; empty values and engine internals are left out."""
    items = [(k, v) for k, v in (details or {}).items() if not _empty(v) and k not in HIDDEN_DETAILS]
    if not items:
        return ""
    rows = "".join(f"<dt>{esc(_col(str(k)))}</dt><dd>{_detail_value(v, depth, str(k))}</dd>" for k, v in items)
    return f'<dl class="ic-details">{rows}</dl>'


def ai_meter(ev: dict[str, Any]) -> str:
    """An AI-likeness strength as a bar, with the decision line (0.5) marked and the honest wording."""
    strength = evidence_strength(ev)
    if strength is None:
        return ""
    pct = max(0.0, min(1.0, float(strength))) * 100
    mark = '<div class="ic-meter-thr" style="left:50.0%"></div>'
    return (
        f'<div class="ic-meter" aria-label="AI-likeness {pct:.0f} of 100">'
        f'<div class="ic-meter-fill" style="width:{pct:.1f}%"></div>{mark}</div>'
        f'<p class="ic-note">{tt("app.meter_note")}</p>'
    )


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
    return esc(f"{m.get('name')} {_fmt(m['value'])} ({m.get('unit')}); flags at {m.get('flags_when')} "
               f"{_fmt(m.get('flag_at'))}")


def evidence_card(ev: dict[str, Any], known_ai_checks: frozenset[str] = frozenset()) -> str:
    status = str(ev.get("status", ""))
    na = not_applicable(ev)
    shown = "na" if na else status  # a check that did not apply is neutral grey, never green
    badge = tt(na) if na else tt(f"app.status.{status}") if has_text(f"app.status.{status}") else esc(status)
    parts = [
        f'<div class="ic-card ic-status-{esc(shown)}" data-check="{esc(ev.get("check", ""))}" '
        f'data-status="{esc(status)}">',
        (
            f'<div class="ic-card-head"><span class="ic-check">{check_title(str(ev.get("check", "")))}'
            f'</span><span class="ic-badge ic-badge-{esc(shown)}">{badge}</span></div>'
        ),
        f'<p class="ic-reason">{reason_html(ev)}</p>',
    ]
    if is_ai_score(ev, known_ai_checks) and not na:
        parts.append(ai_meter(ev))
    nums = []
    measure = measure_html(ev)
    if measure:
        nums.append(measure)
    strength = ev.get("strength")
    if isinstance(strength, (int, float)) and not na:
        nums.append(tt("app.strength", pct=f"{100 * float(strength):.0f}"))
    if ev.get("model"):
        sha = str(ev.get("model_sha256") or "")[:12]
        nums.append(f"{tt('app.model')} {esc(ev['model'])}" + (f" ({esc(sha)})" if sha else ""))
    if nums:
        parts.append(f'<p class="ic-nums">{" · ".join(nums)}</p>')
    table = details_table(ev.get("details") or {})
    if table:  # open when the check found a problem; otherwise one click away
        parts.append(
            f'<details class="ic-more"{" open" if status == "flag" else ""}>'
            f"<summary>{tt('app.details')}</summary>{table}</details>"
        )
    parts.append("</div>")
    return "".join(parts)


def faces_view(preview: Preview | None, faces: Sequence[dict[str, Any]]) -> str:
    """The photo with numbered face boxes drawn over it (SVG in the report's pixel coordinates)."""
    if preview is None or not faces:
        return ""  # without faces the photo is already on screen beside the verdict
    w, h = preview.width, preview.height
    stroke = max(2.0, max(w, h) / 250)
    boxes = []
    for i, f in enumerate(faces):
        box = f.get("box") or ()
        if len(box) != 4:
            continue
        x, y, bw, bh = (float(v) for v in box)
        boxes.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{bw:.0f}" height="{bh:.0f}" class="ic-face" '
            f'stroke-width="{stroke:.1f}"/>'
            f'<text x="{x + stroke:.0f}" y="{max(y - stroke, stroke * 6):.0f}" class="ic-face-label" '
            f'font-size="{stroke * 6:.0f}">{i + 1}</text>'
        )
    caption = f"{len(boxes)} face{'s' if len(boxes) != 1 else ''} found"
    return (
        f'<figure class="ic-photo"><svg viewBox="0 0 {w} {h}" role="img" aria-label="{esc(caption)}">'
        f'<image href="{preview.data_uri}" x="0" y="0" width="{w}" height="{h}"/>{"".join(boxes)}</svg>'
        f"<figcaption>{tt('app.faces_found', n=len(boxes))}</figcaption></figure>"
    )


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
    left = f'<img src="{upload_src}" alt="your photo">' if upload_src else '<div class="ic-noimg">-</div>'
    right = (
        f'<img src="{_data_uri(bank_jpeg)}" alt="bank image">'
        if bank_jpeg
        else f'<div class="ic-noimg">{tt("app.no_picture")}</div>'
    )
    what = (tt("app.same_face", label=label, face=(fi if isinstance(fi, int) else 0) + 1)
            if match.get("kind") == "face" else tt("app.same_image", label=label))
    return (
        f'<div class="ic-match" data-entry="{esc(match.get("entry_id", ""))}">'
        f'<div class="ic-pair"><figure>{left}<figcaption>{tt("app.your_photo")}</figcaption></figure>'
        f"<figure>{right}<figcaption>{tt('app.bank_label', label=label)}</figcaption></figure></div>"
        f"<p><b>{what}</b> ({esc(humanize(str(match.get('bank_kind', ''))))})"
        + (f" · {measure}" if measure else "") + "</p>"
        + (f'<p class="ic-note">{tt("app.bank_source", source=str(match["source"]))}</p>'
           if match.get("source") else "")
        + "</div>"
    )


#: how each kind of validation problem is labelled on the provenance card
PROBLEM_KIND_TEXT = {
    "content_hash": "Pixels changed after signing",
    "signature": "Signature",
    "certificate": "Certificate",
    "identity": "Identity assertion",
    "malformed": "Malformed data",
    "other": "Other",
}


def provenance_card(summary: dict[str, Any] | None) -> str:
    """The provenance summary (``report["provenance"]``) as a small card: credentials, signer and trust,
    generator, capture device, history in words, and each validation problem with its C2PA code."""
    if not isinstance(summary, dict):
        return ""
    state = str(summary.get("content_credentials") or "absent")
    problems = [p for p in summary.get("problems") or [] if isinstance(p, dict)]
    bad = any(p.get("kind") in ("content_hash", "signature") and not p.get("ingredient") for p in problems)
    rows: list[tuple[str, str]] = []
    if state == "absent":
        head = "No Content Credentials" if summary.get("metadata_present") else "No metadata at all in this file"
    elif state == "unreadable":
        head = "Content Credentials present but unreadable"
    else:
        head = "Content Credentials present" + (", AI declared" if summary.get("ai_declared") else ", no AI declared")
        if bad:
            head += ": edited after it was signed"
    if summary.get("signer"):
        trust = summary.get("trust") or ""
        rows.append(("Signed by", f"{esc(summary['signer'])}" + (f' <span class="ic-note">({esc(trust)})</span>'
                                                                  if trust else "")))
    if summary.get("claim_generator"):
        rows.append(("Made with", esc(summary["claim_generator"])))
    if summary.get("capture_device"):
        rows.append(("Capture device", esc(summary["capture_device"])))
    if summary.get("history"):
        text = str(summary["history"])
        rows.append(("History", esc(text[:1].upper() + text[1:])))
    if problems:
        items = "".join(
            f'<li data-code="{esc(p.get("code", ""))}"><b>{esc(PROBLEM_KIND_TEXT.get(str(p.get("kind")), "Other"))}'
            f"</b>: {esc(p.get('text', ''))}</li>"
            for p in problems[:8]
        )
        rows.append(("Validation", f'<ul class="ic-prov-problems">{items}</ul>'))
    elif state == "present":
        outcome = summary.get("validation")
        rows.append(("Validation", "signature and content hash check out" + (
            "; signer trusted" if outcome == "trusted" else "; signer not on the configured trust list")))
    by_kind = summary.get("by_kind") if isinstance(summary.get("by_kind"), dict) else {}
    words = {"content_hash": "content hash", "signature": "signature", "certificate": "certificate",
             "identity": "identity", "malformed": "data"}
    checked = [f"{words.get(k, k)} {v.get('outcome')}" for k, v in by_kind.items()
               if isinstance(v, dict) and v.get("outcome") not in (None, "not present")]
    if checked:
        rows.append(("Checked", esc(" · ".join(checked))))
    body = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        f'<div class="ic-prov ic-prov-{esc(state)}{" ic-prov-broken" if bad else ""}" data-credentials="{esc(state)}">'
        f'<div class="ic-prov-head">{esc(head)}</div>'
        + (f'<dl class="ic-details">{body}</dl>' if body else "")
        + '<p class="ic-note">What the file says about itself: metadata can be stripped, copied or signed by '
        "anyone, so it is context, not proof.</p></div>"
    )


def verdict_html(verdict: str) -> str:
    code = f"verdict.{verdict}"
    if not has_text(code):
        return esc(verdict.upper())
    return both({lang: i18n.text(code, {}, lang).upper() for lang in i18n.LANGS})


def report_html(
    report: dict[str, Any],
    preview: Preview | None = None,
    thumb: ThumbLookup | None = None,
    known_ai_checks: frozenset[str] = frozenset(),
) -> str:
    """The evidence section of one report: photo with faces, bank matches, then every check's card."""
    if report.get("verdict") == "error":
        return f'<div class="ic-evidence"><p class="ic-reason">{esc(report.get("error") or "")}</p></div>'
    faces = report.get("faces") or []
    parts = ['<div class="ic-evidence">', faces_view(preview, faces)]
    matches = report.get("matches") or []
    if matches:
        parts.append(f"<h3>{tt('app.found_in_bank')}</h3>")
        parts += [match_view(m, preview, faces, thumb) for m in matches[:5]]
        if len(matches) > 5:
            parts.append(f'<p class="ic-note">{tt("app.more_matches", n=len(matches) - 5)}</p>')
    card = provenance_card(report.get("provenance"))
    if card:
        parts += ["<h3>Where the file says it comes from</h3>", card]
    parts.append(f"<h3>{tt('app.every_check')}</h3>")
    parts += [evidence_card(ev, known_ai_checks) for ev in report.get("evidence") or []]
    parts.append("</div>")
    return "".join(parts)


def per_photo_notes(evidence: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """What profile-level checks say about each photo, from details rows that name a ``photo``
    (e.g. face consistency: whether this photo's face is the same person as the others)."""
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
                text = tt("app.same_person_as_profile", status=f"app.{status}")
            else:
                text = esc(f"{humanize(str(ev.get('check', '')))}: {status}")
            notes.setdefault(str(row["photo"]), []).append(text + esc(f" ({', '.join(extra)})" if extra else ""))
    return notes


def profile_html(
    profile: dict[str, Any],
    previews: Sequence[Preview | None],
    thumb: ThumbLookup | None = None,
    known_ai_checks: frozenset[str] = frozenset(),
) -> str:
    """Profile-level findings, then one compact card per photo."""
    parts = ['<div class="ic-evidence">']
    names = [str(rep.get("source", "")) for rep in profile.get("photos") or []]
    if names:  # what was checked, in upload order, numbered as everywhere else from 1
        parts.append('<ol class="ic-checked">' + "".join(f"<li>{esc(n)}</li>" for n in names) + "</ol>")
    if profile.get("evidence"):
        parts.append(f"<h3>{tt('app.across_profile')}</h3>")
        parts += [evidence_card(ev, known_ai_checks) for ev in profile["evidence"]]
    notes = per_photo_notes(profile.get("evidence") or [])
    parts.append(f'<h3>{tt("app.photo_by_photo")}</h3><div class="ic-grid">')
    for i, rep in enumerate(profile.get("photos") or []):
        preview = previews[i] if i < len(previews) else None
        verdict = str(rep.get("verdict", ""))
        img = f'<img src="{preview.data_uri}" alt="photo {i + 1}">' if preview else ""
        why = report_reasons(rep) or ([esc(rep["error"])] if rep.get("error") else [])
        items = "".join(f"<li>{r}</li>" for r in why) or f"<li>{tt('app.no_warning')}</li>"
        items += "".join(
            f'<li class="ic-profile-note">{n}</li>' for n in notes.get(str(rep.get("source")), [])
        )
        parts.append(
            f'<div class="ic-tile ic-{esc(verdict)}" data-verdict="{esc(verdict)}">{img}'
            f'<div class="ic-tile-head">{i + 1}. {esc(rep.get("source", ""))}: '
            f"<b>{verdict_html(verdict)}</b></div><ul>{items}</ul></div>"
        )
    parts.append("</div>")
    for i, rep in enumerate(profile.get("photos") or []):
        if rep.get("matches"):
            preview = previews[i] if i < len(previews) else None
            parts.append(f"<h3>{tt('app.photo_n_in_bank', n=i + 1)}</h3>")
            parts += [match_view(m, preview, rep.get("faces") or [], thumb) for m in rep["matches"][:3]]
    parts.append("</div>")
    return "".join(parts)


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
        cls = "ic-tl-flag" if flags else "ic-tl-ok"
        cells.append(
            f'<figure class="ic-tl-cell {cls}" title="{esc(note or "no flag")}">'
            f'<img src="{_data_uri(jpeg)}" alt="frame at {t:.1f} s" style="width:96px;display:block">'
            f'<figcaption style="font-size:11px">{t:.1f} s{" · " + esc(note) if note else ""}</figcaption></figure>')
    head = (f'{video.get("duration_s", 0):.1f} s, {video.get("frames_sampled", 0)} frames sampled, '
            f'{video.get("shots", 0)} shot(s), {len(video.get("tracks") or [])} face track(s)')
    return (f'<div class="ic-timeline"><h3>Timeline</h3><p class="ic-note">{esc(head)}</p>'
            '<div style="display:flex;gap:4px;overflow-x:auto">' + "".join(cells) + "</div></div>")
