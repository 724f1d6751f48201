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
MAX_OUTSIDE = 0.55
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


#: the face head of models/manifest.json
HEAD_ID = "gan_face_head"


@dataclass(frozen=True)
class FaceScore:
    """The main face of an image: where it sits against the FFHQ layout and, when on it, the face head's
    probability, or why the face head did not score it."""

    probability: float | None
    #: None when scored; else "no_face", "off_layout", "face_too_small" or "face_cut"
    reason: str | None
    eye_px: float = 0.0
    box: tuple[int, int, int, int] | None = None
    head_sha256: str = ""
    #: distance of the face's eyes from the FFHQ layout (``gan_geometry.centred_crop_layout``: the photo
    #: read as a centred crop of a square portrait), share of the square's side; None when not readable
    layout_distance: float | None = None

    def to_dict(self) -> dict:
        out: dict = {"probability": None if self.probability is None else round(self.probability, 4),
                     "eye_px": round(self.eye_px, 1), "model": HEAD_ID, "model_sha256": self.head_sha256}
        if self.box is not None:
            out["box"] = list(self.box)
        if self.layout_distance is not None:
            out["ffhq_layout_distance"] = round(self.layout_distance, 4)
        if self.reason:
            out["reason"] = self.reason
        return out


def score_main_face(registry, rgb: np.ndarray, faces, width: int, height: int, tolerance: float,
                    model_id: str = HEAD_ID) -> FaceScore:
    """The largest face of ``faces`` (``imgcheck.types.Face``, in ``width`` x ``height`` image pixels),
    scored by the face head on ``rgb`` (a decoded copy of that image at any scale) when it sits within
    ``tolerance`` of the FFHQ layout: the head was trained and validated on such faces only."""
    from imgcheck.errors import ModelError

    spec = registry.spec(model_id)
    encoder = spec.extra.get("encoder")
    if not isinstance(encoder, str):
        raise ModelError(f"manifest entry {model_id!r} names no encoder")
    with_points = [f for f in faces if len(f.landmarks) > _MOUTH]
    if not with_points:
        return FaceScore(None, "no_face", head_sha256=spec.sha256)
    face = max(with_points, key=lambda f: f.box[2] * f.box[3])
    # the eye distance that counts is the one of the full-size image (a validated face size)
    eye_full = eye_distance(face.landmarks)
    layout = geo.centred_crop_layout(face.landmarks[_RIGHT_EYE], face.landmarks[_LEFT_EYE], width, height)
    dist = None if layout is None else layout.distance
    if dist is None or dist > tolerance:
        return FaceScore(None, "off_layout", eye_full, face.box, spec.sha256, dist)
    sx, sy = rgb.shape[1] / width, rgb.shape[0] / height
    crop = inner_crop(rgb, [(x * sx, y * sy) for x, y in face.landmarks])
    why = "face_too_small" if min(eye_full, crop.eye_px) < MIN_EYE_PX else usable(crop)
    if why:
        return FaceScore(None, why, eye_full, face.box, spec.sha256, dist)
    vec = crop_features(registry.session(encoder), crop).astype(np.float32)[np.newaxis]
    head = registry.session(model_id)
    prob = float(head.run(None, {head.get_inputs()[0].name: vec})[0].reshape(-1)[0])
    return FaceScore(prob, None, eye_full, face.box, spec.sha256, dist)


@dataclass(frozen=True)
class LayoutRule:
    """Flag a face on the FFHQ layout whose image and face scores, fused, cross ``flag_at``.

    The FFHQ layout alone is no proof (real faces restored or aligned by the FFHQ rule share it), and
    each score alone has to stay above every real portrait; together, on faces already on the layout,
    they separate. ``probability = sigmoid(image_weight * logit(p_image) + face_weight * logit(p_face)
    + bias)``, fitted and thresholded on held-out calibration faces (tools/aipix_fusion.py).
    """

    tolerance: float
    image_weight: float
    face_weight: float
    bias: float
    flag_at: float

    @classmethod
    def from_spec(cls, extra: dict) -> LayoutRule | None:
        raw = extra.get("layout_rule")
        if not isinstance(raw, dict):
            return None
        try:
            return cls(**{k: float(raw[k]) for k in ("tolerance", "image_weight", "face_weight", "bias",
                                                      "flag_at")})
        except (KeyError, TypeError, ValueError):
            return None

    def probability(self, p_image: float, p_face: float) -> float:
        def logit(p: float) -> float:
            p = min(max(p, 1e-6), 1 - 1e-6)
            return float(np.log(p / (1 - p)))

        z = self.image_weight * logit(p_image) + self.face_weight * logit(p_face) + self.bias
        return float(1 / (1 + np.exp(-np.clip(z, -50, 50))))

    def applies(self, face: FaceScore) -> bool:
        return (face.probability is not None and face.layout_distance is not None
                and face.layout_distance <= self.tolerance)
