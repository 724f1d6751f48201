"""The shared JPEG marker walker and TIFF/IFD reader (imgcheck/formats), on real photos.

Every caller of the two readers (the loader's segment/scan counts, page count, size and orientation;
the provenance reader's metadata blocks and EXIF fields) gives, on every photo of tests/fixtures and
../shared/data, what the former per-caller parsers gave: ``fixtures/parsed_bytes.json`` was written
by them (``tools/report_snapshot.py``'s ``parsed_bytes`` before formats/ existed). The rest checks the
readers against Pillow on the same photos and on hostile variants.
"""

from __future__ import annotations

import importlib.util
import io
import json
import struct
import sys
from pathlib import Path

import pytest
from PIL import Image

from imgcheck import load
from imgcheck.formats import jpeg
from imgcheck.formats.tiff import TiffReader
from imgcheck.provenance import containers, exif

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import hostile_corpus as hc  # noqa: E402

_spec = importlib.util.spec_from_file_location("report_snapshot", ROOT / "tools" / "report_snapshot.py")
snap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(snap)

EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "parsed_bytes.json").read_text())
PHOTOS = dict(snap.photos())


def test_every_photo_of_the_record_is_there() -> None:
    assert set(EXPECTED) - set(PHOTOS) == set(), "../shared/data must lie beside the repository (CI lays it there)"
    assert len(EXPECTED) >= 150


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_callers_read_what_they_read_before(key: str) -> None:
    got = json.loads(json.dumps(snap.parsed_bytes(PHOTOS[key].read_bytes()), default=str))
    assert got == EXPECTED[key]


def _jpegs() -> list[tuple[str, bytes]]:
    return [(k, p.read_bytes()) for k, p in PHOTOS.items() if EXPECTED[k]["format"] == "JPEG"]


def test_segments_tile_the_header_of_every_real_jpeg() -> None:
    """From SOI to the first SOS the segments follow one another with nothing between them."""
    for key, data in _jpegs():
        pos = 2
        for seg in jpeg.segments(data):
            assert seg.start == pos and seg.complete(data), key
            if seg.marker == jpeg.SOS:
                break
            pos = seg.end
        else:
            pytest.fail(f"{key}: no SOS")


def test_progressive_scans_are_counted(fixtures: Path) -> None:
    im = Image.open(fixtures / "obama.jpg")
    base = hc.encode(im, "JPEG", quality=85)
    prog = hc.encode(im, "JPEG", quality=85, progressive=True)
    assert load.jpeg_marker_counts(base, 10**6, 10**6)[1] == 1
    # libjpeg's default progression for a colour image has 10 scans
    assert load.jpeg_marker_counts(prog, 10**6, 10**6)[1] == 10
    assert load.jpeg_marker_counts(prog, 10**6, 3)[1] == 3  # counting stops where asked


def test_fill_bytes_and_garbage(fixtures: Path) -> None:
    data = (fixtures / "obama.jpg").read_bytes()
    base = load.jpeg_marker_counts(data, 10**6, 10**6)
    filled = data[:2] + b"\xff" * 100_000 + data[2:]
    assert load.jpeg_marker_counts(filled, 10**6, 10**6) == base
    garbage = data[:2] + b"\x00junk" + data[2:]
    assert load.jpeg_marker_counts(garbage, 10**6, 10**6) == base  # the counter resyncs
    walk = jpeg.segments(garbage)
    assert list(walk) == [] and walk.broken == 2  # a strict walk stops and says where
    assert "JPEG segment structure broken before the image data" in containers.extract(garbage, "JPEG").notes


def test_truncated_jpegs_never_raise(fixtures: Path) -> None:
    data = (fixtures / "provenance" / "camera.jpg").read_bytes()
    for cut in range(0, 4000, 7):
        part = data[:cut]
        load.jpeg_marker_counts(part, 10**6, 10**6)
        containers.extract(part, "JPEG")


