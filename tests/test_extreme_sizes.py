"""Every check, the bank's entry builder and the app's preview on tiny and extremely long, thin images.

A 1x5000 PNG used to reach an OpenCV assertion inside ORB (known_image), which turned the check into
an ``error``; a 64x8192 strip gave the pixel detector NaN statistics. Property test over widths
1..64 and heights 1..8192 (both orientations), a fixed number of examples with a fixed seed.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from imgcheck.app import render

FIXTURES = Path(__file__).parent / "fixtures"

FIXTURES_FACE = "obama.jpg"


def png_bytes(w: int, h: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    # a smooth gradient plus noise: something for ORB and the hashes to chew on
    yy, xx = np.mgrid[0:h, 0:w]
    base = ((xx * 7 + yy * 3) % 256).astype(np.uint8)[..., None].repeat(3, axis=2)
    noise = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(base + noise).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def size_engine(tmp_path_factory):
    """An engine with every check and a bank holding one real photo (so lookups have candidates)."""
    from imgcheck import Engine

    eng = Engine(bank=tmp_path_factory.mktemp("sizes") / "bank.sqlite")
    eng.add_to_bank(FIXTURES / FIXTURES_FACE, "Barack Obama", "celebrity")
    yield eng
    eng.bank.close()


def assert_handled(engine, data: bytes, w: int, h: int) -> None:
    report = engine.check(data, name=f"{w}x{h}.png")
    assert report.verdict != "error", report.error
    assert report.image is not None and (report.image.width, report.image.height) == (w, h)
    failed = [(e.check, e.reason) for e in report.evidence if e.status == "error"]
    assert not failed, f"{w}x{h}: checks did not run: {failed}"
    assert report.verdict == "clear" or report.flags, report.to_dict()
    for ev in report.evidence:
        if ev.score is not None:
            assert np.isfinite(ev.score), (ev.check, ev.score)
    img = engine.load(data)
    entry = engine.entry_for(img, "strip")
    assert entry.width == w and entry.height == h and entry.hashes
    preview = render.preview_of(img.rgb(512), w, h)
    assert preview.jpeg[:2] == b"\xff\xd8"


sizes = st.tuples(st.integers(1, 64), st.integers(1, 8192), st.booleans())


@settings(max_examples=30, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sizes)
@example((1, 5000, False))
@example((1, 8192, True))
@example((64, 8192, False))
@example((64, 8192, True))
@example((2, 8192, False))
@example((1, 1, False))
@example((31, 1200, False))
def test_every_check_runs_on_tiny_and_thin_images(size_engine, size):
    short, long_, transpose = size
    w, h = (long_, short) if transpose else (short, long_)
    assert_handled(size_engine, png_bytes(w, h, seed=w * 8193 + h), w, h)


def test_orb_on_a_one_pixel_strip_is_empty_not_a_crash():
    from imgcheck import local_features as local

    for shape in ((5000, 1), (1, 5000), (8192, 30)):
        f = local.compute(np.zeros(shape, np.uint8))
        assert len(f.points) == 0 and f.descriptors.shape == (0, 32)
    # 31 px is wide enough for a keypoint: the guard does not hide real features
    rng = np.random.default_rng(0)
    assert len(local.compute(rng.integers(0, 255, (800, 31), dtype=np.uint8)).points) > 0
