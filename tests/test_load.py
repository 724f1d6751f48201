"""Safe loading: every supported container decodes, every bad input is a clear InputError."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from imgcheck.errors import InputError
from imgcheck.load import Limits, load_image, sniff_format


def _encode(arr: np.ndarray, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def photo(fixtures) -> np.ndarray:
    return np.asarray(Image.open(fixtures / "astronaut.png").convert("RGB"))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "AVIF"])
def test_formats_decode_to_same_picture(photo, fmt):
    img = load_image(_encode(photo, fmt), name=f"x.{fmt.lower()}")
    assert img.format == fmt
    assert (img.width, img.height) == (512, 512)
    rgb = img.rgb()
    assert rgb.shape == (512, 512, 3) and rgb.dtype == np.uint8
    # lossy/palette formats stay close to the original
    assert np.abs(rgb.astype(int) - photo.astype(int)).mean() < 25


def test_heic_decodes(photo):
    import pillow_heif

    pillow_heif.register_heif_opener()
    data = _encode(photo, "HEIF")
    img = load_image(data)
    assert img.format == "HEIF" and img.rgb().shape == (512, 512, 3)


def test_exif_orientation_is_applied(photo):
    im = Image.fromarray(photo[:, :300])  # 300 wide, 512 high
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes())
    img = load_image(buf.getvalue())
    assert (img.width, img.height) == (512, 300)
    got = img.rgb().astype(float)
    assert got.shape == (300, 512, 3)
    # the direction too: 90 degrees clockwise, not counter-clockwise (JPEG noise is a few levels)
    cw, ccw = np.rot90(photo[:, :300], k=-1), np.rot90(photo[:, :300], k=1)
    assert np.abs(got - cw).mean() < 8 < np.abs(got - ccw).mean()


def test_reduced_decode_respects_max_side(fixtures):
    img = load_image(fixtures / "obama.jpg")
    small = img.rgb(256)
    assert max(small.shape[:2]) == 256
    assert img.rgb(256) is small  # cached


def test_gif_first_frame_and_frame_count(fixtures):
    img = load_image(fixtures / "no_time_for_that_tiny.gif")
    assert img.format == "GIF" and img.frames == 24


def test_tiff_pillow_cannot_open_goes_through_opencv():
    """A 3-channel float TIFF (Pillow cannot open it) is decoded by OpenCV, every pixel exact."""
    rng = np.random.default_rng(1)
    planes = rng.random((12, 10, 3)).astype(np.float32)
    ok, buf = cv2.imencode(".tiff", planes)
    assert ok
    img = load_image(buf.tobytes())
    expected = cv2.cvtColor(np.clip(planes * 255 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_BGR2RGB)
    assert img.format == "TIFF" and img.frames == 1 and img.rgb().shape == (12, 10, 3)
    assert np.abs(img.rgb().astype(int) - expected).max() <= 1


def test_tiff_opencv_would_fill_from_uninitialised_memory_is_refused(fixtures):
    """scikit-image's multipage_rgb.tif stores 64-bit float samples in separate planes: OpenCV
    decodes part of them and leaves the rest of its buffer as the heap held it (other pixels,
    other data), so the "image" differed from run to run. It is refused with a reason."""
    with pytest.raises(InputError, match="separate planes"):
        load_image(fixtures / "multipage_rgb.tif")


def test_transparency_is_composited_on_white():
    arr = np.zeros((8, 8, 4), np.uint8)  # fully transparent black
    img = load_image(_encode(arr, "PNG"))
    assert (img.rgb() == 255).all()


def test_16bit_and_cmyk(photo):
    grey16 = (np.asarray(Image.fromarray(photo).convert("L"), np.uint16) * 257)
    img16 = load_image(_encode(grey16, "PNG"))
    assert img16.rgb().dtype == np.uint8 and img16.rgb().max() > 200
    buf = io.BytesIO()
    Image.fromarray(photo).convert("CMYK").save(buf, "JPEG")
    assert load_image(buf.getvalue()).rgb().shape == (512, 512, 3)


def _bomb_png(w: int, h: int) -> bytes:
    """A PNG header claiming w x h pixels with a tiny zlib stream (a decompression bomb)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    raw = zlib.compress(b"\x00" * 1024)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


@pytest.mark.parametrize("data,needle", [
    (b"", "empty"),
    (b"\x00" * 100, "not an image"),
    (bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)), "not an image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG"),
    (b"<!DOCTYPE html><html></html>", "HTML"),
    (_bomb_png(30000, 30000), "decompression bomb"),
])
def test_bad_bytes_are_input_errors(data, needle):
    with pytest.raises(InputError, match=needle):
        load_image(data, name="upload")


def test_truncated_files_are_input_errors(photo):
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = _encode(photo, fmt)
        with pytest.raises(InputError, match="upload"):
            load_image(data[: len(data) // 2], name="upload")


def test_byte_cap(tmp_path, photo):
    p = tmp_path / "big.png"
    p.write_bytes(_encode(photo, "PNG"))
    with pytest.raises(InputError, match="larger than"):
        load_image(p, limits=Limits(max_bytes=1000))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(InputError, match="not a regular file"):
        load_image(tmp_path)


def test_sniff_ignores_extension(photo, tmp_path):
    p = tmp_path / "photo.gif"  # a PNG named .gif
    p.write_bytes(_encode(photo, "PNG"))
    assert load_image(p).format == "PNG"
    assert sniff_format(b"GIF89a....") == "GIF"
