"""Check ``ai_pixels``: a calibrated probability that the pixels were made by an image generator.

This is a statistical signal, never proof: it flags ``ai_generated`` only above a conservative
threshold chosen for a low false-positive rate on real photos (see models/MODELS.md), reports
``inconclusive`` in the band between "clearly real-looking" and that threshold, and ``clear`` below.
"""

from __future__ import annotations

import math
from typing import ClassVar

from imgcheck.checks import CheckContext
from imgcheck.ai_pixels import pixels
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck.strength import measured
from imgcheck.types import Evidence

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
            return Evidence(self.name, "error", **msg("ai_pixels.no_model", model=model_id))
        # the detector reads a copy whose longer side is at most WORK_SIDE: a very long, thin image
        # leaves too few pixels across, whatever its size
        short, long_ = sorted((img.width, img.height))
        work_short = short * min(1.0, pixels.WORK_SIDE / long_)
        min_side = ctx.settings.ai_pixels_min_side
        if work_short < min_side:
            return Evidence(self.name, "inconclusive",
                            **msg("ai_pixels.too_small", width=img.width, height=img.height, min_side=min_side),
                            details={"reason": "too_small", "min_side": min_side})
        result = pixels.score_rgb(registry, img.rgb(pixels.WORK_SIDE), model_id)
        p, info = result.probability, result.head
        if not math.isfinite(p):
            return Evidence(self.name, "error", **msg("ai_pixels.no_score"), model=model_id)
        override = ctx.settings.ai_pixels_flag_at  # None: the head's own line; 0.0 is an override too
        flag_at = info.flag_at if override is None else override
        details = {"probability": round(p, 4), "flag_at": flag_at, "clear_below": info.clear_below,
                   "encoder": info.encoder, "encoder_sha256": result.encoder_sha256,
                   "features": list(info.blocks), "parts": dict(result.parts), "spoke": result.spoke()}
        measure, strength = measured(self.name, round(p, 4), flag_at)
        common = {"score": round(p, 4), "threshold": flag_at, "model": model_id,
                  "model_sha256": result.head_sha256, "details": details, "strength": strength,
                  "measure": measure}
        spoke = result.spoke()
        if p >= flag_at:
            said = (msg("ai_pixels.flag_by", p=p, flag_at=flag_at, part=f"ai_pixels.part.{spoke}")
                    if spoke in PART_NAMES else msg("ai_pixels.flag", p=p, flag_at=flag_at))
            return Evidence(self.name, "flag", **said, flags=self.flags, **common)
        if p < info.clear_below:
            return Evidence(self.name, "clear", **msg("ai_pixels.clear", p=p), **common)
        return Evidence(self.name, "inconclusive", **msg("ai_pixels.undecided", p=p, flag_at=flag_at), **common)
