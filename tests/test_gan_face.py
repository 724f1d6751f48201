"""The face head of the pixel detector (imgcheck.ai_pixels.gan_face): crop geometry and the real model.

The 4 BaseMax StyleGAN faces of tests/fixtures/gan_faces are kept out of the face head's training and
calibration (tools/aipix_faces.py moves them to the ``fixture`` role), so flagging them is a test on
files the head never saw, though of a source it trained on (the held-out-source figures are in
models/MODELS.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgcheck.ai_pixels import gan_face

FIXTURES = Path(__file__).parent / "fixtures"
GAN_FACES = ["gan_faces/basemax_10.jpg", "gan_faces/basemax_100.jpg", "gan_faces/basemax_500.jpg",
             "gan_faces/basemax_700.jpg"]


def rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(FIXTURES / name).convert("RGB"))


def test_inner_crop_levels_the_eyes_and_centres_the_face():
    """A tilted synthetic face: the crop rotates the eyes level and puts them symmetric about the middle."""
    img = np.zeros((600, 600, 3), np.uint8)
    centre, ang = np.array([300.0, 300.0]), np.deg2rad(20)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    pts = {k: centre + rot @ v for k, v in {"r": np.array([-50.0, -30.0]), "l": np.array([50.0, -30.0]),
                                            "m": np.array([0.0, 60.0])}.items()}
    for k, colour in (("r", (255, 0, 0)), ("l", (0, 255, 0))):
        x, y = np.round(pts[k]).astype(int)
        img[y - 3:y + 4, x - 3:x + 4] = colour
    landmarks = [tuple(pts["r"]), tuple(pts["l"]), (0.0, 0.0), tuple(pts["m"])]
    crop = gan_face.inner_crop(img, landmarks)
    assert crop.pixels.shape == (gan_face.CROP_SIDE, gan_face.CROP_SIDE, 3) and crop.outside == 0.0
    assert crop.eye_px == pytest.approx(100.0)
    red = np.argwhere(crop.pixels[..., 0] > 128).mean(axis=0)
    green = np.argwhere(crop.pixels[..., 1] > 128).mean(axis=0)
    assert abs(red[0] - green[0]) < 2  # same row: level
    assert abs((red[1] + green[1]) / 2 - gan_face.CROP_SIDE / 2) < 2  # symmetric about the middle


def test_a_face_cut_by_the_frame_is_not_scored():
    img = rgb(GAN_FACES[0])
    h, w = img.shape[:2]
    landmarks = [(w * 0.0, h * 0.01), (w * 0.1, h * 0.01), (0, 0), (w * 0.05, h * 0.1)]  # top-left corner
    crop = gan_face.inner_crop(img, landmarks)
    assert crop.outside > gan_face.MAX_OUTSIDE and gan_face.usable(crop) == "face_cut"


def test_layout_rule_fuses_logits_and_applies_on_the_layout_only():
    rule = gan_face.LayoutRule(tolerance=0.03, image_weight=1.0, face_weight=1.0, bias=0.0, flag_at=0.9)
    assert rule.probability(0.5, 0.5) == pytest.approx(0.5)
    assert rule.probability(0.9, 0.9) == pytest.approx(1 / (1 + (1 / 9) ** 2))
    lo, hi = rule.probability(0.2, 0.6), rule.probability(0.3, 0.6)
    assert lo < hi  # monotone in each score
    on = gan_face.FaceScore(0.7, None, 0.99, 0.5, 80.0, (0, 0, 1, 1), "", layout_distance=0.01)
    off = gan_face.FaceScore(0.7, None, 0.99, 0.5, 80.0, (0, 0, 1, 1), "", layout_distance=0.05)
    unscored = gan_face.FaceScore(None, "face_cut", 0.99, 0.5, 80.0, None, "", layout_distance=0.01)
    assert rule.applies(on) and not rule.applies(off) and not rule.applies(unscored)
    assert gan_face.LayoutRule.from_spec({}) is None
    assert gan_face.LayoutRule.from_spec({"layout_rule": {"tolerance": 0.03}}) is None
