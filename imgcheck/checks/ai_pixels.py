"""Check ``ai_pixels``: a calibrated probability that the pixels were made by an image generator.

This is a statistical signal, never proof: it flags ``ai_generated`` only above a conservative
threshold chosen for a low false-positive rate on real photos (see models/MODELS.md), reports
``inconclusive`` in the band between "clearly real-looking" and that threshold, and ``clear`` below.
"""

from __future__ import annotations

import math
from typing import ClassVar

from imgcheck.checks import CheckContext
from imgcheck.detectors import pixels
from imgcheck.load import LoadedImage
from imgcheck.strength import measured
from imgcheck.types import Evidence

#: below this shorter side (px) the encoder sees an upscaled picture: the detector was not validated
#: there (its corpus holds nothing under 224 px after the upload chains), so it abstains
MIN_SIDE = 224
#: what each feature block is called in a reason
PART_NAMES = {"clip_embed": "the image-content embedding (CLIP)", "clip_patch": "the CLIP patch tokens",
              "residual": "the noise residuals (camera and up-sampling traces)"}


class AiPixelsCheck:
    name: ClassVar[str] = "ai_pixels"
    flags: ClassVar[tuple[str, ...]] = ("ai_generated",)

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence:
        registry = ctx.engine.models
        model_id = ctx.settings.ai_pixels_model
        if not registry.has(model_id):
            return Evidence(self.name, "error", f"The pixel detector model {model_id!r} is not installed.")
        # the detector reads a copy whose longer side is at most WORK_SIDE: a very long, thin image
        # leaves too few pixels across, whatever its size
        short, long_ = sorted((img.width, img.height))
        work_short = short * min(1.0, pixels.WORK_SIDE / long_)
        if work_short < MIN_SIDE:
            return Evidence(self.name, "inconclusive",
                            f"The image is too small or too narrow ({img.width}x{img.height}) for the pixel "
                            f"detector: it was validated on images of at least {MIN_SIDE} px on the shorter side.",
                            details={"reason": "too_small", "min_side": MIN_SIDE})
        result = pixels.score_rgb(registry, img.rgb(pixels.WORK_SIDE), model_id)
        p, info = result.probability, result.head
        if not math.isfinite(p):
            return Evidence(self.name, "error", "The pixel detector gave no usable score for this image.",
                            model=model_id)
        flag_at = ctx.settings.ai_pixels_flag_at or info.flag_at
        details = {"probability": round(p, 4), "flag_at": flag_at, "clear_below": info.clear_below,
                   "encoder": info.encoder, "encoder_sha256": result.encoder_sha256,
                   "features": list(info.blocks), "parts": dict(result.parts), "spoke": result.spoke()}
        measure, strength = measured(self.name, round(p, 4), flag_at)
        common = {"score": round(p, 4), "threshold": flag_at, "model": model_id,
                  "model_sha256": result.head_sha256, "details": details, "strength": strength,
                  "measure": measure}
        spoke = result.spoke()
        by = f"; mostly {PART_NAMES.get(spoke, spoke)}" if spoke else ""
        if p >= flag_at:
            return Evidence(self.name, "flag",
                            f"The pixel detector gives {p:.0%} probability that this image is AI-generated "
                            f"(flags at {flag_at:.0%}{by}); a statistical signal, not proof.",
                            flags=self.flags, **common)
        if p < info.clear_below:
            return Evidence(self.name, "clear",
                            f"The pixel detector finds no sign of AI generation ({p:.0%}).", **common)
        return Evidence(self.name, "inconclusive",
                        f"The pixel detector is undecided ({p:.0%}; it flags only at {flag_at:.0%}).", **common)
