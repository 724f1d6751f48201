"""GAN-face geometry: StyleGAN-family faces sit where the FFHQ alignment put the training faces.

FFHQ (the training set of StyleGAN 1-3 and of most "this person does not exist" faces) was cropped by
one fixed procedure: rotate so the eyes are level, scale by the eye and eye-to-mouth distances, centre
slightly below the eyes, and cut a square. Generated faces inherit that layout: in a 1024 px frame the
eye centres fall near (384, 486) and (640, 486): 25% of the width apart, midpoint at x = 0.5,
y ~ 0.475. A real photo has no reason to put the eyes there, so a square, full-frame portrait whose
eyes land within a small tolerance of that layout is a (weak, statistical) sign of a GAN face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the FFHQ eye layout as fractions of the square side: (x, y) of the eye on the image's left/right
LEFT_EYE = (384 / 1024, 486 / 1024)
RIGHT_EYE = (640 / 1024, 486 / 1024)
#: how far from square a photo may be (|w/h - 1|) and still count as a full-frame GAN output
SQUARE_TOLERANCE = 0.01


@dataclass(frozen=True)
class EyeLayout:
    """Where a face's eyes are, as fractions of the image side, and how far from the FFHQ layout."""

    left: tuple[float, float]
    right: tuple[float, float]
    #: largest distance of either eye centre from its FFHQ position, in fractions of the image side
    distance: float

    def to_dict(self) -> dict:
        return {"left_eye": [round(v, 4) for v in self.left], "right_eye": [round(v, 4) for v in self.right],
                "distance": round(self.distance, 4),
                "ffhq_left_eye": [round(v, 4) for v in LEFT_EYE], "ffhq_right_eye": [round(v, 4) for v in RIGHT_EYE]}


def is_square(width: int, height: int, tolerance: float = SQUARE_TOLERANCE) -> bool:
    return width > 0 and height > 0 and abs(width / height - 1.0) <= tolerance


def eye_layout(eye_a: tuple[float, float], eye_b: tuple[float, float], width: int, height: int) -> EyeLayout:
    """Compare two eye centres (pixels, any order) with the FFHQ layout of a ``width`` x ``height`` frame."""
    pts = sorted([(eye_a[0] / width, eye_a[1] / height), (eye_b[0] / width, eye_b[1] / height)])
    left, right = pts[0], pts[1]
    dist = max(math.dist(left, LEFT_EYE), math.dist(right, RIGHT_EYE))
    return EyeLayout(left=left, right=right, distance=dist)


def ffhq_quad(eye_left: tuple[float, float], eye_right: tuple[float, float], mouth: tuple[float, float]
              ) -> tuple[tuple[float, float], float, tuple[float, float]]:
    """The FFHQ crop of a face: (centre, half side, unit x axis), from its eye and mouth centres.

    This is the published FFHQ alignment rule (eye_to_eye, eye_to_mouth, c = eye_avg + 0.1 *
    eye_to_mouth, half side = max(2 * |eye_to_eye|, 1.8 * |eye_to_mouth|)), used to make synthetic
    FFHQ-layout crops of real faces for calibration.
    """
    ex, ey = (eye_left[0] + eye_right[0]) / 2, (eye_left[1] + eye_right[1]) / 2
    e2e = (eye_right[0] - eye_left[0], eye_right[1] - eye_left[1])
    e2m = (mouth[0] - ex, mouth[1] - ey)
    # x axis: eye_to_eye minus eye_to_mouth rotated by 90 degrees
    vx, vy = e2e[0] + e2m[1], e2e[1] - e2m[0]
    norm = math.hypot(vx, vy) or 1.0
    half = max(math.hypot(*e2e) * 2.0, math.hypot(*e2m) * 1.8)
    centre = (ex + 0.1 * e2m[0], ey + 0.1 * e2m[1])
    return centre, half, (vx / norm, vy / norm)


#: widest centred crop of a square GAN portrait the layout test still reads (aspect w/h from 3:4 to 4:3;
#: the dating-app crop is 4:5)
MAX_CROP = 0.25


def centred_crop_layout(eye_a: tuple[float, float], eye_b: tuple[float, float], width: int,
                        height: int) -> EyeLayout | None:
    """The FFHQ layout test for a photo that may be a *centred* crop of a square GAN portrait.

    The square is taken as the smallest one centred on the photo that contains it (side
    ``max(width, height)``): a square photo is compared as is, a centred 4:5 crop of a square portrait
    gets its cut-off margins back. None when the photo is further from square than ``MAX_CROP``
    (``|1 - min/max side| > MAX_CROP``): no plausible crop of a square portrait. An off-centre or
    tighter crop moves the eyes and is not recognised (a limit, measured in models/MODELS.md).
    """
    if width <= 0 or height <= 0 or 1.0 - min(width, height) / max(width, height) > MAX_CROP + 1e-9:
        return None
    side = float(max(width, height))
    ox, oy = (side - width) / 2, (side - height) / 2
    a = (eye_a[0] + ox, eye_a[1] + oy)
    b = (eye_b[0] + ox, eye_b[1] + oy)
    return eye_layout(a, b, int(round(side)), int(round(side)))
