"""GAN-face geometry: the FFHQ eye layout, the FFHQ crop rule, and the check's decisions."""

from __future__ import annotations

import math

import pytest

from imgcheck.faces import gan_geometry as geo
from imgcheck.types import Face


def test_ffhq_template_is_the_issue_layout():
    assert geo.LEFT_EYE == pytest.approx((0.375, 0.4746), abs=1e-3)
    assert geo.RIGHT_EYE == pytest.approx((0.625, 0.4746), abs=1e-3)
    assert geo.RIGHT_EYE[0] - geo.LEFT_EYE[0] == pytest.approx(0.25)


@pytest.mark.parametrize("side", [256, 512, 1024])
def test_eye_layout_is_scale_free_and_order_free(side):
    s = side / 1024
    on = geo.eye_layout((640 * s, 486 * s), (384 * s, 486 * s), side, side)
    assert on.distance == pytest.approx(0.0, abs=1e-9)
    off = geo.eye_layout((384 * s + 0.05 * side, 486 * s), (640 * s + 0.05 * side, 486 * s), side, side)
    assert off.distance == pytest.approx(0.05, abs=1e-9)


def test_ffhq_quad_puts_typical_eyes_on_the_template():
    # an upright face whose eye distance equals its eye-to-mouth distance (the FFHQ-typical case)
    left, right, mouth = (400.0, 300.0), (500.0, 300.0), (450.0, 400.0)
    centre, half, axis = geo.ffhq_quad(left, right, mouth)
    assert axis == pytest.approx((1.0, 0.0))
    side = 2 * half
    for eye, want in ((left, geo.LEFT_EYE), (right, geo.RIGHT_EYE)):
        x = (eye[0] - (centre[0] - half)) / side
        y = (eye[1] - (centre[1] - half)) / side
        assert math.dist((x, y), want) < 1e-3  # the rule gives y = 0.475; the issue rounds to 486/1024


def test_is_square():
    assert geo.is_square(1024, 1024) and geo.is_square(1000, 1005)
    assert not geo.is_square(400, 500) and not geo.is_square(0, 0)


class _Ctx:
    """A minimal check context: settings, a model registry that has the face detector, and faces."""

    def __init__(self, faces, has_detector=True):
        from imgcheck.settings import Settings

        self.settings = Settings()
        self.memo = {"faces": tuple(faces)}
        registry = type("R", (), {"has": staticmethod(lambda mid: has_detector)})()
        self.engine = type("E", (), {"models": registry})()

    def cached(self, key, compute):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


class _Img:
    def __init__(self, w, h):
        self.width, self.height = w, h


def _face(left, right, box=(300, 300, 400, 400)):
    return Face(box=box, score=0.9, landmarks=(right, left, (512.0, 600.0), (512.0, 700.0), (250.0, 500.0),
                                               (780.0, 500.0)))


def test_check_flags_ffhq_layout_and_states_the_distance():
    from imgcheck.checks.gan_face_geometry import GanFaceGeometryCheck

    ev = GanFaceGeometryCheck().run(_Img(1024, 1024), _Ctx([_face((386.0, 488.0), (641.0, 485.0))]))
    assert ev.status == "flag" and ev.flags == ("gan_face_geometry",)
    assert ev.score < 0.01 and "%" in ev.reason and "not proof" in ev.reason
    assert ev.details["distance"] == ev.score


def test_check_clears_other_layouts_and_non_square_photos():
    from imgcheck.checks.gan_face_geometry import GanFaceGeometryCheck

    chk = GanFaceGeometryCheck()
    off = chk.run(_Img(1024, 1024), _Ctx([_face((300.0, 350.0), (520.0, 350.0))]))
    assert off.status == "clear" and off.score > 0.05
    wide = chk.run(_Img(1024, 768), _Ctx([_face((384.0, 486.0), (640.0, 486.0))]))
    assert wide.status == "clear"
    none = chk.run(_Img(1024, 1024), _Ctx([]))
    assert none.status == "inconclusive"


# -- with the real face pipeline ---------------------------------------------------------------------
def _ffhq_crop_of(path, side: int = 512):
    """An FFHQ-layout crop of the main face of a real photo (the layout a StyleGAN face would have)."""
    import cv2
    import numpy as np
    from PIL import Image

    from imgcheck import Engine

    eng = Engine()
    img = eng.load(path)
    faces = eng.faces.detect(img)
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    a, b = face.landmarks[0], face.landmarks[1]
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    centre, half, (ux, uy) = geo.ffhq_quad(left, right, face.landmarks[3])
    s = side / (2 * half)
    m = np.array([[ux * s, uy * s, 0.0], [-uy * s, ux * s, 0.0]])
    m[:, 2] = np.array([side / 2, side / 2]) - m[:, :2] @ np.array(centre)
    rgb = np.asarray(Image.open(path).convert("RGB"))
    return cv2.warpAffine(rgb, m, (side, side), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)


@pytest.fixture(scope="module")
def face_engine():
    from imgcheck import Engine

    eng = Engine()
    if not eng.models.has("blazeface_full"):
        pytest.fail("the face detector model is missing from models/")
    return eng


def test_real_square_portraits_are_not_flagged(face_engine, fixtures):
    """Cleared, not merely "no face": the square one (astronaut.png) has its face found and its eye layout
    measured off the FFHQ line; the others are ruled out as not square."""
    for name in ("astronaut.png", "grace_hopper.jpg", "obama.jpg"):
        report = face_engine.check(fixtures / name, checks=["gan_face_geometry"])
        ev = report.evidence[0]
        assert ev.status == "clear" and ev.strength == 0.0, (name, ev.reason)
        if name == "astronaut.png":
            assert len(report.faces) == 1 and ev.details["distance"] > 3 * ev.threshold, ev.details


def test_ffhq_layout_crop_of_a_real_face_is_flagged(face_engine, fixtures, tmp_path):
    from PIL import Image

    p = tmp_path / "ffhq_layout.jpg"
    Image.fromarray(_ffhq_crop_of(fixtures / "grace_hopper.jpg")).save(p, quality=90)
    report = face_engine.check(p, checks=["gan_face_geometry"])
    ev = report.evidence[0]
    assert ev.status == "flag", ev.reason
    assert ev.details["distance"] <= ev.threshold and f"{ev.details['distance']:.1%}" in ev.reason
    assert report.verdict == "suspicious"


def test_centred_crop_layout_reads_a_4_5_crop_of_a_square_portrait():
    """A centred 4:5 crop of an FFHQ-layout square keeps its eyes on the layout once the margins are put
    back; an off-centre crop and a photo far from square do not read as the layout."""
    side = 1000.0
    eyes = ((384 / 1024 * side, 486 / 1024 * side), (640 / 1024 * side, 486 / 1024 * side))
    w = 0.8 * side
    ox = (side - w) / 2
    crop = [(x - ox, y) for x, y in eyes]
    lay = geo.centred_crop_layout(crop[0], crop[1], int(w), int(side))
    assert lay is not None and lay.distance < 0.002
    shifted = [(x - 2 * ox, y) for x, y in eyes]  # cut on one side only
    assert geo.centred_crop_layout(shifted[0], shifted[1], int(w), int(side)).distance > 0.05
    assert geo.centred_crop_layout(crop[0], crop[1], int(0.5 * side), int(side)) is None
    # a square photo reads exactly as eye_layout does
    sq = geo.centred_crop_layout(eyes[0], eyes[1], int(side), int(side))
    assert sq.distance == pytest.approx(geo.eye_layout(eyes[0], eyes[1], int(side), int(side)).distance)
