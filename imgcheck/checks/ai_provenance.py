"""Check ``ai_provenance``: does the file itself say it was made or edited by an AI generator?

Reads C2PA manifests, XMP/IPTC digital source type and AI-system fields, generator metadata (PNG
text chunks, EXIF) and reports camera metadata as context only. Absence of metadata proves nothing
(uploads are usually stripped), so a file without any is ``clear``, never "authentic".
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from imgcheck.checks import CheckContext
from imgcheck.load import LoadedImage
from imgcheck.provenance import metadata
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
    flags: ClassVar[tuple[str, ...]] = ("ai_provenance",)

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
        details: dict[str, Any] = {
            "findings": [f.to_dict() for f in result.findings],
            "camera_context": result.camera,
            "digital_source_types": list(result.source_types),
            "c2pa": result.c2pa.to_dict() if result.c2pa.present else None,
            "metadata_blocks": result.blocks,
            "notes": list(result.notes),
        }
        measure, strength = measured(self.name, len(result.findings), 1)
        if result.findings:
            top = result.findings[0]
            names = list(dict.fromkeys(f.generator for f in result.findings))
            reason = f"AI-generation metadata: made with {_describe(top)}"
            others = len(result.findings) - 1
            if others:
                also = [n for n in names if n != top.generator]
                reason += f"; {others} more sign(s)" + (f" naming {', '.join(also[:3])}" if also else "")
            details["generators"] = names
            return Evidence(self.name, "flag", reason, score=1.0, flags=self.flags, details=details,
                            strength=strength, measure=measure)
        if result.camera:
            what = result.camera.get("exif_camera") or result.camera.get("c2pa_capture") or \
                result.camera.get("xmp_source_type", "")
            reason = (f"No AI-generation metadata. Camera metadata present ({what}); metadata can be copied or "
                      "forged, so this is context, not proof that the photo is real.")
            return Evidence(self.name, "clear", reason, score=0.0, details=details, strength=strength,
                            measure=measure)
        reason = "No AI-generation metadata found (uploads are often stripped of metadata, so this proves nothing)."
        return Evidence(self.name, "clear", reason, score=0.0, details=details, strength=strength,
                        measure=measure)
