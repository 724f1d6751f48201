"""Check ``ai_provenance``: does the file itself say it was made or edited by an AI generator?

Reads C2PA manifests, XMP/IPTC digital source type and AI-system fields, generator metadata (PNG
text chunks, EXIF) and reports camera metadata as context only. Absence of metadata proves nothing
(uploads are usually stripped), so a file without any is ``clear``, never "authentic".

Two flags: ``ai_provenance`` (strong: the file declares AI generation) and ``provenance_broken`` (weak:
its Content Credentials no longer match it, i.e. it was edited after it was signed: a failed content
hash or signature). Expired or untrusted certificates, identity-assertion failures and malformed
manifests are named in the reason and the summary (``details["provenance"]``) but flag nothing.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from imgcheck.checks import CheckContext
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck.provenance import metadata
from imgcheck.provenance import summary as provenance_summary
from imgcheck.provenance.c2pa_manifest import C2paStatus, C2paSummary
from imgcheck.provenance.generators import Finding
from imgcheck.strength import measured
from imgcheck.types import Evidence


def _describe(f: Finding) -> str:
    text = f"{f.generator} ({f.where}"
    if f.model:
        text += f", model '{f.model}'"
    if f.rule.startswith("c2pa_"):
        text += f"; {f.excerpt}"
    elif f.rule.startswith("iptc_") and f.rule != "iptc_ai_system":
        text += f" {f.excerpt}"
    return text + ")"


class AiProvenanceCheck:
    name: ClassVar[str] = "ai_provenance"
    flags: ClassVar[tuple[str, ...]] = ("ai_provenance", "provenance_broken")

    def __init__(self) -> None:
        self._c2pa_context: Any | None = None
        self._c2pa_key: object = None
        self._lock = threading.Lock()

    def _context(self, ctx: CheckContext) -> Any | None:
        """The c2pa reading context, built once per trust-anchor setting (the check lives in the Engine)."""
        anchors = ctx.settings.c2pa_trust_anchors
        with self._lock:
            if self._c2pa_context is None or self._c2pa_key != anchors:
                pem = anchors.read_text() if anchors else None
                try:
                    from imgcheck.provenance.c2pa_manifest import make_context

                    self._c2pa_context = make_context(pem)
                except ImportError:   # c2pa-python is a dependency; keep working without it anyway
                    self._c2pa_context = None
                self._c2pa_key = anchors
            return self._c2pa_context

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence:
        result = metadata.analyse(img.data, img.format, self._context(ctx))
        c2pa = result.c2pa
        details: dict[str, Any] = {
            "provenance": provenance_summary.build(result),
            "findings": [f.to_dict() for f in result.findings],
            "camera_context": result.camera,
            "digital_source_types": list(result.source_types),
            "c2pa": c2pa.to_dict() if c2pa.present else None,
            "metadata_blocks": result.blocks,
            "notes": list(result.notes),
        }
        broken = c2pa.broken if c2pa.present else ()
        # the measure counts metadata findings: each AI declaration, and credentials broken after signing
        measure, strength = measured(self.name, len(result.findings) + (1 if broken else 0), 1)
        graded = {"strength": strength, "measure": measure}
        if result.findings:
            top = result.findings[0]
            names = list(dict.fromkeys(f.generator for f in result.findings))
            others = len(result.findings) - 1
            also = [n for n in names if n != top.generator]
            said = (msg("ai_provenance.flag", found=_describe(top)) if not others else
                    msg("ai_provenance.flag_more_naming", found=_describe(top), others=others, also=also[:3])
                    if also else msg("ai_provenance.flag_more", found=_describe(top), others=others))
            if broken:  # (English only for now: the credentials' own status texts are English)
                said = {"reason": said["reason"] + f". The file was also {_broken_text(broken)}"}
            details["generators"] = names
            flags = ("ai_provenance",) + (("provenance_broken",) if broken else ())
            return Evidence(self.name, "flag", **said, score=1.0, flags=flags, details=details, **graded)
        if broken:
            said = msg("ai_provenance.broken", problems="; ".join(s.text() for s in broken[:3]),
                       credentials=_credentials_text(c2pa), validation=_other_problems(c2pa))
            return Evidence(self.name, "flag", **said, score=1.0, flags=("provenance_broken",), details=details,
                            **graded)
        if c2pa.present:
            return Evidence(self.name, "clear", **_credentials_clear(c2pa, result), score=0.0, details=details,
                            **graded)
        if result.camera:
            what = result.camera.get("exif_camera") or result.camera.get("c2pa_capture") or \
                result.camera.get("xmp_source_type", "")
            return Evidence(self.name, "clear", **msg("ai_provenance.camera", what=what), score=0.0, details=details,
                            **graded)
        if provenance_summary.has_metadata(result):
            words = {"text": "text fields", "stealth": "hidden pixel-bit text"}
            kinds = [words.get(k, k.upper()) for k, n in result.blocks.items() if n]
            return Evidence(self.name, "clear", **msg("ai_provenance.no_credentials", kinds=kinds), score=0.0,
                            details=details, **graded)
        return Evidence(self.name, "clear", **msg("ai_provenance.none"), score=0.0, details=details, **graded)


def _broken_text(broken: tuple[C2paStatus, ...]) -> str:
    """"edited after it was signed: the image data changed ... (assertion.dataHash.mismatch)"."""
    return "edited after it was signed: " + "; ".join(s.text() for s in broken[:3])


def _credentials_text(c2pa: C2paSummary) -> str:
    history = c2pa.history()
    who = c2pa.signer or "an unnamed signer"
    trust = "trusted" if c2pa.trusted else "not on the configured trust list"
    return (f"{history}; " if history else "") + f"signed by {who} ({trust})"


def _other_problems(c2pa: C2paSummary) -> str:
    other = c2pa.other_problems()
    return (" Validation: " + "; ".join(s.text() for s in other[:4]) + ".") if other else ""


def _credentials_clear(c2pa: C2paSummary, result: metadata.ProvenanceResult) -> dict[str, Any]:
    if not c2pa.readable:
        problem = "; ".join(s.text() for s in c2pa.statuses[:2]) or c2pa.error
        return msg("ai_provenance.credentials_unreadable", problem=problem)
    credentials = _credentials_text(c2pa)
    camera = result.camera.get("exif_camera", "")
    camera_text = f" Camera metadata: {camera}." if camera and camera not in credentials else ""
    return msg("ai_provenance.credentials", credentials=credentials, validation=_other_problems(c2pa),
               camera=camera_text)
