"""The container walkers load.py uses to refuse bombs before decoding, and the reduced-size paths."""

from __future__ import annotations

import io

import hostile_corpus as hc
import numpy as np
import pytest
from PIL import Image

from imgcheck.errors import InputError
from imgcheck.load import (
    Limits,
    gif_frame_count,
    jpeg_marker_counts,
    load_image,
    orientation_from_exif,
    png_chunk_count,
    tiff_page_count,
)


def test_gif_frame_count_matches_pillow(fixtures):
    data = (fixtures / "no_time_for_that_tiny.gif").read_bytes()
    assert gif_frame_count(data, 10_000) == Image.open(io.BytesIO(data)).n_frames == 24
    assert gif_frame_count(hc.gif_frames(8000, 8000, 1000), 501) == 501  # stops early
    assert gif_frame_count(hc.gif_frames(16, 16, 7)[:-1], 100) == 7  # no trailer: frames seen so far


def test_tiff_page_count_cuts_loops():
    pages = [hc.tiff_grey_tags(8, 8)] * 3
    assert tiff_page_count(hc.tiff_raw(pages, [bytes(64)]), 100) == 3
    assert tiff_page_count(hc.tiff_raw(pages, [bytes(64)], loop=True), 100) == 3
    assert tiff_page_count(b"II*\x00\xff\xff\xff\xff", 100) == 0


def test_png_and_jpeg_structure_counts():
    pic = hc.picture()
    png = hc.encode(pic, "PNG")
    assert png_chunk_count(png, 100) == 3  # IHDR IDAT IEND
    jpeg = hc.encode(pic, "JPEG")
    segments, scans = jpeg_marker_counts(jpeg, 10_000, 10_000)
    assert scans == 1 and 4 <= segments <= 12
    prog = hc.encode(pic, "JPEG", progressive=True)
    assert jpeg_marker_counts(prog, 10_000, 10_000)[1] == 10  # libjpeg's default progressive script
    assert jpeg_marker_counts(hc.jpeg_scan_bomb(pic, 1000, 4000), 10_000, 151)[1] == 151


def test_orientation_parser():
    exif = Image.Exif()
    exif[0x0112] = 6
    raw = exif.tobytes()
    assert raw.startswith(b"Exif\x00\x00")
    assert orientation_from_exif(raw) == 6 and orientation_from_exif(raw[6:]) == 6
    assert orientation_from_exif(b"II*\x00\xff\xff\xff\x00") == 1
    assert orientation_from_exif(b"garbage") == 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_orientation_applies_beyond_jpeg(fmt):
    pic = hc.picture()[:, :60]  # 60 wide, 96 high
    exif = Image.Exif()
    exif[0x0112] = 6
    img = load_image(hc.encode(pic, fmt, exif=exif.tobytes()))
    assert (img.width, img.height) == (96, 60)  # the size a viewer shows
    assert img.rgb().shape == (60, 96, 3)
    assert np.abs(img.rgb().astype(int) - np.rot90(pic, -1).astype(int)).mean() < 8


def test_big_png_is_decoded_in_full_once(monkeypatch):
    """Several reduced sizes of a 4000 px PNG come from one full decode (the BASE_SIDE copy)."""
    import imgcheck.load as load_mod

    big = np.asarray(Image.fromarray(hc.picture()).resize((4000, 3000)), np.uint8)
    img = load_image(hc.encode(big, "PNG", compress_level=1), verify_side=None)
    opened = []
    real_open = load_mod.Image.open
    monkeypatch.setattr(load_mod.Image, "open", lambda *a, **k: opened.append(1) or real_open(*a, **k))
    sizes = {side: img.rgb(side).shape for side in (512, 640, 1024, 320)}
    assert len(opened) == 1
    assert sizes[512] == (384, 512, 3) and sizes[320] == (240, 320, 3)
    # and the picture matches a direct resize of the original
    direct = np.asarray(Image.fromarray(big).resize((512, 384), Image.BOX), np.float32)
    assert np.abs(img.rgb(512).astype(np.float32) - direct).mean() < 6


def test_limits_are_configurable():
    jpeg = hc.encode(hc.picture(), "JPEG", progressive=True)
    with pytest.raises(InputError, match="scans"):
        load_image(jpeg, limits=Limits(max_scans=5))
    with pytest.raises(InputError, match="chunks"):
        load_image(hc.encode(hc.picture(), "PNG"), limits=Limits(max_chunks=2))
