"""Pure face functions: anchors, decoding, NMS, letterbox, tiles, alignment, matching rules, consistency."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgcheck.bank.face_index import FaissFaceIndex, LinearFaceIndex
from imgcheck.checks.known_face import AMBIGUOUS, NAMED, TOO_FAR, best_per_label, decide
from imgcheck.faces import FaceObservation, align, main_face
from imgcheck.faces import blazeface as bf
from imgcheck.checks.face_consistency import PhotoFaces, face_consistency
from imgcheck.faces.detector import drop_cut
from imgcheck.faces.embed import RGB_MEAN, distances, to_input
from imgcheck.types import Face


def test_anchors_grid():
    a = bf.anchors()
    assert a.shape == (48 * 48, 2)
    assert np.allclose(a[0], [0.5 / 48, 0.5 / 48]) and np.allclose(a[-1], [47.5 / 48, 47.5 / 48])
    assert np.allclose(a[1], [1.5 / 48, 0.5 / 48])  # x runs fastest


def test_decode_places_box_and_keypoints_on_anchor():
    anc = bf.anchors()
    raw_boxes = np.zeros((len(anc), 16), np.float32)
    raw_scores = np.full((len(anc), 1), -10.0, np.float32)
    i = 48 * 10 + 20
    raw_boxes[i, :4] = [0, 0, 38.4, 19.2]  # w = 0.2, h = 0.1 of the input side
    raw_boxes[i, 4:6] = [-9.6, 0]  # first keypoint 0.05 left of the anchor
    raw_scores[i] = 5.0
    det = bf.decode(raw_boxes, raw_scores, anc, 0.5)
    assert len(det) == 1
    cx, cy = anc[i]
    assert np.allclose(det.boxes[0], [cx - 0.1, cy - 0.05, cx + 0.1, cy + 0.05], atol=1e-6)
    assert np.allclose(det.keypoints[0, 0], [cx - 0.05, cy], atol=1e-6)
    assert det.scores[0] == pytest.approx(1 / (1 + np.exp(-5.0)))
    assert len(bf.decode(raw_boxes, raw_scores, anc, 0.999)) == 0


def _det(boxes, scores):
    boxes = np.array(boxes, np.float32)
    kps = np.repeat(boxes[:, None, :2], 6, axis=1)
    return bf.Detections(boxes, np.array(scores, np.float32), kps)


def test_weighted_nms_blends_overlaps_and_keeps_separate_faces():
    det = _det([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.9, 0.6, 0.7])
    out = bf.weighted_nms(det, 0.3)
    assert len(out) == 2
    assert out.scores.tolist() == pytest.approx([0.9, 0.7])
    assert out.boxes[0, 0] == pytest.approx(0.6 / 1.5)  # score-weighted mean of 0 and 1
    assert len(bf.weighted_nms(bf.Detections.empty())) == 0


def test_letterbox_round_trip():
    rgb = np.zeros((300, 600, 3), np.uint8)
    sq, scale, px, py = bf.letterbox(rgb)
    assert sq.shape == (192, 192, 3) and scale == pytest.approx(0.32) and px == 0 and py == 48
    det = _det([[0.25, 0.5, 0.75, 0.75]], [0.9])
    back = bf.unletterbox(det, scale, px, py, offset_x=10, offset_y=20)
    assert np.allclose(back.boxes[0], [150 + 10, 150 + 20, 450 + 10, 300 + 20])


@given(st.integers(10, 3000), st.integers(10, 3000), st.integers(64, 800))
@settings(max_examples=60, deadline=None)
def test_tiles_cover_the_image(w, h, tile):
    cover = np.zeros((h, w), bool)
    for x, y, tw, th in bf.tiles(w, h, tile):
        assert 0 <= x and 0 <= y and x + tw <= w and y + th <= h
        cover[y:y + th, x:x + tw] = True
    assert cover.all()


def test_drop_cut_removes_faces_cut_by_inner_tile_edges():
    det = _det([[100, 100, 150, 150], [395, 10, 420, 40], [5, 5, 40, 40]], [0.9, 0.9, 0.9])
    kept = drop_cut(det, (0, 0, 400, 400), width=1000, height=400)
    assert kept.boxes[:, 0].tolist() == [100, 5]  # the one crossing x=400 is gone; image edges are fine


@given(st.floats(-3.0, 3.0), st.floats(0.2, 5.0), st.floats(-200, 200), st.floats(-200, 200))
@settings(max_examples=50, deadline=None)
def test_similarity_transform_recovers_known_transform(angle, scale, tx, ty):
    src = np.array([[10, 20], [80, 25], [45, 60], [47, 90]], np.float64)
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    m = np.array([[c, -s, tx], [s, c, ty]])
    got = align.similarity_transform(src, align.apply(m, src))
    assert np.allclose(got, m, atol=1e-6)


def test_similarity_transform_rejects_degenerate_points():
    with pytest.raises(ValueError):
        align.similarity_transform(np.zeros((3, 2)), np.ones((3, 2)))


def test_chip_matrix_puts_template_points_on_the_template():
    m = align.chip_matrix(align.CHIP_TEMPLATE * 3 + 40, align.CHIP_TEMPLATE)
    # dlib's grid: one chip pixel per scale, chip pixel centre (side-1)/2 on template point side/2
    # (registered against dlib's own chips: tools/calibrate_alignment.py), so half a pixel up-left
    got = align.apply(m, align.CHIP_TEMPLATE * 3 + 40)
    want = align.CHIP_TEMPLATE - 0.5
    assert np.allclose(got, want, atol=1e-6)


def test_template_is_mirror_symmetric():
    t = align.CHIP_TEMPLATE
    assert np.allclose(align.symmetrise(t), t)
    assert t[0, 0] < t[1, 0] and t[0, 1] < t[2, 1] < t[3, 1]  # right eye left in the chip, eyes above nose


def test_extract_chip_large_face_uses_pyramid_and_keeps_geometry():
    rgb = np.zeros((2000, 2000, 3), np.uint8)
    rgb[900:1100, 900:1100] = 255  # a white square in the middle
    m = align.chip_matrix(np.array([[600, 600], [1400, 600], [1000, 1000], [1000, 1400]], np.float64),
                          np.array([[25, 25], [125, 25], [75, 75], [75, 125]], np.float64))
    chip = align.extract_chip(rgb, m)
    assert chip.shape == (150, 150, 3)
    assert chip[75, 75].min() > 200 and chip[5, 5].max() < 30
    assert (chip[:, :, 0] > 127).sum() == pytest.approx(25 * 25, rel=0.1)


def test_embedder_input_normalisation():
    chip = np.zeros((150, 150, 3), np.uint8)
    chip[..., 0] = 255
    x = to_input(chip)
    assert x.shape == (1, 3, 150, 150)
    assert x[0, 0, 0, 0] == pytest.approx((255 - RGB_MEAN[0]) / 256)
    assert x[0, 2, 0, 0] == pytest.approx(-RGB_MEAN[2] / 256)


def test_distances_match_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 128)), rng.normal(size=(5, 128))
    want = np.linalg.norm(a[:, None] - b[None], axis=2)
    assert np.allclose(distances(a, b), want, atol=1e-4)


def test_face_index_flat_equals_linear_and_hnsw_recall():
    rng = np.random.default_rng(2)
    bank = rng.normal(size=(2000, 128)).astype(np.float32) / 11
    q = bank[:50] + rng.normal(scale=0.01, size=(50, 128)).astype(np.float32)
    d_lin, r_lin = LinearFaceIndex(bank).search(q, 5)
    d_flat, r_flat = FaissFaceIndex(bank).search(q, 5)
    assert (r_lin == r_flat).all() and np.allclose(d_lin, d_flat, atol=1e-4)
    _, r_hnsw = FaissFaceIndex(bank, hnsw=True).search(q, 1)
    assert (r_hnsw[:, 0] == np.arange(50)).mean() >= 0.98
    d0, r0 = FaissFaceIndex(np.zeros((0, 128), np.float32)).search(q, 5)
    assert d0.shape == (50, 0) and r0.shape == (50, 0)


class _Hit:
    def __init__(self, entry_id, distance):
        self.entry_id, self.distance, self.face_index = entry_id, distance, 0


class _Entry:
    def __init__(self, label):
        self.label = label


def test_naming_rule_needs_distance_and_margin():
    entries = {1: _Entry("A"), 2: _Entry("A"), 3: _Entry("B")}
    ranked = best_per_label([_Hit(1, 0.40), _Hit(2, 0.30), _Hit(3, 0.50)], entries.get)
    assert [(r[0], r[1]) for r in ranked] == [("A", 0.30), ("B", 0.50)]
    assert decide(ranked, 0.45, 0.08) == NAMED
    assert decide(ranked, 0.25, 0.08) == TOO_FAR
    close = best_per_label([_Hit(1, 0.30), _Hit(3, 0.35)], entries.get)
    assert decide(close, 0.45, 0.08) == AMBIGUOUS  # two people nearly as close: name neither
    assert decide([], 0.45, 0.08) == TOO_FAR


def test_many_photos_of_one_person_still_need_the_margin():
    """Every hit searched is person A (a bank with many photos of A): the farthest hit bounds where
    the next person can be, and a name needs the margin to that bound."""
    entries = {1: _Entry("A"), 2: _Entry("A")}
    only_a = best_per_label([_Hit(1, 0.40), _Hit(2, 0.43)], entries.get)
    assert decide(only_a, 0.45, 0.08, next_bound=0.43) == AMBIGUOUS
    assert decide(only_a, 0.45, 0.08, next_bound=0.50) == NAMED
    assert decide(only_a, 0.45, 0.08) == NAMED  # the whole bank was searched: nobody else


def _obs(index, emb, box=(0, 0, 100, 100), sharp=10.0):
    return FaceObservation(index, Face(box, 0.9), np.asarray(emb, np.float32), sharp, 40.0)


def test_main_face_prefers_large_then_sharp():
    a = _obs(0, np.zeros(128), (0, 0, 100, 100), sharp=5)
    b = _obs(1, np.zeros(128), (0, 0, 90, 90), sharp=50)
    c = _obs(2, np.zeros(128), (0, 0, 30, 30), sharp=500)
    assert main_face((a, b, c)).index == 1
    assert main_face(()) is None


def _person(k):
    e = np.zeros(128, np.float32)
    e[k] = 1.0
    return e


def test_consistency_flags_the_odd_photo_and_ignores_group_bystanders():
    same = [PhotoFaces("a.jpg", (_obs(0, _person(0)),)),
            PhotoFaces("b.jpg", (_obs(0, _person(0) + 0.1 * _person(5)),)),
            # group photo: the profile owner is the smaller face
            PhotoFaces("group.jpg", (_obs(0, _person(1), (0, 0, 200, 200)), _obs(1, _person(0), (0, 0, 80, 80))))]
    ev = face_consistency(same, 0.5, 0.6)
    assert ev.status == "clear", ev.reason
    odd = same + [PhotoFaces("x.jpg", (_obs(0, _person(2)),))]
    ev = face_consistency(odd, 0.5, 0.6)
    assert ev.status == "flag" and ev.flags == ("inconsistent_faces",)
    assert "x.jpg" in ev.reason and [p["photo"] for p in ev.details["photos"] if p["status"] == "disagrees"] == [
        "x.jpg"]
    assert face_consistency(same[:1] + [PhotoFaces("n.jpg", ())], 0.5, 0.6).status == "inconclusive"
