"""Check ``gan_face_geometry``: a square portrait whose eyes sit exactly where StyleGAN/FFHQ puts them.

Needs the face pipeline (eye keypoints). A statistical signal: it flags ``gan_face_geometry``, which on
its own makes a report "suspicious", never "flagged". Tolerance calibration: docs/ai_detector.md.
"""

from __future__ import annotations

from typing import ClassVar

from imgcheck.checks import CheckContext, detected_faces
from imgcheck.faces import gan_geometry as geo
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck.strength import measured
from imgcheck.types import Evidence


class GanFaceGeometryCheck:
    name: ClassVar[str] = "gan_face_geometry"
    flags: ClassVar[tuple[str, ...]] = ("gan_face_geometry",)

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence:
        tol = float(ctx.settings.gan_eye_tolerance)
        if not geo.is_square(img.width, img.height):
            # GAN portraits of this layout are square: the check ran and the layout is ruled out
            return Evidence(self.name, "clear", **msg("gan_face_geometry.not_square", width=img.width,
                                                       height=img.height),
                            threshold=tol, strength=0.0)
        try:
            from imgcheck import faces as face_pipeline
        except ImportError:
            return Evidence(self.name, "error", **msg("gan_face_geometry.no_pipeline"), threshold=tol)
        if not ctx.engine.models.has(face_pipeline.DETECTOR_ID):
            return Evidence(self.name, "error", **msg("gan_face_geometry.no_detector"), threshold=tol)
        found = detected_faces(ctx, img)
        with_eyes = [f for f in found if face_pipeline.eye_centres(f) is not None]
        if not with_eyes:
            return Evidence(self.name, "inconclusive", **msg("gan_face_geometry.no_eyes"), threshold=tol)
        face = max(with_eyes, key=lambda f: f.box[2] * f.box[3])
        eye_a, eye_b = face_pipeline.eye_centres(face)
        layout = geo.eye_layout(eye_a, eye_b, img.width, img.height)
        details = {**layout.to_dict(), "tolerance": tol, "faces": len(found)}
        span = layout.right[0] - layout.left[0]
        measure, strength = measured(self.name, round(layout.distance, 4), tol)
        if layout.distance <= tol and span >= ctx.settings.gan_min_eye_span:
            return Evidence(self.name, "flag", **msg("gan_face_geometry.flag", distance=layout.distance, tol=tol),
                            score=round(layout.distance, 4), threshold=tol, flags=self.flags, details=details,
                            strength=strength, measure=measure)
        return Evidence(self.name, "clear", **msg("gan_face_geometry.clear", distance=layout.distance),
                        score=round(layout.distance, 4), threshold=tol, details=details, strength=strength,
                        measure=measure)
