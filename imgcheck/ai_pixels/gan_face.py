"""Face-level evidence: the pixel detector's features read on the aligned inner face, not the whole photo.

StyleGAN-family faces carry their traces in the face itself (skin and hair texture, teeth, eyes,
up-sampling patterns); on the whole photo a generic detector mostly sees "a portrait". Here the main
face is cut by the FFHQ alignment rule (``imgcheck.faces.gan_geometry.ffhq_quad``: eyes level, scaled by the eye and
eye-to-mouth distances) and only the inner part is kept (``INNER`` of the FFHQ square: brows to chin).
Every face, real or generated, is cut the same way, so the FFHQ layout of a GAN output carries no
signal here: only what the pixels of the face look like. The inner crop also stays inside a 4:5 crop
of a square GAN portrait, so no padded border tells the two kinds apart.

The crop is read by the same CLIP encoder as the whole image; a separate head
(``models/gan_face_head.onnx``) scores it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from imgcheck.ai_pixels import features
from imgcheck.faces import gan_geometry as geo

#: side of the crop the encoder reads
CROP_SIDE = features.CLIP_SIDE
#: the inner crop's half side as a fraction of the FFHQ half side
INNER = 0.7
#: below this eye distance (px in the decoded image) the face is too small: the detector abstains
#: (the corpus's smallest validated faces are LFW's, about 40 px between the eyes)
MIN_EYE_PX = 32.0
#: at most this share of the crop may fall outside the photo (a face cut by the frame): else abstain
MAX_OUTSIDE = 0.08
#: BlazeFace keypoint indices (imgcheck.faces: right eye, left eye, nose, mouth)
_RIGHT_EYE, _LEFT_EYE, _MOUTH = 0, 1, 3


@dataclass(frozen=True)
class FaceCrop:
    pixels: np.ndarray  # (CROP_SIDE, CROP_SIDE, 3) uint8
    eye_px: float  # eye distance in the source image
    outside: float  # share of the crop that lay outside the image
    scale: float  # crop pixels per source pixel (> 1: the face was upscaled)


def eye_distance(landmarks) -> float:
    (ax, ay), (bx, by) = landmarks[_RIGHT_EYE], landmarks[_LEFT_EYE]
    return float(np.hypot(bx - ax, by - ay))


def inner_crop(rgb: np.ndarray, landmarks, side: int = CROP_SIDE, inner: float = INNER) -> FaceCrop:
    """The aligned inner face of ``rgb`` from BlazeFace keypoints (in ``rgb``'s pixels)."""
    a, b = tuple(landmarks[_RIGHT_EYE]), tuple(landmarks[_LEFT_EYE])
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    centre, half, (ux, uy) = geo.ffhq_quad(left, right, tuple(landmarks[_MOUTH]))
    half *= inner
    s = side / (2 * half)
    m = np.array([[ux * s, uy * s, 0.0], [-uy * s, ux * s, 0.0]])
    m[:, 2] = np.array([side / 2, side / 2]) - m[:, :2] @ np.array(centre)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    crop = cv2.warpAffine(rgb, m, (side, side), flags=interp, borderMode=cv2.BORDER_REFLECT)
    # share of the crop outside the image: map the crop grid back to the source
    inv = cv2.invertAffineTransform(m)
    g = np.linspace(0.5, side - 0.5, 16)
    gx, gy = np.meshgrid(g, g)
    pts = np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)], axis=1) @ inv.T
    h, w = rgb.shape[:2]
    out = float(((pts[:, 0] < 0) | (pts[:, 0] >= w) | (pts[:, 1] < 0) | (pts[:, 1] >= h)).mean())
    return FaceCrop(pixels=np.ascontiguousarray(crop), eye_px=eye_distance(landmarks), outside=out, scale=s)


def crop_features(encoder_session, crop: FaceCrop) -> np.ndarray:
    """The head's input for one crop: the 512-d CLIP image embedding of the aligned inner face."""
    emb, _ = features.clip_features(encoder_session, crop.pixels)
    return emb


def usable(crop: FaceCrop) -> str | None:
    """Why this crop is not scored (``face_too_small``, ``face_cut``), or None when it is."""
    if crop.eye_px < MIN_EYE_PX:
        return "face_too_small"
    if crop.outside > MAX_OUTSIDE:
        return "face_cut"
    return None
