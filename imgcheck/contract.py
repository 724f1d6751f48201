"""Reading report documents of either schema: v2 as written, v1 upgraded on the fly.

``imgcheck.report/1`` evidence had only ``score`` and ``threshold``, whose meaning depended on the
check (a similarity for ``known_image``, a distance for ``known_face``, ``gan_face_geometry`` and
``face_consistency``, a probability for ``ai_pixels``, a share of bits for ``ai_watermark``). This
module rebuilds v2's ``strength`` and ``measure`` from them with the same scales the checks use
(``imgcheck.strength.SCALES``), so a scan resumed over an old JSON Lines file ranks old and new
records alike, and the CSV and HTML reports read both.
"""

from __future__ import annotations

import copy
from typing import Any

from imgcheck.strength import SCALES, measured
from imgcheck.types import PROFILE_SCHEMA, REPORT_SCHEMA

V1_REPORT = "imgcheck.report/1"
V1_PROFILE = "imgcheck.profile/1"
_NBITS = {"pdq": 256, "phash": 64, "pdq+orb": 256}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _v1_graded(ev: dict[str, Any], matches: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, float | None]:
    """(measure dict, strength) of one v1 evidence item."""
    check, status = ev.get("check"), ev.get("status")
    score, thr = _num(ev.get("score")), _num(ev.get("threshold"))
    details = ev.get("details") if isinstance(ev.get("details"), dict) else {}
    if status == "error":
        return None, None
    if check == "known_image":
        top = next((m for m in matches if m.get("kind") == "image"), None)
        if status == "flag" and top is not None and top.get("method") in _NBITS and thr is not None:
            nbits = _NBITS[top["method"]]
            dist = _num(top.get("distance"))
            if dist is None and score is not None:
                dist = round((1 - score) * nbits)
            m, s = measured(f"known_image.{top['method']}", dist or 0.0, round((1 - thr) * nbits))
            return m.to_dict(), s
        return None, (0.0 if status == "clear" else None)
    if check == "ai_provenance":
        findings = details.get("findings")
        if status in ("flag", "clear"):
            n = len(findings) if isinstance(findings, list) else int(status == "flag")
            m, s = measured(check, n, 1)
            return m.to_dict(), s
        return None, None
    if check == "face_consistency":
        thr = _num(details.get("different_distance")) or thr
    if check in SCALES and score is not None and thr is not None:
        m, s = measured(check, score, thr)
        return m.to_dict(), s
    if check == "gan_face_geometry" and status == "clear":
        return None, 0.0  # v1 "not a square portrait"
    return None, None


def evidence_strength(ev: dict[str, Any], matches: list[dict[str, Any]] | None = None) -> float | None:
    """``strength`` of an evidence dict of either schema (None: did not run or did not apply)."""
    if "strength" in ev:
        return _num(ev.get("strength"))
    return _v1_graded(ev, matches or [])[1]


def upgrade_report(doc: dict[str, Any]) -> dict[str, Any]:
    """A v1 report (or profile report) as v2: ``strength`` and ``measure`` added to every evidence item
    (``upgraded_from`` names the old schema). v2 documents and other dicts come back unchanged."""
    schema = doc.get("schema")
    if schema == V1_PROFILE:
        out = copy.deepcopy(doc)
        out["schema"], out["upgraded_from"] = PROFILE_SCHEMA, V1_PROFILE
        out["evidence"] = [_upgrade_evidence(e, []) for e in out.get("evidence") or [] if isinstance(e, dict)]
        out["photos"] = [upgrade_report(p) if isinstance(p, dict) else p for p in out.get("photos") or []]
        return out
    if schema != V1_REPORT:
        return doc
    out = copy.deepcopy(doc)
    out["schema"], out["upgraded_from"] = REPORT_SCHEMA, V1_REPORT
    matches = [m for m in out.get("matches") or [] if isinstance(m, dict)]
    out["evidence"] = [_upgrade_evidence(e, matches) for e in out.get("evidence") or [] if isinstance(e, dict)]
    return out


def _upgrade_evidence(ev: dict[str, Any], matches: list[dict[str, Any]]) -> dict[str, Any]:
    if "strength" in ev:
        return ev
    measure, strength = _v1_graded(ev, matches)
    return {**ev, "strength": strength, "measure": measure}