def test_exif_block_is_pillows(fixtures: Path) -> None:
    """The EXIF block the walker finds is the one Pillow reads, and its fields are Pillow's."""
    seen = 0
    for key, data in _jpegs():
        im = Image.open(io.BytesIO(data))
        raw = im.info.get("exif")
        blocks = containers.extract(data, "JPEG")
        if not raw:
            assert not blocks.exif, key
            continue
        seen += 1
        assert blocks.exif[0] == raw[6:], key
        fields, _ = exif.read_fields(blocks.exif[0])
        tags = im.getexif()
        for tag, name in ((0x010F, "Make"), (0x0110, "Model"), (0x0131, "Software")):
            if tags.get(tag):
                assert fields[name] == str(tags[tag]).split("\x00")[0].strip(), (key, name)
    assert seen >= 20


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_of_a_real_photo(fixtures: Path, orientation: int) -> None:
    ex = Image.Exif()
    ex[0x0110] = "test camera"
    ex[0x0112] = orientation
    data = hc.encode(Image.open(fixtures / "biden.jpg"), "JPEG", quality=80, exif=ex.tobytes())
    blob = containers.extract(data, "JPEG").exif[0]
    assert load.orientation_from_exif(blob) == orientation
    assert load.orientation_from_exif(b"Exif\x00\x00" + blob) == orientation
    assert load.exif_orientation(Image.open(io.BytesIO(data))) == orientation
    # big-endian EXIF (as many cameras write it) reads the same
    be = b"MM\x00*" + struct.pack(">IH", 8, 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + bytes(4)
    assert load.orientation_from_exif(be) == orientation


def test_tiff_reader_on_tiffs_of_real_photos(fixtures: Path) -> None:
    """Pillow-written TIFFs of three fixture photos, one page each and all three in one file."""
    ims = [Image.open(fixtures / n).convert("RGB") for n in ("obama.jpg", "coffee.png", "rocket.jpg")]
    buf = io.BytesIO()
    ims[0].save(buf, "TIFF", save_all=True, append_images=ims[1:])
    multi = buf.getvalue()
    assert load.tiff_page_count(multi, 1000) == Image.open(io.BytesIO(multi)).n_frames == 3
    assert load.tiff_page_count(multi, 2) == 2  # counting stops where asked
    for im in ims:
        data = hc.encode(im, "TIFF")
        assert load.tiff_size(data) == im.size and load.tiff_page_count(data, 10) == 1
        reader = TiffReader.open(data)
        tags = {e.tag: reader.ints(e) for e in reader.entries(reader.first_ifd)}
        assert tags[258] == (8, 8, 8) and tags[277] == (3,)
    # scikit-image's multipage_rgb.tif (Pillow cannot open it): two 10x10 pages of float64 planes
    data = (fixtures / "multipage_rgb.tif").read_bytes()
    assert load.tiff_size(data) == (10, 10) and load.tiff_page_count(data, 10) == 2
    assert load._tiff_first_ifd(data)[258] == (64, 64, 64) and load._tiff_first_ifd(data)[284] == (2,)


def test_tiff_reader_on_hostile_structures() -> None:
    pages = [hc.tiff_grey_tags(8, 8)] * 3
    assert load.tiff_page_count(hc.tiff_raw(pages, [bytes(64)], loop=True), 100) == 3
    assert TiffReader.open(b"II+\x00") is None  # BigTIFF is not read
    r = TiffReader.open(b"II*\x00\xff\xff\xff\xff")
    assert r is not None and r.first_ifd == 0xFFFFFFFF and list(r.entries(r.first_ifd)) == []
    assert r.ifd_chain(10) == [] and r.u16(-5) is None
    # an entry whose value points past the end: the value is cut, never raises
    blob = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHII", 0x0110, 2, 40, 1000) + bytes(4)
    r = TiffReader.open(blob)
    (entry,) = r.entries(8)
    assert entry.size == 40 and r.value(entry) == b"" and r.ints(entry) is None
    assert r.value(entry, max_bytes=10) == b""
    assert exif.read_fields(blob) == ({}, None)
