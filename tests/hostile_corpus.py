"""The hostile-input corpus: files a stranger (or a scammer who knows imgcheck exists) might upload.

Every case is generated here from the fixture photos and hand-built bytes, nothing is downloaded.
Each case says what imgcheck must do with it:

- ``error``: refuse with a clear ``InputError`` (``needle`` is a word the message must contain);
- ``report``: a valid but odd image (CMYK, 16 bit, palette with transparency, huge metadata, a
  polyglot whose image part is fine) that must give a normal report; ``ref`` is a 16x16 grey
  thumbnail of what it shows, so "a report" also means "the right picture";
- ``either``: both a clean refusal and a report are acceptable (a damaged tail after valid pixels,
  an IFD loop), only a crash, a hang or a memory blow-up is not.

Zip cases (``zip: True``) are inputs for batch mode only (``imgcheck scan``).

Write the corpus to a folder:  ``python tests/hostile_corpus.py OUT_DIR``  (writes ``manifest.json``).
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from imgcheck.formats import jpeg as jpeg_markers

FIXTURES = Path(__file__).parent / "fixtures"
REF_SIDE = 16


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    data: bytes
    expect: str  # "error" | "report" | "either"
    needle: str = ""
    ref: tuple[float, ...] | None = None
    zip: bool = False
    note: str = ""
    #: names of good images inside a zip case (batch mode must report each)
    good_members: tuple[str, ...] = field(default=())


# -- helpers -----------------------------------------------------------------------------------------
def picture(side: int = 96) -> np.ndarray:
    """The astronaut portrait at a small size: a real photo, quick to encode and decode."""
    im = Image.open(FIXTURES / "astronaut.png").convert("RGB").resize((side, side), Image.LANCZOS)
    return np.asarray(im)


def ref_of(rgb: np.ndarray) -> tuple[float, ...]:
    grey = (
        Image.fromarray(np.asarray(rgb, np.uint8)).convert("L").resize((REF_SIDE, REF_SIDE), Image.BILINEAR)
    )
    return tuple(float(v) for v in np.asarray(grey, np.float32).ravel())


def encode(im: Image.Image | np.ndarray, fmt: str, **kw) -> bytes:
    if isinstance(im, np.ndarray):
        im = Image.fromarray(im)
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png_raw(w: int, h: int, idat: bytes, *, depth: int = 8, colour: int = 0, extra: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + extra
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png_insert(png: bytes, chunk: bytes) -> bytes:
    """Insert a chunk right after IHDR (8 signature bytes + 25 IHDR bytes)."""
    return png[:33] + chunk + png[33:]


def jpeg_insert(jpeg: bytes, segment: bytes) -> bytes:
    """Insert a marker segment right after SOI."""
    return jpeg[:2] + segment + jpeg[2:]


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    assert len(payload) + 2 <= 0xFFFF
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_patch_sof(jpeg: bytes, w: int, h: int) -> bytes:
    """Rewrite the frame size in the first SOFn segment (a header that lies about its size)."""
    for seg in jpeg_markers.segments(jpeg):
        if seg.marker in (0xC0, 0xC1, 0xC2):
            i = seg.start
            return jpeg[: i + 5] + struct.pack(">HH", h, w) + jpeg[i + 9 :]
    raise ValueError("no SOF")


def gif_frames(w: int, h: int, n: int, *, frame_w: int = 1, frame_h: int = 1) -> bytes:
    """A GIF of n frames on a w x h canvas, each frame a tiny all-index-0 rectangle (hand-coded LZW)."""
    # LZW, minimum code size 2: clear(4), pixel 0 ... , end(5); only valid for 1x1 frames, so larger
    # frames are written as a run of uncompressed-by-clearing codes.
    pixels = frame_w * frame_h
    codes = []
    for i in range(pixels):
        if i % 2 == 0:
            codes.append(4)  # clear keeps the code size at 3 bits
        codes.append(0)
    codes.append(5)
    acc = nbits = 0
    out = bytearray()
    for c in codes:
        acc |= c << nbits
        nbits += 3
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    blocks = b"".join(
        bytes([len(out[i : i + 255])]) + bytes(out[i : i + 255]) for i in range(0, len(out), 255)
    )
    image = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00"
        + b"\x2c"
        + struct.pack("<HHHH", 0, 0, frame_w, frame_h)
        + b"\x00"
        + b"\x02"
        + blocks
        + b"\x00"
    )
    head = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return head + loop + image * n + b"\x3b"


def tiff_raw(
    pages: list[dict[int, tuple[int, list[int]]]], strips: list[bytes], *, loop: bool = False
) -> bytes:
    """A little-endian TIFF: pages are {tag: (type, values)}; strip offsets (273) are filled in,
    pointing page i at strips[i % len(strips)] (pages may share data). ``loop``: the last IFD
    points back at the first."""
    body = bytearray(b"II*\x00\x00\x00\x00\x00")
    strip_at = []
    for s in strips:
        strip_at.append(len(body))
        body += s
        if len(body) % 2:
            body += b"\x00"
    ifd_offsets = []
    fmt = {1: "B", 2: "B", 3: "H", 4: "I", 11: "f", 12: "d", 16: "Q"}
    for i, tags in enumerate(pages):
        tags = dict(tags)
        tags[273] = (4, [strip_at[i % len(strips)]])
        tags[279] = (4, [len(strips[i % len(strips)])])
        entries = sorted(tags.items())
        ifd_pos = len(body)
        ifd_offsets.append(ifd_pos)
        extra_pos = ifd_pos + 2 + 12 * len(entries) + 4
        ifd = bytearray(struct.pack("<H", len(entries)))
        extra = bytearray()
        for tag, (typ, values) in entries:
            raw = struct.pack("<" + fmt[typ] * len(values), *values)
            if len(raw) <= 4:
                ifd += struct.pack("<HHI", tag, typ, len(values)) + raw.ljust(4, b"\x00")
            else:
                ifd += struct.pack("<HHII", tag, typ, len(values), extra_pos + len(extra))
                extra += raw
                if len(extra) % 2:
                    extra += b"\x00"
        ifd += b"\x00\x00\x00\x00"  # next IFD, patched below
        body += ifd + extra
    struct.pack_into("<I", body, 4, ifd_offsets[0])
    for a, b in zip(ifd_offsets, ifd_offsets[1:] + [ifd_offsets[0] if loop else 0], strict=True):
        n = struct.unpack_from("<H", body, a)[0]
        struct.pack_into("<I", body, a + 2 + 12 * n, b)
    return bytes(body)


def tiff_grey_tags(
    w: int,
    h: int,
    *,
    bps: int = 8,
    spp: int = 1,
    photometric: int = 1,
    compression: int = 1,
    sample_format: int = 1,
) -> dict[int, tuple[int, list[int]]]:
    return {
        256: (4, [w]),
        257: (4, [h]),
        258: (3, [bps] * spp),
        259: (3, [compression]),
        262: (3, [photometric]),
        277: (3, [spp]),
        278: (4, [h]),
        284: (3, [1]),
        339: (3, [sample_format] * spp),
    }


def zeros_deflate(n: int, *, raw: bool = False) -> bytes:
    """Deflate ``n`` zero bytes in milliseconds: after a full flush, compressing the same 1 MiB block
    again yields the same bytes, so the stream is one block repeated (adler32 of zeros is computed)."""
    block = 1 << 20
    wbits = -15 if raw else 15
    co = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = co.compress(bytes(block)) + co.flush(zlib.Z_FULL_FLUSH)
    middle = co.compress(bytes(block)) + co.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(n, block)
    tail_co = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail_co.compress(bytes(rest)) + tail_co.flush(zlib.Z_FINISH)
    if whole == 0:
        body = tail if raw else zlib.compress(bytes(n), 9)[2:-4]
    else:
        body = (first[0 if raw else 2 :] + middle * (whole - 1)) + tail
    if raw:
        return body
    adler = ((n % 65521) << 16) | 1
    return b"\x78\xda" + body + struct.pack(">I", adler)


#: zero_crc(2_000_000_000), computed once (2 s) and checked by test_hostile.py
ZERO_CRC_2GB = 0xBB363D9C


def zip_raw(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip from already-deflated members: (name, raw deflate data, crc32, uncompressed size)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in entries:
        fname = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(fname), 0)
        out += fname + data
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(fname),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + fname
        )
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def deflated_member(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, co.compress(data) + co.flush(), zlib.crc32(data), len(data)


def zero_crc(n: int) -> int:
    crc, block = 0, bytes(1 << 20)
    for _ in range(n >> 20):
        crc = zlib.crc32(block, crc)
    return zlib.crc32(bytes(n & ((1 << 20) - 1)), crc)


def isobmff_box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def jumbf_app11(boxes: bytes, seq: int = 1) -> bytes:
    """One JPEG APP11 segment carrying (part of) a JUMBF superbox, as C2PA writes it."""
    return jpeg_segment(0xEB, b"JP" + struct.pack(">HI", 1, seq) + boxes)


def zip_of(members: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, compress_type=compression)
    return buf.getvalue()


# -- the corpus -------------------------------------------------------------------------------------
def build() -> list[Case]:
    """All cases, deterministic (fixed seeds), built in about a second."""
    rng = np.random.default_rng(20261129)
    pic = picture()
    ref = ref_of(pic)
    jpeg = encode(pic, "JPEG", quality=90)
    png = encode(pic, "PNG")
    webp = encode(pic, "WEBP", quality=80)
    gif = encode(Image.fromarray(pic).quantize(64), "GIF")
    tiff = encode(pic, "TIFF")
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = encode(pic, "HEIF", quality=80)
    avif = encode(pic, "AVIF", quality=60)

    cases: list[Case] = []

    def add(name: str, filename: str, data: bytes, expect: str, needle: str = "", **kw) -> None:
        cases.append(Case(name, filename, data, expect, needle, **kw))

    def good(
        name: str, filename: str, data: bytes, picture_ref: tuple[float, ...] | None = ref, **kw
    ) -> None:
        add(name, filename, data, "report", ref=picture_ref, **kw)

    # nothing, noise, magic numbers alone
    add("empty", "empty.jpg", b"", "error", "empty")
    add("one_byte", "one.png", b"\x89", "error", "not an image")
    add("zeros", "zeros.jpg", bytes(4096), "error", "not an image")
    for ext in ("jpg", "png", "webp", "gif", "heic", "tif"):
        add(
            f"random_{ext}",
            f"random.{ext}",
            rng.integers(0, 256, 8192, dtype=np.uint8).tobytes(),
            "error",
            "not an image",
        )
    add("magic_jpeg", "magic.jpg", b"\xff\xd8\xff", "error", "damaged")
    add("magic_png", "magic.png", b"\x89PNG\r\n\x1a\n", "error", "damaged")
    add("magic_webp", "magic.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", "error", "damaged")
    add("magic_gif", "magic.gif", b"GIF89a", "error", "damaged")
    add("magic_tiff", "magic.tif", b"II*\x00\x08\x00\x00\x00", "error", "TIFF")
    add(
        "jpeg_magic_then_noise",
        "noise.jpg",
        b"\xff\xd8\xff\xe0" + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "error",
        "damaged",
    )

    # truncated files
    add("trunc_jpeg_half", "half.jpg", jpeg[: len(jpeg) // 2], "error", "damaged")
    add("trunc_jpeg_header", "header.jpg", jpeg[:300], "error", "damaged")
    add("trunc_png_half", "half.png", png[: len(png) // 2], "error", "damaged")
    add("trunc_png_ihdr", "ihdr.png", png[:33], "error", "damaged")
    add("trunc_webp_half", "half.webp", webp[: len(webp) // 2], "error", "damaged")
    add("trunc_gif_half", "half.gif", gif[: len(gif) // 2], "either")
    add("trunc_tiff_half", "half.tif", tiff[: len(tiff) // 2], "error", "damaged")
    add("trunc_heic_half", "half.heic", heic[: len(heic) // 2], "error", "damaged")
    add("trunc_avif_half", "half.avif", avif[: len(avif) // 2], "error", "damaged")
    add("png_bad_crc", "crc.png", png[:29] + b"\x00\x00\x00\x00" + png[33:], "error", "damaged")

    # right image, wrong name
    good("png_named_jpg", "photo.jpg", png)
    good("jpeg_named_png", "photo.png", jpeg)
    good("webp_named_gif", "photo.gif", webp)
    good("jpeg_named_txt", "notes.txt", jpeg)
    good("heic_named_jpg", "photo.jpg", heic)

    # decompression bombs: tiny files whose headers claim huge pixel counts
    add(
        "bomb_png_30000",
        "bomb.png",
        png_raw(30000, 30000, zlib.compress(b"\x00" * 30001 * 4, 9)),
        "error",
        "decompression bomb",
    )
    add(
        "bomb_png_max_ihdr",
        "max.png",
        png_raw(2**31 - 1, 2**31 - 1, zlib.compress(b"\x00" * 64)),
        "error",
        "",
    )
    # 100 megapixels is under the cap: all of it really is there (zeros compress 1000:1), so this must
    # decode within the memory cap (a real 100 MP panorama is allowed)
    rows = zeros_deflate(10001 * 10000)
    add(
        "png_100mp_zeros",
        "pano.png",
        png_raw(10000, 10000, rows),
        "report",
        ref=tuple([0.0] * REF_SIDE * REF_SIDE),
    )
    add(
        "bomb_gif_65535",
        "bomb.gif",
        gif_frames(65535, 65535, 1, frame_w=1, frame_h=1).replace(
            struct.pack("<HHHH", 0, 0, 1, 1), struct.pack("<HHHH", 0, 0, 65535, 65535)
        ),
        "error",
        "",
    )
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (16383).to_bytes(3, "little") * 2
    add(
        "bomb_webp_vp8x",
        "bomb.webp",
        b"RIFF" + struct.pack("<I", 4 + len(vp8x) + 8) + b"WEBP" + vp8x + b"VP8L" + b"\x00\x00\x00\x00",
        "error",
        "",
    )
    vp8l = b"\x2f" + struct.pack("<I", (16383) | (16383 << 14))
    add(
        "bomb_webp_vp8l",
        "bombl.webp",
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(vp8l) + 1)
        + b"WEBP"
        + b"VP8L"
        + struct.pack("<I", len(vp8l))
        + vp8l
        + b"\x00",
        "error",
        "",
    )
    add(
        "bomb_tiff_header",
        "bomb.tif",
        tiff_raw([tiff_grey_tags(100000, 100000)], [b"\x00" * 64]),
        "error",
        "",
    )
    add("bomb_jpeg_sof", "bomb.jpg", jpeg_patch_sof(jpeg, 65500, 65500), "error", "")
    # libjpeg pads missing scan data with grey and only warns: a grey report or a refusal are both fine
    add("jpeg_sof_lies_10000", "lies.jpg", jpeg_patch_sof(jpeg, 10000, 10000), "either")
    bmp = bytearray(encode(pic, "BMP"))
    struct.pack_into("<ii", bmp, 18, 30000, 30000)
    add("bomb_bmp", "bomb.bmp", bytes(bmp), "error", "")
    # a TIFF Pillow cannot open (float64 RGB, decoded by OpenCV) with 600 pages of 2000x2000: decoding
    # every page would need ~58 GB
    page = tiff_grey_tags(2000, 2000, bps=64, spp=3, photometric=2, compression=8, sample_format=3)
    strip = zeros_deflate(2000 * 2000 * 24)
    add("bomb_tiff_float_pages", "pages.tif", tiff_raw([page] * 600, [strip]), "error", "pages")
    add(
        "bomb_tiff_float_one",
        "float1.tif",
        tiff_raw(
            [tiff_grey_tags(30000, 30000, bps=64, spp=3, photometric=2, compression=8, sample_format=3)],
            [strip],
        ),
        "error",
        "",
    )
    # parser and decoder bombs: cheap to send, expensive to walk (Pillow parses chunks in Python)
    add(
        "png_500k_chunks", "chunks.png", png_insert(png, png_chunk(b"abCd", b"") * 500_000), "error", "chunks"
    )
    add(
        "png_500k_idat_chunks",
        "idat.png",
        png_raw(96, 96, b"", colour=2).replace(png_chunk(b"IDAT", b""), png_chunk(b"IDAT", b"") * 500_000),
        "error",
        "chunks",
    )
    add(
        "jpeg_1m_segments",
        "segments2.jpg",
        jpeg_insert(jpeg, b"\xff\xfe\x00\x02" * 1_000_000),
        "error",
        "segments",
    )
    add("jpeg_1000_scans", "scans.jpg", jpeg_scan_bomb(pic, 1000, 4000), "error", "scans")
    heic_big = heic.replace(
        b"ispe\x00\x00\x00\x00" + struct.pack(">II", 96, 96),
        b"ispe\x00\x00\x00\x00" + struct.pack(">II", 60000, 60000),
    )
    add("bomb_heic_ispe", "bomb.heic", heic_big, "error", "")

    # many frames
    add("gif_1000_frames", "anim.gif", gif_frames(16, 16, 1000), "error", "frames")
    add("gif_1000_frames_big_canvas", "canvas.gif", gif_frames(8000, 8000, 1000), "error", "frames")
    apng = io.BytesIO()
    frames = [Image.new("L", (8, 8), i % 256) for i in range(1000)]
    frames[0].save(apng, "PNG", save_all=True, append_images=frames[1:])
    add("apng_1000_frames", "anim.png", apng.getvalue(), "error", "frames")
    add("apng_big_canvas", "canvas.png", apng_big_canvas(8000, 8000, 1000), "error", "frames")
    awebp = io.BytesIO()
    frames[0].convert("RGB").save(
        awebp, "WEBP", save_all=True, append_images=[f.convert("RGB") for f in frames[1:]], lossless=True
    )
    add("webp_1000_frames", "anim.webp", awebp.getvalue(), "error", "frames")
    add(
        "tiff_1000_pages", "pages.tif", tiff_raw([tiff_grey_tags(8, 8)] * 1000, [bytes(64)]), "error", "pages"
    )
    add("tiff_ifd_loop", "loop.tif", tiff_raw([tiff_grey_tags(8, 8)] * 3, [bytes(64)], loop=True), "either")
    add("gif_animated_ok", "ok.gif", gif_frames(64, 64, 20), "report", ref=tuple([0.0] * REF_SIDE * REF_SIDE))

    # metadata: huge, malformed, hostile
    exif = Image.Exif()
    for i in range(4000):
        exif[0x9000 + i % 0x6000] = "x" * 8
    exif_bytes = exif.tobytes()[:65000]
    good("jpeg_huge_exif", "exif.jpg", jpeg_insert(jpeg, jpeg_segment(0xE1, b"Exif\x00\x00" + exif_bytes)))
    bad_exif = b"Exif\x00\x00II*\x00" + struct.pack("<I", 0xFFFFFF00)
    good("jpeg_exif_bad_offset", "badexif.jpg", jpeg_insert(jpeg, jpeg_segment(0xE1, bad_exif)))
    loop_ifd = (
        b"II*\x00\x08\x00\x00\x00"
        + struct.pack("<H", 1)
        + struct.pack("<HHII", 0x8769, 4, 1, 8)
        + b"\x08\x00\x00\x00"
    )
    good(
        "jpeg_exif_ifd_loop",
        "loopexif.jpg",
        jpeg_insert(jpeg, jpeg_segment(0xE1, b"Exif\x00\x00" + loop_ifd)),
    )
    orient = (
        b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, 999) + bytes(4)
    )
    good(
        "jpeg_exif_orientation_999",
        "orient.jpg",
        jpeg_insert(jpeg, jpeg_segment(0xE1, b"Exif\x00\x00" + orient)),
    )
    orient_str = (
        b"II*\x00\x08\x00\x00\x00"
        + struct.pack("<H", 1)
        + struct.pack("<HHI", 0x0112, 2, 4)
        + b"six\x00"
        + bytes(4)
    )
    good(
        "jpeg_exif_orientation_text",
        "orient2.jpg",
        jpeg_insert(jpeg, jpeg_segment(0xE1, b"Exif\x00\x00" + orient_str)),
    )
    good(
        "png_huge_exif_chunk",
        "exif.png",
        png_insert(
            png,
            png_chunk(
                b"eXIf",
                b"II*\x00"
                + struct.pack("<I", 8)
                + struct.pack("<H", 0xFFFF)
                + bytes(12 * 0xFFFF)
                + bytes(4)
                + bytes(4_000_000),
            ),
        ),
    )
    xmp_head = b"http://ns.adobe.com/xap/1.0/\x00"
    big_xmp = (
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        + b"<rdf:Description "
        + b"a='b' " * 10000
    )[:65000]
    good("jpeg_huge_xmp", "xmp.jpg", jpeg_insert(jpeg, jpeg_segment(0xE1, xmp_head + big_xmp)))
    many = b"".join(jpeg_segment(0xE1, xmp_head + b"<x" * 32000) for _ in range(400))
    good("jpeg_400_app1_segments", "segments.jpg", jpeg_insert(jpeg, many))
    laughs = (
        b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        + b"".join(
            b"<!ENTITY lol%d '" % (i + 1) + (b"&lol;" if i == 0 else b"&lol%d;" % i) * 10 + b"'>"
            for i in range(9)
        )
        + b"]><x:xmpmeta xmlns:x='adobe:ns:meta/'>&lol9;</x:xmpmeta>"
    )
    good("jpeg_xmp_billion_laughs", "laughs.jpg", jpeg_insert(jpeg, jpeg_segment(0xE1, xmp_head + laughs)))
    good(
        "png_xmp_billion_laughs",
        "laughs.png",
        png_insert(png, png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + laughs)),
    )
    good(
        "jpeg_xmp_not_xml",
        "notxml.jpg",
        jpeg_insert(jpeg, jpeg_segment(0xE1, xmp_head + b"<x:xmpmeta><<<&&&\xff\xfe")),
    )
    good(
        "png_itxt_20mb",
        "itxt.png",
        png_insert(
            png,
            png_chunk(
                b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + b"<x>" + b"a" * 20_000_000 + b"</x>"
            ),
        ),
    )
    add(
        "png_ztxt_bomb",
        "ztxt.png",
        png_insert(png, png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 20_000_000, 9))),
        "error",
        "text chunk",
    )
    add(
        "png_itxt_compressed_bomb",
        "itxtz.png",
        png_insert(
            png,
            png_chunk(
                b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(b"<" * 20_000_000, 9)
            ),
        ),
        "error",
        "text chunk",
    )
    good(
        "jpeg_icc_garbage",
        "icc.jpg",
        jpeg_insert(jpeg, jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + bytes(3000))),
    )
    # C2PA: JUMBF boxes with lying lengths in JPEG APP11, PNG caBX, and a truncated multi-segment store
    jumd = isobmff_box(b"jumd", b"c2pa" + bytes(12) + b"\x03c2pa\x00")
    good(
        "jpeg_c2pa_box_len_huge",
        "c2pa1.jpg",
        jpeg_insert(jpeg, jumbf_app11(struct.pack(">I", 0xFFFFFFF0) + b"jumb" + jumd)),
    )
    good(
        "jpeg_c2pa_box_len_zero",
        "c2pa2.jpg",
        jpeg_insert(jpeg, jumbf_app11(struct.pack(">I", 0) + b"jumb" + struct.pack(">I", 3) + b"jumd")),
    )
    good(
        "jpeg_c2pa_truncated_series",
        "c2pa3.jpg",
        jpeg_insert(
            jpeg,
            jumbf_app11(isobmff_box(b"jumb", jumd + isobmff_box(b"jumb", b"\x00" * 100))[:60], seq=1)
            + jumbf_app11(b"\xff" * 40, seq=7),
        ),
    )
    good("jpeg_c2pa_nested_deep", "c2pa4.jpg", jpeg_insert(jpeg, jumbf_app11(nested_jumb(2000))))
    good(
        "png_cabx_garbage",
        "c2pa.png",
        png_insert(
            png,
            png_chunk(
                b"caBX",
                struct.pack(">I", 0xFFFFFFFF)
                + b"jumb"
                + rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(),
            ),
        ),
    )
    good(
        "png_cabx_manifest_like",
        "c2pa2.png",
        png_insert(
            png,
            png_chunk(
                b"caBX",
                isobmff_box(
                    b"jumb",
                    jumd
                    + isobmff_box(
                        b"jumb",
                        isobmff_box(b"jumd", b"c2ma" + bytes(12) + b"\x03x\x00")
                        + isobmff_box(b"cbor", b"\xbf\xff\xff\xff" * 10),
                    ),
                ),
            ),
        ),
    )

    # valid but odd pixel formats: must give a report showing the right picture
    cmyk = Image.fromarray(pic).convert("CMYK")
    good("cmyk_jpeg", "cmyk.jpg", encode(cmyk, "JPEG", quality=92))
    good("cmyk_tiff", "cmyk.tif", encode(cmyk, "TIFF"))
    grey = np.asarray(Image.fromarray(pic).convert("L"))
    grey_ref = ref_of(np.stack([grey] * 3, -1))
    good(
        "png_16bit_grey", "grey16.png", encode(Image.fromarray(grey.astype(np.uint16) * 257), "PNG"), grey_ref
    )
    rgb16 = pic.astype(">u2") * 257
    good(
        "png_16bit_rgb",
        "rgb16.png",
        png_raw(
            96,
            96,
            zlib.compress(b"".join(b"\x00" + rgb16[y].tobytes() for y in range(96))),
            depth=16,
            colour=2,
        ),
    )
    rgba16 = np.concatenate([rgb16, np.full((96, 96, 1), 65535, ">u2")], axis=2)
    good(
        "png_16bit_rgba",
        "rgba16.png",
        png_raw(
            96,
            96,
            zlib.compress(b"".join(b"\x00" + rgba16[y].tobytes() for y in range(96))),
            depth=16,
            colour=6,
        ),
    )
    good(
        "tiff_16bit_rgb",
        "rgb16.tif",
        tiff_raw(
            [tiff_grey_tags(96, 96, bps=16, spp=3, photometric=2)], [(pic.astype("<u2") * 257).tobytes()]
        ),
    )
    scaled = pic.astype(np.float64) / 255.0
    good(
        "tiff_float64_rgb",
        "float.tif",
        tiff_raw(
            [tiff_grey_tags(96, 96, bps=64, spp=3, photometric=2, sample_format=3)],
            [scaled.astype("<f8").tobytes()],
        ),
    )
    good(
        "tiff_float32_grey",
        "floatgrey.tif",
        encode(Image.fromarray(grey.astype(np.float32)), "TIFF"),
        grey_ref,
    )
    good(
        "png_1bit",
        "bits.png",
        encode(Image.fromarray(grey).convert("1", dither=Image.Dither.NONE), "PNG"),
        ref_of(np.stack([np.where(grey >= 128, 255, 0).astype(np.uint8)] * 3, -1)),
    )
    # palette with a transparent background index: transparent pixels composite on white
    pal = Image.fromarray(pic).quantize(32)
    pal_arr = np.asarray(pal).copy()
    pal_arr[:16, :] = 31
    pal2 = Image.fromarray(pal_arr, "P")
    pal2.putpalette(pal.getpalette())
    shown = np.asarray(pal2.convert("RGB")).copy()
    shown[pal_arr == 31] = 255  # every pixel of the transparent index, not only the band
    good("png_palette_trns", "pal.png", encode(pal2, "PNG", transparency=31), ref_of(shown))
    good("gif_palette_trns", "pal.gif", encode(pal2, "GIF", transparency=31), ref_of(shown))
    la = np.stack([grey, np.full_like(grey, 255)], -1)
    good("png_grey_alpha", "la.png", encode(Image.fromarray(la, "LA"), "PNG"), grey_ref)
    good(
        "webp_lossless_alpha",
        "alpha.webp",
        encode(Image.fromarray(pic).convert("RGBA"), "WEBP", lossless=True),
    )
    good("png_1x1", "dot.png", encode(np.full((1, 1, 3), 200, np.uint8), "PNG"), None)
    good("png_1x20000", "strip.png", encode(np.full((1, 20000, 3), 90, np.uint8), "PNG"), None)
    good("jpeg_progressive", "prog.jpg", encode(pic, "JPEG", progressive=True, quality=90))
    good("jpeg_arithmetic_like_grey", "grey.jpg", encode(grey, "JPEG"), grey_ref)
    good("avif_ok", "ok.avif", avif)

    # things that are not images, dressed as images
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><script>alert(1)</script></svg>"
    add("svg_as_png", "avatar.png", svg, "error", "SVG")
    add("svg_xml_decl_as_jpg", "avatar.jpg", b"<?xml version='1.0'?>\n" + svg, "error", "SVG")
    add(
        "html_as_jpg",
        "photo.jpg",
        b"<!DOCTYPE html><html><body><script>fetch('http://x')</script></html>",
        "error",
        "HTML",
    )
    add("html_bom_as_webp", "photo.webp", b"\xef\xbb\xbf<html><body>hi</body></html>", "error", "")
    add("pdf_as_jpg", "scan.jpg", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "error", "PDF")
    add("zip_as_png", "photo.png", zip_of([("a.jpg", jpeg)]), "error", "zip")
    add("exe_as_jpg", "photo.jpg", b"MZ\x90\x00" + bytes(500), "error", "not an image")
    add("psd_as_png", "photo.png", b"8BPS\x00\x01" + bytes(200), "error", "not an image")
    add("ico_as_png", "photo.png", encode(Image.fromarray(pic), "ICO"), "error", "not an image")
    add("heic_bad_header", "bad.heic", heic[:12] + b"\xff" * 200 + heic[212:], "error", "")
    add("heic_ftyp_only", "ftyp.heic", isobmff_box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic"), "error", "")
    add(
        "heic_meta_garbage",
        "meta.heic",
        isobmff_box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
        + isobmff_box(b"meta", b"\x00\x00\x00\x00" + struct.pack(">I", 0x7FFFFFFF) + b"hdlr" + bytes(64)),
        "error",
        "",
    )
    add("avif_bad_header", "bad.avif", avif[:12] + b"\x00" * 100 + avif[112:], "error", "")
    # polyglots whose image part is fine: the image is what is checked, the rest is ignored
    good("polyglot_jpeg_zip", "poly.jpg", jpeg + zip_of([("../../evil.sh", b"#!/bin/sh\nrm -rf /\n")]))
    good("polyglot_png_html", "poly.png", png + b"<html><script>alert(1)</script></html>")
    good(
        "polyglot_jpeg_php_comment",
        "poly2.jpg",
        jpeg_insert(jpeg, jpeg_segment(0xFE, b"<?php system($_GET['c']); ?>")),
    )
    add(
        "polyglot_gif_js",
        "poly.gif",
        b"GIF89a/*" + bytes(20) + b"*/=1;alert(document.domain);",
        "error",
        "damaged",
    )
    add("polyglot_html_then_jpeg", "poly3.jpg", b"<html><!--" + jpeg + b"--></html>", "error", "HTML")

    cases += zip_cases(jpeg, png)
    return cases


def zip_cases(jpeg: bytes | None = None, png: bytes | None = None) -> list[Case]:
    """Zips for batch mode (``imgcheck scan``, the app's batch tab): each holds two good images that
    must be reported whatever else the archive holds."""
    if jpeg is None or png is None:
        pic = picture()
        jpeg, png = encode(pic, "JPEG", quality=90), encode(pic, "PNG")
    cases: list[Case] = []

    def add(name: str, filename: str, data: bytes, expect: str, needle: str = "", **kw) -> None:
        cases.append(Case(name, filename, data, expect, needle, **kw))

    zgood = [("good/a.jpg", jpeg), ("good/b.png", png)]
    add(
        "zip_traversal",
        "traversal.zip",
        zip_of(zgood + [("../../evil.jpg", jpeg), ("/etc/evil.png", png), ("..\\..\\win.jpg", jpeg)]),
        "report",
        zip=True,
        good_members=("good/a.jpg", "good/b.png"),
    )
    huge = 2_000_000_000  # 2 GB of zeros behind a PNG signature, about 2 MB zipped
    bomb_member = ("huge.png", zeros_deflate(huge, raw=True), ZERO_CRC_2GB, huge)
    add(
        "zip_bomb",
        "bomb.zip",
        zip_raw([deflated_member(n, d) for n, d in zgood] + [bomb_member]),
        "report",
        zip=True,
        good_members=("good/a.jpg", "good/b.png"),
    )
    add(
        "zip_nested",
        "nested.zip",
        zip_of(zgood + [("inner.zip", zip_of([("x.jpg", jpeg)] * 1))]),
        "report",
        zip=True,
        good_members=("good/a.jpg", "good/b.png"),
    )
    add(
        "zip_many_entries",
        "many.zip",
        zip_of(zgood + [(f"junk/{i}.txt", b"") for i in range(6000)], compression=zipfile.ZIP_STORED),
        "report",
        zip=True,
        good_members=("good/a.jpg", "good/b.png"),
    )
    add("zip_truncated", "trunc.zip", zip_of(zgood)[:-30], "either", zip=True)
    add(
        "zip_corrupt_member",
        "corrupt.zip",
        corrupt_member(zip_of(zgood + [("c.jpg", jpeg)]), "c.jpg"),
        "report",
        zip=True,
        good_members=("good/a.jpg", "good/b.png"),
    )
    return cases


def apng_big_canvas(w: int, h: int, n: int) -> bytes:
    """An APNG on a w x h grey canvas (zeros, compressed) followed by n-1 one-pixel frames."""
    seq = 0

    def fctl(fw: int, fh: int) -> bytes:
        nonlocal seq
        c = png_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, fw, fh, 0, 0, 1, 10, 0, 0))
        seq += 1
        return c

    first = fctl(w, h)
    idat = png_chunk(b"IDAT", zlib.compress(b"\x00" * ((w + 1) * h), 9))
    rest = bytearray()
    for _ in range(n - 1):
        rest += fctl(1, 1)
        rest += png_chunk(b"fdAT", struct.pack(">I", seq) + zlib.compress(b"\x00\x00"))
        seq += 1
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    actl = png_chunk(b"acTL", struct.pack(">II", n, 0))
    return b"\x89PNG\r\n\x1a\n" + ihdr + actl + first + idat + bytes(rest) + png_chunk(b"IEND", b"")


def jpeg_scan_bomb(pic: np.ndarray, scans: int, side: int) -> bytes:
    """A progressive JPEG whose last scan is repeated ``scans`` times, its frame claiming side x side:
    each scan is a pass over the whole (full-size) coefficient buffer."""
    data = encode(pic, "JPEG", progressive=True, quality=90)
    pos, last = 2, None
    while pos < len(data):
        marker = data[pos + 1]
        if marker == 0xD9:
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker != 0xDA:
            pos += 2 + length
            continue
        start, pos = pos, pos + 2 + length
        while not (data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
            pos += 1
        last = (start, pos)
    assert last is not None
    scan = data[last[0] : last[1]]
    return jpeg_patch_sof(data[: last[1]] + scan * scans + b"\xff\xd9", side, side)


def nested_jumb(depth: int) -> bytes:
    inner = isobmff_box(b"jumd", b"c2pa" + bytes(12) + b"\x03x\x00")
    for _ in range(depth):
        inner = isobmff_box(b"jumb", inner)
        if len(inner) > 60000:
            break
    return inner


def corrupt_member(data: bytes, name: str) -> bytes:
    """Flip bytes in the middle of one member's compressed data (its CRC then fails)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    mid = start + info.compress_size // 2
    out = bytearray(data)
    for i in range(mid, mid + 16):
        out[i] ^= 0x5A
    return bytes(out)


def write(out_dir: Path, cases: list[Case] | None = None) -> list[dict]:
    """Write every case as its own file (``NN_name/filename``) and a manifest; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for i, c in enumerate(cases if cases is not None else build()):
        folder = out_dir / f"{i:02d}_{c.name}"
        folder.mkdir(exist_ok=True)
        path = folder / c.filename
        path.write_bytes(c.data)
        manifest.append(
            {
                "name": c.name,
                "path": str(path),
                "expect": c.expect,
                "needle": c.needle,
                "ref": list(c.ref) if c.ref else None,
                "zip": c.zip,
                "size": len(c.data),
                "good_members": list(c.good_members),
            }
        )
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


CaseFilter = Callable[[Case], bool]

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile_corpus.py OUT_DIR")
    m = write(Path(sys.argv[1]))
    print(f"{len(m)} cases written to {sys.argv[1]}")
