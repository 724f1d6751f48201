"""The hash-type (signal type) contract, run against every type in ``HASH_TYPES``, and a new type
added as one class: the bank stores it, its index serves it, ``known_image`` matches with it and
``imgcheck hash`` prints it, with no other file edited."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image

from imgcheck import Engine
from imgcheck.bank import image_index
from imgcheck.faces.embed import EMBEDDING_TYPES
from imgcheck.hashing import HASH_TYPES, Hash, HashType, picture_gate, views
from imgcheck.hashing.files import hash_file
from imgcheck.load import load_image
from imgcheck.settings import Settings
from imgcheck.strength import SCALES

TYPES = sorted(HASH_TYPES)


@pytest.fixture(scope="module")
def photos(fixtures):
    return [load_image(fixtures / n) for n in ("rocket.jpg", "grace_hopper.jpg", "coffee.png")]


@pytest.mark.parametrize("kind", TYPES)
def test_compute_gives_a_hash_of_the_declared_kind_and_width(kind, photos):
    t = HASH_TYPES[kind]
    for img in photos:
        h = t.compute(img.rgb(views.HASH_SIDE))
        assert (h.kind, h.nbits, len(h.bits)) == (kind, t.nbits, t.nbytes)
        assert Hash.from_hex(kind, str(h), h.quality) == h


@pytest.mark.parametrize("kind", TYPES)
def test_compare_is_a_distance_that_separates_different_photos(kind, photos):
    t = HASH_TYPES[kind]
    hs = [t.compute(img.rgb(views.HASH_SIDE)) for img in photos]
    for a in hs:
        assert t.compare(a, a) == 0
        for b in hs:
            assert t.compare(a, b) == t.compare(b, a)
    # three unrelated photos are further apart than the match radius
    assert min(t.compare(a, b) for i, a in enumerate(hs) for b in hs[i + 1:]) > t.threshold


@pytest.mark.parametrize("kind", TYPES)
def test_a_reencoded_copy_is_within_the_radius(kind, photos):
    t = HASH_TYPES[kind]
    img = photos[0]
    buf = io.BytesIO()
    Image.fromarray(img.rgb(800)).save(buf, "JPEG", quality=70)
    copy = load_image(buf.getvalue())
    assert t.compare(t.compute(img.rgb(views.HASH_SIDE)), t.compute(copy.rgb(views.HASH_SIDE))) <= t.threshold


@pytest.mark.parametrize("kind", TYPES)
def test_the_radius_is_the_settings_one_and_defaults_to_the_threshold(kind):
    t = HASH_TYPES[kind]
    assert t.radius(Settings()) == t.threshold
    if t.radius_setting is not None:
        assert t.radius(replace(Settings(), **{t.radius_setting: 3})) == 3


@pytest.mark.parametrize("kind", TYPES)
def test_scale_index_and_query_views_are_declared(kind, photos):
    t = HASH_TYPES[kind]
    assert t.scale.innocent == t.nbits / 2 and t.scale.extreme == 0 and t.scale.direction == "<="
    if f"known_image.{kind}" in SCALES:  # the table v1 reports are upgraded with says the same
        assert SCALES[f"known_image.{kind}"] == t.scale
    assert t.index in image_index.INDEX_CLASSES
    named = t.query_hashes(views.query_views(photos[0]))
    assert named[0][0] == "full" and all(h.kind == kind for _, h in named)
    assert named[0][1] == t.compute(photos[0].rgb(views.HASH_SIDE))


def test_the_quality_gate_stops_a_flat_picture_for_every_type():
    flat = np.full((200, 200, 3), 128, np.uint8)
    hashes = {k: t.compute(flat) for k, t in HASH_TYPES.items()}
    why = picture_gate(HASH_TYPES, {k: h.quality for k, h in hashes.items()}, 200, 200)
    assert why is not None and "quality" in why
    assert picture_gate(HASH_TYPES, {}, 20, 400) == "20x400 px is too small"
    assert picture_gate(HASH_TYPES, {"pdq": 100}, 400, 400) is None


class AverageHash(HashType):
    """aHash (mean of an 8x8 grey thumbnail, 64 bits): a real, public algorithm, used here only to show
    that a new type is one class."""

    name: ClassVar[str] = "ahash"
    nbits: ClassVar[int] = 64
    threshold: ClassVar[int] = 6

    def compute(self, rgb: np.ndarray) -> Hash:
        grey = np.asarray(Image.fromarray(rgb).convert("L").resize((8, 8), Image.Resampling.BOX), np.float64)
        return Hash.from_bool_array(self.name, grey > grey.mean())


def test_a_new_hash_type_is_one_class(monkeypatch, tmp_path, fixtures):
    monkeypatch.setitem(HASH_TYPES, "ahash", AverageHash())
    # PDQ and pHash may match nothing (radius below any real distance, no keypoint stage): a match
    # must then come from the new type alone
    settings = Settings(pdq_radius=0, phash_radius=0, verify_candidates=0)
    engine = Engine(bank=tmp_path / "bank.sqlite", settings=settings)
    try:
        eid, _ = engine.add_to_bank(fixtures / "rocket.jpg", "Rocket", "other")
        stored = {h.kind for _, h in engine.bank.store.hashes_of(eid)}
        assert "ahash" in stored
        index = engine.bank.image_index()
        assert "ahash" in index.saved.hashes and len(index.saved.hashes["ahash"][0]) == 1
        src = load_image(fixtures / "rocket.jpg")
        buf = io.BytesIO()
        # brighter by 30%: PDQ and pHash move a few bits, aHash (bits against the mean) does not
        Image.fromarray(src.rgb(700)).point(lambda v: min(255, int(v * 1.3))).save(buf, "JPEG", quality=50)
        q = load_image(buf.getvalue())
        dist = {k: t.compare(t.compute(src.rgb(512)), t.compute(q.rgb(512))) for k, t in HASH_TYPES.items()}
        assert dist["pdq"] > 0 and dist["phash"] > 0 and dist["ahash"] <= 6, dist
        ev = engine.check(buf.getvalue(), checks=("known_image",)).evidence[0]
        assert ev.status == "flag" and ev.matches[0].method == "ahash"
        assert ev.measure.unit == "bits of 64" and ev.measure.flag_at == 6
        assert hash_file(fixtures / "rocket.jpg").to_dict()["ahash"] == str(HASH_TYPES["ahash"].compute(src.rgb(512)))
    finally:
        engine.bank.close()


@pytest.mark.parametrize("model", sorted(EMBEDDING_TYPES))
def test_every_embedding_type_declares_its_distance_radius_gate_and_index(model, fixtures):
    from imgcheck.bank import FACE_INDEX_CLASSES
    from imgcheck.models import ModelRegistry

    t = EMBEDDING_TYPES[model]
    s = Settings()
    assert (t.radius(s), t.margin(s), t.min_eye_distance(s)) == (s.face_match_distance, s.face_match_margin,
                                                                  s.face_min_eye_distance)
    assert t.radius(replace(s, **{t.radius_setting: 0.3})) == 0.3
    assert t.index in FACE_INDEX_CLASSES
    embedder = t.embedder(ModelRegistry(s.models_dir).session(model))
    chips = np.stack([np.asarray(Image.open(fixtures / n).convert("RGB").resize((150, 150)))
                      for n in ("obama.jpg", "biden.jpg")])
    e = embedder.embed(chips)
    assert e.shape == (2, t.dim)
    d = t.compare(e, e)
    assert d.shape == (2, 2) and np.allclose(np.diag(d), 0, atol=1e-3) and np.isclose(d[0, 1], d[1, 0])
