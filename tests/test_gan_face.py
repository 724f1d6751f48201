"""The face head of the pixel detector (imgcheck.ai_pixels.gan_face): crop geometry and the real model.

The 4 BaseMax StyleGAN faces of tests/fixtures/gan_faces are kept out of the face head's training and
calibration (tools/aipix_faces.py moves them to the ``fixture`` role), so flagging them is a test on
files the head never saw, though of a source it trained on (the held-out-source figures are in
models/MODELS.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgcheck.ai_pixels import chain, gan_face

FIXTURES = Path(__file__).parent / "fixtures"
MODELS = Path(__file__).resolve().parent.parent / "models"
GAN_FACES = ["gan_faces/basemax_10.jpg", "gan_faces/basemax_100.jpg", "gan_faces/basemax_500.jpg",
             "gan_faces/basemax_700.jpg"]
#: real photos of people from four packages (scikit-image, face_recognition, @vladmandic/face-api,
#: Pillow/imageio test images): none trained or calibrated the face head or the layout rule
REAL_PEOPLE = ["astronaut.png", "obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "grace_hopper.jpg",
               "group_photo_1.jpg", "group_photo_2.jpg", "group_photo_3.jpg", "group_photo_4.jpg",
               "group_photo_5.jpg", "group_photo_6.jpg"]


def rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(FIXTURES / name).convert("RGB"))


@pytest.fixture(scope="module")
def engine():
    from imgcheck import Engine

    eng = Engine()
    if not eng.models.has(gan_face.HEAD_ID):
        pytest.fail("models/gan_face_head.onnx is missing: python tools/aipix_facefit.py fit --write")
    return eng


def ffhq_real(name: str, side: int = 512) -> np.ndarray:
    """A real face of ``name`` cut by the FFHQ rule: a real photo on the exact layout of a GAN face."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    from calibrate_gan_geometry import ffhq_crop

    from imgcheck.faces import FacePipeline
    from imgcheck.load import load_image
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

    img = load_image(FIXTURES / name)
    faces = FacePipeline(ModelRegistry(MODELS), Settings()).detect(img)
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    a, b = face.landmarks[0], face.landmarks[1]
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    return ffhq_crop(np.asarray(img.rgb()), left, right, face.landmarks[3], side)


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
    on = gan_face.FaceScore(0.7, None, 80.0, (0, 0, 1, 1), "", layout_distance=0.01)
    off = gan_face.FaceScore(0.7, None, 80.0, (0, 0, 1, 1), "", layout_distance=0.05)
    unscored = gan_face.FaceScore(None, "face_cut", 80.0, None, "", layout_distance=0.01)
    assert rule.applies(on) and not rule.applies(off) and not rule.applies(unscored)
    assert gan_face.LayoutRule.from_spec({}) is None
    assert gan_face.LayoutRule.from_spec({"layout_rule": {"tolerance": 0.03}}) is None


@pytest.mark.parametrize("name", GAN_FACES)
@pytest.mark.parametrize("view", ["given", "upload"])
def test_gan_faces_are_flagged_by_the_layout_rule(engine, tmp_path, name, view):
    p = tmp_path / "face.png"
    Image.fromarray(chain.named_view(rgb(name), view)).save(p)
    report = engine.check(p, checks=["ai_pixels"])
    ev = report.evidence[0]
    assert ev.status == "flag" and "ai_generated" in report.flags, (ev.reason, ev.details)
    if ev.model == gan_face.HEAD_ID:  # the whole-image head may flag first; then it says so itself
        rule = ev.details["ffhq_layout_rule"]
        assert ev.details["spoke"] == "ffhq_layout+pixels" and "FFHQ" in ev.reason and "not proof" in ev.reason
        assert ev.score == pytest.approx(rule["probability"], abs=1e-4) and ev.threshold == rule["flag_at"]
        assert ev.details["face"]["ffhq_layout_distance"] <= rule["tolerance"]


@pytest.mark.parametrize("name", REAL_PEOPLE)
def test_real_people_are_not_flagged(engine, name):
    ev = engine.check(FIXTURES / name, checks=["ai_pixels"]).evidence[0]
    assert ev.status != "flag", (ev.reason, ev.details.get("face"))
    assert "face" in ev.details, "the face part did not run"


def test_real_faces_cut_by_the_ffhq_rule_are_not_flagged(engine, tmp_path):
    """The hard case: real faces on the exact GAN layout (as a face restorer or an aligner leaves them)."""
    ran = 0
    for name in ("obama.jpg", "biden.jpg", "grace_hopper.jpg", "astronaut.png"):
        for view in ("given", "upload"):
            p = tmp_path / f"{view}.png"
            Image.fromarray(chain.named_view(ffhq_real(name), view)).save(p)
            ev = engine.check(p, checks=["ai_pixels"]).evidence[0]
            assert ev.status != "flag", (name, view, ev.reason, ev.details)
            rule = ev.details.get("ffhq_layout_rule")
            if rule is not None:
                ran += 1
                assert rule["probability"] < rule["flag_at"]
    assert ran >= 4  # most of them were on the layout, so the rule did run


def test_small_faces_abstain(engine, tmp_path):
    """A GAN face shrunk until its eyes are under MIN_EYE_PX apart: the face part does not score it."""
    p = tmp_path / "small.png"
    Image.fromarray(rgb(GAN_FACES[0])).resize((96, 96), Image.Resampling.LANCZOS).save(p)
    report = engine.check(p, checks=["ai_pixels"])
    ev = report.evidence[0]
    assert ev.status == "inconclusive" and "ai_generated" not in report.flags
    assert ev.details["face"]["probability"] is None
    assert ev.details["face"]["reason"] in ("face_too_small", "no_face")


def test_no_face_means_the_face_part_did_not_run(engine):
    ev = engine.check(FIXTURES / "coffee.png", checks=["ai_pixels"]).evidence[0]
    assert ev.details["face"]["probability"] is None and ev.details["face"]["reason"] == "no_face"
    assert "ffhq_layout_rule" not in ev.details


def test_layout_rule_calibration_is_monotone():
    """The face head's Platt map and the rule's weights rise with the scores; on the held-out test part
    the observed share of GAN faces among faces on the layout rises from the lowest bin to the highest."""
    entry = json.loads((MODELS / "manifest.json").read_text())["models"][gan_face.HEAD_ID]
    assert entry["calibration_fit"]["a"] > 0
    rule = entry["layout_rule"]
    assert rule["image_weight"] > 0 and rule["face_weight"] > 0 and 0.5 <= rule["flag_at"] < 1
    table = entry["evaluation"]["layout_rule"]["calibration_on_layout_upload"]
    shares = [r["observed_ai_share"] for r in table]
    assert len(shares) >= 3 and shares[-1] > shares[0]
    assert all(table[i + 1]["band_95"] >= table[i]["observed_ai_share"] for i in range(len(table) - 1))


def test_face_head_onnx_is_the_fitted_affine_map():
    """The shipped ONNX graph is the affine map + sigmoid the fit wrote: its output equals numpy's."""
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    entry = json.loads((MODELS / "manifest.json").read_text())["models"][gan_face.HEAD_ID]
    sess = ort.InferenceSession(str(MODELS / entry["file"]), providers=["CPUExecutionProvider"])
    init = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(MODELS / entry["file"])).graph.initializer}
    x = np.random.default_rng(0).normal(size=(5, entry["input_size"][0])).astype(np.float32) * 0.05
    want = 1 / (1 + np.exp(-(x.astype(np.float64) @ init["W"].astype(np.float64) + init["B"])))
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    assert np.allclose(got, want, atol=1e-5)
