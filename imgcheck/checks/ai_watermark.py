"""Check ``ai_watermark``: does the image carry a Stable Diffusion invisible watermark?

Decodes the dwtDct marks of the Stable Diffusion reference scripts (SD v1, SD v2, SDXL) from the
full-resolution pixels and flags when the bit agreement with a known payload reaches the calibrated
threshold (``Settings.watermark_agreement``; calibration in docs/provenance.md). The mark is fragile:
resizing or strong JPEG re-compression erases it, so its absence proves nothing.
"""

from __future__ import annotations

from typing import ClassVar

from imgcheck.checks import CheckContext
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck import watermark
from imgcheck.strength import measured
from imgcheck.types import Evidence


class AiWatermarkCheck:
    name: ClassVar[str] = "ai_watermark"
    flags: ClassVar[tuple[str, ...]] = ("ai_watermark",)

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence:
        threshold = ctx.settings.watermark_agreement
        if img.width * img.height < watermark.MIN_PIXELS:
            return Evidence(self.name, "inconclusive",
                            **msg("ai_watermark.too_small", width=img.width, height=img.height), threshold=threshold)
        if img.width * img.height > watermark.MAX_PIXELS:
            return Evidence(self.name, "inconclusive",
                            **msg("ai_watermark.too_large", width=img.width, height=img.height), threshold=threshold)
        marks = watermark.read_marks(img.rgb(None))
        if not marks:
            return Evidence(self.name, "inconclusive", **msg("ai_watermark.no_payload"), threshold=threshold)
        best = marks[0]
        details = {"best": best.to_dict(), "payloads": [m.to_dict() for m in marks],
                   "decoded_region": [img.width, img.height]}
        agreed = round(best.agreement * best.bits)
        measure, strength = measured(self.name, round(best.agreement, 4), threshold)
        if best.agreement >= threshold:
            said = msg("ai_watermark.flag", payload=best.payload, agreed=agreed, bits=best.bits,
                       agreement=best.agreement, threshold=threshold)
            return Evidence(self.name, "flag", **said, score=round(best.agreement, 4), threshold=threshold,
                            flags=self.flags, details=details, strength=strength, measure=measure)
        said = msg("ai_watermark.clear", agreement=best.agreement, threshold=threshold)
        return Evidence(self.name, "clear", **said, score=round(best.agreement, 4), threshold=threshold,
                        details=details, strength=strength, measure=measure)
