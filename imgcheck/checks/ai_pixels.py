"""Check ``ai_pixels``: a calibrated probability that the pixels were made by an image generator.

This is a statistical signal, never proof: it flags ``ai_generated`` only above a conservative
threshold chosen for a low false-positive rate on real photos (see models/MODELS.md), reports
``inconclusive`` in the band between "clearly real-looking" and that threshold, and ``clear`` below.

Two parts speak, each against its own line, and the reason names the one that did: the whole-image
head (CLIP embedding and noise residuals of the picture), and the FFHQ-layout rule
(``imgcheck.ai_pixels.gan_face.LayoutRule``): where the main face sits on the StyleGAN/FFHQ layout
(the photo read as a centred crop of a square portrait), the face head scores the aligned inner face
and its probability is fused with the whole image's. The layout alone is no proof (real faces aligned
by the FFHQ rule share it); the rule's line was set above every real face on the layout of its
calibration sources. ``clear`` needs both parts below their clear lines; a part that could not run
(no face, face off the layout, too small, cut by the frame) is named in the details.
"""

from __future__ import annotations

import math
from typing import ClassVar

from imgcheck.ai_pixels import gan_face, pixels
from imgcheck.checks import CheckContext, detected_faces
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck.strength import measured
from imgcheck.types import Evidence

#: below this fused probability (the layout rule's) a face on the FFHQ layout does not stop "clear"
FUSED_CLEAR_BELOW = 0.5
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
        rule = self._rule(ctx)
        face = self._face(img, ctx, rule)
        # the detector reads a copy whose longer side is at most WORK_SIDE: a very long, thin image
        # leaves too few pixels across, whatever its size
        short, long_ = sorted((img.width, img.height))
        work_short = short * min(1.0, pixels.WORK_SIDE / long_)
        min_side = ctx.settings.ai_pixels_min_side
        if work_short < min_side:
            small = {"reason": "too_small", "min_side": min_side}
            if face is not None:
                small["face"] = face.to_dict()
            return Evidence(self.name, "inconclusive",
                            **msg("ai_pixels.too_small", width=img.width, height=img.height, min_side=min_side),
                            details=small)
        result = pixels.score_rgb(registry, img.rgb(pixels.WORK_SIDE), model_id)
        p, info = result.probability, result.head
        if not math.isfinite(p):
            return Evidence(self.name, "error", **msg("ai_pixels.no_score"), model=model_id)
        override = ctx.settings.ai_pixels_flag_at  # None: the head's own line; 0.0 is an override too
        flag_at = info.flag_at if override is None else override
        details = {"probability": round(p, 4), "flag_at": flag_at, "clear_below": info.clear_below,
                   "encoder": info.encoder, "encoder_sha256": result.encoder_sha256,
                   "features": list(info.blocks), "parts": dict(result.parts), "spoke": result.spoke()}
        if face is not None:
            details["face"] = face.to_dict()
        measure, strength = measured(self.name, round(p, 4), flag_at)
        common = {"score": round(p, 4), "threshold": flag_at, "model": model_id,
                  "model_sha256": result.head_sha256, "details": details, "strength": strength,
                  "measure": measure}
        spoke = result.spoke()
        if p >= flag_at:
            said = (msg("ai_pixels.flag_by", p=p, flag_at=flag_at, part=f"ai_pixels.part.{spoke}")
                    if spoke in PART_NAMES else msg("ai_pixels.flag", p=p, flag_at=flag_at))
            return Evidence(self.name, "flag", **said, flags=self.flags, **common)
        fused = None
        if rule is not None and face is not None and rule.applies(face):
            fused = rule.probability(p, float(face.probability))
            details["ffhq_layout_rule"] = {"probability": round(fused, 4), "flag_at": rule.flag_at,
                                           "tolerance": rule.tolerance, "image_probability": round(p, 4),
                                           "face_probability": round(float(face.probability), 4)}
            if fused >= rule.flag_at:
                details["spoke"] = "ffhq_layout+pixels"
                measure, strength = measured(self.name, round(fused, 4), rule.flag_at)
                return Evidence(self.name, "flag", **msg("ai_pixels.flag_layout", p=fused, flag_at=rule.flag_at,
                                                         distance=face.layout_distance),
                                flags=self.flags, score=round(fused, 4), threshold=rule.flag_at,
                                model=gan_face.HEAD_ID, model_sha256=face.head_sha256, details=details,
                                strength=strength, measure=measure)
        if p < info.clear_below and (fused is None or fused < FUSED_CLEAR_BELOW):
            return Evidence(self.name, "clear", **msg("ai_pixels.clear", p=p), **common)
        if p < info.clear_below:
            return Evidence(self.name, "inconclusive", **msg("ai_pixels.face_undecided", p=fused,
                                                            flag_at=rule.flag_at), **common)
        if fused is not None:
            return Evidence(self.name, "inconclusive", **msg("ai_pixels.undecided_layout", p=p, flag_at=flag_at,
                                                            fused=fused, fused_at=rule.flag_at), **common)
        return Evidence(self.name, "inconclusive", **msg("ai_pixels.undecided", p=p, flag_at=flag_at), **common)

    def _rule(self, ctx: CheckContext) -> gan_face.LayoutRule | None:
        """The FFHQ-layout rule of the installed face head; None without the face head or the face models."""
        registry = ctx.engine.models
        try:
            from imgcheck import faces as face_pipeline
        except ImportError:
            return None
        if not (registry.has(gan_face.HEAD_ID) and registry.has(face_pipeline.DETECTOR_ID)):
            return None
        return gan_face.LayoutRule.from_spec(registry.spec(gan_face.HEAD_ID).extra)

    def _face(self, img: LoadedImage, ctx: CheckContext, rule: gan_face.LayoutRule | None
              ) -> gan_face.FaceScore | None:
        """The main face: its FFHQ-layout distance and, on the layout, the face head's probability."""
        if rule is None:
            return None
        found = detected_faces(ctx, img)
        rgb = img.rgb(ctx.settings.face_embed_side)
        return gan_face.score_main_face(ctx.engine.models, rgb, found, img.width, img.height, rule.tolerance)
