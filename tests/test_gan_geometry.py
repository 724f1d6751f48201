"""GAN-face geometry: the FFHQ eye layout, the FFHQ crop rule, and the check's decisions."""

from __future__ import annotations

import math

import pytest

from imgcheck.detectors import gan_geometry as geo
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
    pytest.importorskip("imgcheck.faces")
    from imgcheck.checks.gan_face_geometry import GanFaceGeometryCheck

    ev = GanFaceGeometryCheck().run(_Img(1024, 1024), _Ctx([_face((386.0, 488.0), (641.0, 485.0))]))
    assert ev.status == "flag" and ev.flags == ("gan_face_geometry",)
    assert ev.score < 0.01 and "%" in ev.reason and "not proof" in ev.reason
    assert ev.details["distance"] == ev.score


def test_check_clears_other_layouts_and_non_square_photos():
    pytest.importorskip("imgcheck.faces")
    from imgcheck.checks.gan_face_geometry import GanFaceGeometryCheck

    chk = GanFaceGeometryCheck()
    off = chk.run(_Img(1024, 1024), _Ctx([_face((300.0, 350.0), (520.0, 350.0))]))
    assert off.status == "clear" and off.score > 0.05
    wide = chk.run(_Img(1024, 768), _Ctx([_face((384.0, 486.0), (640.0, 486.0))]))
    assert wide.status == "clear"
    none = chk.run(_Img(1024, 1024), _Ctx([]))
    assert none.status == "inconclusive"
