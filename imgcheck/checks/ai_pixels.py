"""Check ``ai_pixels``: a calibrated probability that the pixels were made by an image generator.

This is a statistical signal, never proof: it flags ``ai_generated`` only above a conservative
threshold chosen for a low false-positive rate on real photos (see models/MODELS.md), reports
``inconclusive`` in the band between "clearly real-looking" and that threshold, and ``clear`` below.

Two calibrated parts speak, each against its own line: the whole-image head (CLIP embedding and noise
residuals of the picture) and, where the face pipeline finds a large enough face, the face head
(``imgcheck.ai_pixels.gan_face``: the aligned inner face, where StyleGAN-family faces carry their
traces). Either part crossing its line flags, and the reason names the part; the result is ``clear``
only when every part that ran is below its clear line; a part that could not run (no face, face too
small, image too small) is named in the details, never read as "clear".
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
        face = self._face(img, ctx)
        # the detector reads a copy whose longer side is at most WORK_SIDE: a very long, thin image
        # leaves too few pixels across, whatever its size
        short, long_ = sorted((img.width, img.height))
        work_short = short * min(1.0, pixels.WORK_SIDE / long_)
        min_side = ctx.settings.ai_pixels_min_side
        if work_short < min_side:
            small = {"reason": "too_small", "min_side": min_side}
            if face is not None:
                small["face"] = face.to_dict()
            if face is not None and face.probability is not None and face.probability >= face.flag_at:
                return self._face_flag(face, small)
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
        if face is not None and face.probability is not None and face.probability >= face.flag_at:
            return self._face_flag(face, details)
        rule = gan_face.LayoutRule.from_spec(registry.spec(gan_face.HEAD_ID).extra) if face is not None else None
        if rule is not None and face is not None and rule.applies(face):
            pf = rule.probability(p, float(face.probability))
            details["ffhq_layout_rule"] = {"probability": round(pf, 4), "flag_at": rule.flag_at,
                                           "tolerance": rule.tolerance}
            if pf >= rule.flag_at:
                details["spoke"] = "ffhq_layout+pixels"
                measure, strength = measured(self.name, round(pf, 4), rule.flag_at)
                return Evidence(self.name, "flag", **msg("ai_pixels.flag_layout", p=pf, flag_at=rule.flag_at,
                                                         distance=face.layout_distance),
                                flags=self.flags, score=round(pf, 4), threshold=rule.flag_at,
                                model=gan_face.HEAD_ID, model_sha256=face.head_sha256, details=details,
                                strength=strength, measure=measure)
        face_clear = face is None or face.probability is None or face.probability < face.clear_below
        if p < info.clear_below and face_clear:
            return Evidence(self.name, "clear", **msg("ai_pixels.clear", p=p), **common)
        if p < info.clear_below:
            return Evidence(self.name, "inconclusive", **msg("ai_pixels.face_undecided", p=face.probability,
                                                            flag_at=face.flag_at), **common)
        return Evidence(self.name, "inconclusive", **msg("ai_pixels.undecided", p=p, flag_at=flag_at), **common)

    def _face(self, img: LoadedImage, ctx: CheckContext) -> gan_face.FaceScore | None:
        """The face head's score of the main face; None when the face head or the face pipeline is absent."""
        registry = ctx.engine.models
        try:
            from imgcheck import faces as face_pipeline
        except ImportError:
            return None
        if not (registry.has(gan_face.HEAD_ID) and registry.has(face_pipeline.DETECTOR_ID)):
            return None
        found = detected_faces(ctx, img)
        rgb = img.rgb(ctx.settings.face_embed_side)
        return gan_face.score_main_face(registry, rgb, found, img.width, img.height)

    def _face_flag(self, face: gan_face.FaceScore, details: dict) -> Evidence:
        p = float(face.probability or 0.0)
        details = {**details, "spoke": "face"}
        measure, strength = measured(self.name, round(p, 4), face.flag_at)
        return Evidence(self.name, "flag", **msg("ai_pixels.flag_face", p=p, flag_at=face.flag_at), flags=self.flags,
                        score=round(p, 4), threshold=face.flag_at, model=gan_face.HEAD_ID,
                        model_sha256=face.head_sha256, details=details, strength=strength, measure=measure)
