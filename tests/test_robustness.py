"""Stolen-photo lookup on real photos: every edit kind is found, unrelated photos match nothing.

The default run uses a six-photo bank and one or two originals per edit kind; ``-m slow`` runs the
whole matrix of tests/robustness.py on both splits (what ``python -m benchmarks.robustness``
publishes) and asserts the issue's bar: recall >= 95% with no false match.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import robustness as R

from imgcheck import Engine
from imgcheck import local_features as local
from imgcheck.hashing import views
from imgcheck.load import load_image

BANK = ("astronaut", "obama", "lomiri_bridge", "opencv_fruits", "group_photo_3", "mate_dune")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory):
    eng = Engine(bank=tmp_path_factory.mktemp("robust") / "bank.sqlite")
    for name in BANK:
        eng.add_to_bank(R.FIXTURES / f"{name}.jpg", label=name)
    yield eng
    eng.bank.close()


def top_label(engine: Engine, data: bytes) -> str | None:
    report = engine.check(data, checks=["known_image"])
    assert report.verdict != "error", report.error
    return report.matches[0].label if report.matches else None


@pytest.mark.parametrize("spec", R.EDITS, ids=[e.name for e in R.EDITS])
def test_each_edit_kind_finds_the_original(small_bank, spec):
    # three originals per edit, rotating through the bank so every photo meets most edits; the
    # matcher's recall is 95-100%, not 100%, so one miss in three is allowed here (the slow test holds
    # the whole matrix to the 95% bar), a wrong label never is
    i = R.EDITS.index(spec)
    names = [BANK[(i + k * 2) % len(BANK)] for k in range(3)]
    got = {n: top_label(small_bank, next(R.positive_queries((n,), "heldout", (spec,))).data) for n in names}
    assert all(label in (None, n) for n, label in got.items()), f"{spec.name}: wrong original {got}"
    assert sum(label == n for n, label in got.items()) >= 2, f"{spec.name} copies not found: {got}"


def test_real_crop_of_obama_is_found(small_bank):
    data = (R.FIXTURES / "obama_partial_face.jpg").read_bytes()
    assert top_label(small_bank, data) == "obama"


@pytest.mark.parametrize("name", R.NEGATIVES)
def test_unrelated_photos_match_nothing(small_bank, name):
    # includes other photos of Obama (obama2, obama3) and other group photos
    q = next(R.negative_queries((name,), "dev", R.NEGATIVE_EDITS[:1]))
    assert top_label(small_bank, q.data) is None


@pytest.mark.parametrize("edit", R.NEGATIVE_EDITS[1:], ids=[e.name for e in R.NEGATIVE_EDITS[1:]])
def test_frames_and_bars_alone_make_no_match(small_bank, edit):
    for name in ("obama2", "obama3", "group_photo_4"):
        q = next(R.negative_queries((name,), "heldout", (edit,)))
        assert top_label(small_bank, q.data) is None, f"{edit.name} of {name} matched"


def test_stolen_astronaut_example_is_found(small_bank):
    report = small_bank.check(REPO / "examples" / "photos" / "stolen_astronaut.jpg", checks=["known_image"])
    assert report.matches and report.matches[0].label == "astronaut"
    assert report.matches[0].method in ("pdq", "phash", "pdq+orb")
    assert "known_image" in report.flags


def test_verified_match_reports_method_and_aligned_distance(small_bank):
    spec = next(e for e in R.EDITS if e.name == "corner_crop")
    q = next(R.positive_queries(("lomiri_bridge",), "dev", (spec,)))
    report = small_bank.check(q.data, checks=["known_image"])
    top = report.matches[0]
    assert top.method == "pdq+orb" and 0 <= top.distance <= local.VerifyParams().max_aligned_distance
    assert "after alignment" in report.reasons[0]


def test_features_round_trip_and_mirror_is_not_a_rigid_transform(fixtures):
    img = load_image(fixtures / "astronaut.png")
    f = local.compute(local.grey(img.rgb(512)))
    g = local.Features.from_bytes(f.to_bytes())
    assert np.array_equal(f.points, g.points) and np.array_equal(f.descriptors, g.descriptors)
    assert g.size == f.size and len(f) > 200
    qf = views.query_features(load_image(R.encode_jpeg(np.ascontiguousarray(img.rgb(512)[:, ::-1]))))
    bank_grey = local.grey(img.rgb(256), 256)
    v = local.verify(qf.features, qf.mirrored, f, qf.grey, bank_grey)
    assert v.accepted and v.mirrored  # found only through the mirrored keypoints


def test_unrelated_keypoints_are_rejected(fixtures):
    a = load_image(fixtures / "astronaut.png")
    b = views.query_features(load_image(fixtures / "coffee.png"))
    v = local.verify(b.features, b.mirrored, local.compute(local.grey(a.rgb(512))), b.grey,
                     local.grey(a.rgb(256), 256))
    assert not v.accepted


@pytest.mark.slow
@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_full_matrix_recall_and_no_false_match(tmp_path, split):
    originals = R.DEV_ORIGINALS if split == "dev" else R.HELDOUT_ORIGINALS
    eng = Engine(bank=tmp_path / "bank.sqlite")
    for name in originals:
        eng.add_to_bank(R.FIXTURES / f"{name}.jpg", label=name)
    found = total = 0
    for q in R.positive_queries(originals, split):
        total += 1
        found += int(top_label(eng, q.data) == q.original)
    false = [f"{q.edit}:{q.source}" for q in R.negative_queries(split=split) if top_label(eng, q.data)]
    eng.bank.close()
    assert found / total >= 0.95
    assert false == []
