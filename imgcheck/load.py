"""Safe image loading.

Bytes are sniffed by their signature (never by file name), capped in size, pixel count and
frame count before any pixel is decoded, and decoded at reduced scale when the caller does not
need full resolution (JPEG DCT scaling through Pillow ``draft``). Every failure is an
``InputError`` with a sentence a user can act on.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from imgcheck.errors import InputError
from imgcheck.formats import jpeg, tiff
from imgcheck.formats.tiff import TiffReader
from imgcheck.types import ImageInfo

_HEIF_LOCK = threading.Lock()
_HEIF_READY = False

#: formats imgcheck reads, as Pillow names them
ALLOWED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "TIFF", "BMP", "HEIF", "AVIF"})


@dataclass(frozen=True)
class Limits:
    """Caps applied before decoding. The defaults admit any phone photo (200 MP sensors excluded)."""

    max_bytes: int = 64 * 1024 * 1024
    max_pixels: int = 120_000_000
    max_side: int = 30_000
    max_frames: int = 500
    #: PNG chunks / JPEG marker segments: Pillow parses each in Python, so a 4 MB file of a million
    #: empty chunks would cost seconds per decode (libpng's default IDAT size puts a 64 MB PNG at ~8k)
    max_chunks: int = 50_000
    #: JPEG scans: each progressive scan is a pass over the whole coefficient buffer, so 1,000
    #: tiny scans on a 16 MP frame cost seconds (encoders write about 10)
    max_scans: int = 150


def sniff_format(head: bytes) -> str | None:
    """Name the container from its first bytes, or None when it is not an image we read."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] in tiff.HEADERS:
        return "TIFF"
    if head[:2] == b"BM" and len(head) >= 26:
        return "BMP"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIF"
    return None


def _describe_unknown(head: bytes) -> str:
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<svg", b"<?xml")):
        return "an SVG/XML document"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if not head:
        return "an empty file"
    return "not an image in a supported format"


def _ensure_heif() -> None:
    global _HEIF_READY
    with _HEIF_LOCK:
        if not _HEIF_READY:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _HEIF_READY = True


class LoadedImage:
    """A validated image. Pixels are decoded lazily and cached per requested size.

    ``rgb(max_side)`` returns an RGB uint8 array, EXIF orientation applied, whose longer side is
    at most ``max_side`` (None: full resolution). Checks ask only for what they need.
    """

    def __init__(self, data: bytes, source: str, fmt: str, width: int, height: int, frames: int,
                 sha256: str, orientation: int = 1) -> None:
        self.data = data
        self.source = source
        self.format = fmt
        self.width = width
        self.height = height
        self.frames = frames
        self.sha256 = sha256
        #: EXIF orientation (1-8) read once at load time; width/height above are already oriented
        self.orientation = orientation
        self._cache: dict[int | None, np.ndarray] = {}
        # re-entrant: a reduced size may be derived from the cached BASE_SIDE copy
        self._lock = threading.RLock()

    @property
    def info(self) -> ImageInfo:
        return ImageInfo(self.width, self.height, self.format, self.frames)

    def __repr__(self) -> str:
        return f"LoadedImage({self.source!r}, {self.format} {self.width}x{self.height})"

    def rgb(self, max_side: int | None = None) -> np.ndarray:
        if max_side is not None and max_side >= max(self.width, self.height):
            max_side = None
        with self._lock:
            hit = self._cache.get(max_side)
            if hit is None:
                hit = self._decode(max_side)
                hit.setflags(write=False)
                self._cache[max_side] = hit
            return hit

    def _decode(self, max_side: int | None) -> np.ndarray:
        if (max_side is not None and max_side < BASE_SIDE and self.format != "JPEG"
                and max(self.width, self.height) > BASE_SIDE):
            # a large PNG/WebP/GIF/TIFF is decoded in full only once: smaller sizes come from a
            # BASE_SIDE copy (JPEG needs no help, DCT scaling makes each size cheap)
            return _resize_to(self.rgb(BASE_SIDE), max_side)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # bomb and corrupt-EXIF warnings: we raise our own errors
                im = Image.open(io.BytesIO(self.data))
                is_jpeg = im.format in ("JPEG", "MPO")
                if max_side is not None and is_jpeg:
                    im.draft("RGB", _draft_size(im.size, max_side))
                im.load()
                if max_side is not None and not is_jpeg:
                    im = _reduce(im, max_side)
                if self.orientation in _TRANSPOSE:
                    im = im.transpose(_TRANSPOSE[self.orientation])
                arr = _to_rgb(im)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad input
            raise InputError(f"{self.source}: the image data is damaged or truncated ({_short(exc)})") from exc
        return _resize_to(arr, max_side)


#: longest side of the intermediate copy that smaller sizes of a large non-JPEG image come from
BASE_SIDE = 2048

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def fitted_size(width: int, height: int, side: int, minimum: int = 1) -> tuple[int, int] | None:
    """(width, height) scaled so the longer side is ``side`` (each at least ``minimum``), or None when
    the image already fits: downscaling only, never up."""
    if max(width, height) <= side:
        return None
    scale = side / max(width, height)
    return max(minimum, round(width * scale)), max(minimum, round(height * scale))


def _resize_to(arr: np.ndarray, max_side: int | None) -> np.ndarray:
    size = None if max_side is None else fitted_size(arr.shape[1], arr.shape[0], max_side)
    if size is not None:
        arr = cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(arr)


def _reduce(im: Image.Image, max_side: int) -> Image.Image:
    """Box-average by an integer factor (keeping the longer side >= max_side) before any mode
    conversion, so a 100-megapixel PNG never becomes a 300 MB RGB array on its way to 512 px."""
    factor = max(im.size) // max_side
    if factor < 2:
        return im
    if im.mode in ("P", "PA"):  # average colours, never palette indices
        im = im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    elif im.mode.startswith("I;16"):
        im = im.convert("I")
    try:
        return im.reduce(factor)
    except ValueError:  # a mode reduce does not support: the caller resizes the full array
        return im


def exif_orientation(im: Image.Image) -> int:
    """EXIF orientation 1-8 (1 for anything missing or malformed), without parsing the whole EXIF.

    Why not ``getexif()``: Pillow parses every IFD0 entry in Python, so an EXIF block of 65,535
    entries costs seconds per call, and a malformed one may raise; only one tag is needed here.
    """
    if im.format == "TIFF":  # Pillow itself swaps the size on open and transposes on load
        return 1
    try:
        raw = im.info.get("exif")
        value = orientation_from_exif(raw) if isinstance(raw, (bytes, bytearray)) else 1
    except Exception:  # noqa: BLE001 - metadata never makes an image unreadable
        return 1
    return value if 1 <= value <= 8 else 1


def orientation_from_exif(raw: bytes) -> int:
    """The Orientation tag (0x0112) of IFD0 in raw EXIF bytes (with or without the Exif header)."""
    if raw[:6] == b"Exif\x00\x00":
        raw = raw[6:]
    reader = TiffReader.open(raw)
    ifd0 = reader.first_ifd if reader else None
    if ifd0 is None:
        return 1
    for entry in reader.entries(ifd0):
        if entry.tag == tiff.ORIENTATION:
            value = reader.first_int(entry)
            return 1 if value is None else value
    return 1


def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size to ask Pillow ``draft`` for: the deepest JPEG DCT scaling (1/2, 1/4, 1/8) whose longer
    side still reaches 95% of ``max_side``. A square request would let the short side decide (a
    4032x3024 photo asked for 512 px would decode at 1/4, 1008x756); this way it decodes at 1/8
    (504x378), about twice as fast, and checks get at most 5% fewer pixels than they asked for.
    """
    w, h = size
    for s in (8, 4, 2):
        if max(w, h) / s >= 0.95 * max_side:
            return max(1, w // s), max(1, h // s)
    return w, h


def _short(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):  # its text names a BytesIO object, useless to a user
        return "no decoder recognises the data"
    text = str(exc).strip() or type(exc).__name__
    # "<_io.BytesIO object at 0x7f...>" means nothing to a user and makes reports differ run to run
    text = re.sub(r"<[\w.]+ object at 0x[0-9a-fA-F]+>", "the data", text)
    return text[:160]


def _to_rgb(im: Image.Image) -> np.ndarray:
    """RGB uint8 from any Pillow mode; transparency is composited on white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float32)
        top = arr.max() if arr.size else 1.0
        arr = np.clip(arr * (255.0 / (65535.0 if top > 255 else 255.0)), 0, 255).astype(np.uint8)
        return np.stack([arr] * 3, axis=-1)
    if im.mode == "F":
        arr = np.nan_to_num(np.asarray(im, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(arr.min(initial=0)), float(arr.max(initial=1))
        arr = ((arr - lo) / max(hi - lo, 1e-9) * 255).astype(np.uint8)
        return np.stack([arr] * 3, axis=-1)
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        im = im.convert("RGBA")
        base = Image.new("RGBA", im.size, (255, 255, 255, 255))
        base.alpha_composite(im)
        im = base
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im)


def read_source(source: str | Path | bytes, limits: Limits) -> tuple[bytes, str]:
    """Read bytes of a path (capped) or take given bytes; return (data, display name)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = "<bytes>"
    else:
        path = Path(source)
        name = str(source)
        try:
            if not path.is_file():
                raise InputError(f"{name}: no such file" if not path.exists() else f"{name}: not a regular file")
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise InputError(f"{name}: file is {size / 1e6:.1f} MB, larger than the "
                                 f"{limits.max_bytes / 1e6:.0f} MB limit")
            with path.open("rb") as fh:
                data = fh.read(limits.max_bytes + 1)
        except InputError:
            raise
        except OSError as exc:
            raise InputError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    return data, name


def load_image(source: str | Path | bytes, *, name: str | None = None,
               limits: Limits | None = None, verify_side: int | None = 512) -> LoadedImage:
    """Validate an image and return a LoadedImage; raise InputError with a clear reason otherwise.

    ``verify_side``: decode once at this reduced size so truncated or corrupt pixel data is found
    here rather than inside a check (None skips it).
    """
    limits = limits or Limits()
    data, default_name = read_source(source, limits)
    name = name or default_name
    if len(data) > limits.max_bytes:
        raise InputError(f"{name}: file is larger than the {limits.max_bytes / 1e6:.0f} MB limit")
    if not data:
        raise InputError(f"{name}: the file is empty")
    fmt = sniff_format(data[:32])
    if fmt is None:
        raise InputError(f"{name}: {_describe_unknown(data[:64])}; imgcheck reads JPEG, PNG, WebP, GIF, "
                         "TIFF, BMP, HEIC/HEIF and AVIF")
    if fmt in ("HEIF", "AVIF"):
        _ensure_heif()
    _check_structure(data, fmt, limits, name)
    if fmt == "TIFF" and not _pillow_identifies(data):
        return _load_tiff_with_opencv(data, name, limits, verify_side)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bomb and corrupt-EXIF warnings: we raise our own errors
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            if w <= 0 or h <= 0:
                raise InputError(f"{name}: the image has no pixels ({w}x{h})")
            if w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
                raise InputError(f"{name}: the image is {w}x{h} pixels, more than the limit of "
                                 f"{limits.max_pixels / 1e6:.0f} megapixels (possible decompression bomb)")
            real_fmt = im.format or fmt
            if real_fmt not in ALLOWED_FORMATS:
                raise InputError(f"{name}: {real_fmt} images are not supported")
            frames = _count_frames(im, data, real_fmt, limits, name)
            orientation = exif_orientation(im)
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(f"{name}: the image has too many pixels (possible decompression bomb)") from exc
    except ValueError as exc:
        if "MAX_TEXT" in str(exc) or "text chunks" in str(exc):
            raise InputError(f"{name}: the PNG holds a compressed text chunk that expands beyond the "
                             "limit (a decompression bomb in its metadata)") from exc
        raise InputError(f"{name}: the {fmt} data is damaged or truncated ({_short(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - hostile headers can raise anything inside a plugin
        raise InputError(f"{name}: the {fmt} data is damaged or truncated ({_short(exc)})") from exc
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    img = LoadedImage(data, name, "JPEG" if real_fmt == "MPO" else real_fmt, w, h, frames,
                      hashlib.sha256(data).hexdigest(), orientation)
    if verify_side is not None:
        img.rgb(verify_side)
    return img


def _check_structure(data: bytes, fmt: str, limits: Limits, name: str) -> None:
    """Refuse parser bombs before Pillow walks the file: too many chunks, segments or scans."""
    if fmt == "PNG":
        n = png_chunk_count(data, limits.max_chunks + 1)
        if n > limits.max_chunks:
            raise InputError(f"{name}: the PNG has more than {limits.max_chunks} chunks (a parser bomb)")
    elif fmt == "JPEG":
        segments, scans = jpeg_marker_counts(data, limits.max_chunks + 1, limits.max_scans + 1)
        if segments > limits.max_chunks:
            raise InputError(f"{name}: the JPEG has more than {limits.max_chunks} marker segments "
                             "(a parser bomb)")
        if scans > limits.max_scans:
            raise InputError(f"{name}: the JPEG has more than {limits.max_scans} scans (a decoder bomb)")


def png_chunk_count(data: bytes, stop: int) -> int:
    """Chunks of a PNG up to IEND, counting stops at ``stop`` or where the data runs out."""
    pos, n, end = 8, 0, len(data)
    while pos + 8 <= end and n < stop:
        length = int.from_bytes(data[pos:pos + 4], "big")
        n += 1
        if data[pos + 4:pos + 8] == b"IEND":
            break
        pos += 12 + length
    return n


def jpeg_marker_counts(data: bytes, stop_segments: int, stop_scans: int) -> tuple[int, int]:
    """(marker segments, scans) of the first image of a JPEG (up to its EOI), without decoding.

    Counting stops at ``stop_segments`` or ``stop_scans``. Bytes between segments that are not a
    marker are skipped to the next 0xFF, and a segment's length is taken as written: the counts are a
    cap on parser work, so a damaged file is counted, not judged.
    """
    segments = scans = 0
    for seg in jpeg.segments(data, resync=True):
        if seg.standalone:
            continue
        segments += 1
        scans += seg.marker == jpeg.SOS
        if segments >= stop_segments or scans >= stop_scans:
            break
    return segments, scans


def _count_frames(im: Image.Image, data: bytes, fmt: str, limits: Limits, name: str) -> int:
    """Frames (pages) in the file, counted from the container without decoding any of them.

    Why not ``im.seek``: seeking in a GIF or APNG composites every frame onto the full canvas, so a
    few-KB file with 1,000 one-pixel frames on an 8000x8000 canvas costs minutes before any check.
    """
    if fmt == "GIF":
        n = gif_frame_count(data, limits.max_frames + 1)
    elif fmt == "TIFF":
        n = tiff_page_count(data, limits.max_frames + 1)
    else:  # PNG (acTL), WebP (demuxer), MPO (MP index), HEIF/AVIF: read from headers by Pillow
        n = int(getattr(im, "n_frames", 1) or 1)
    if n > limits.max_frames:
        kind = "pages" if fmt == "TIFF" else "frames"
        raise InputError(f"{name}: the {'TIFF' if fmt == 'TIFF' else 'animation'} has more than "
                         f"{limits.max_frames} {kind}")
    return max(n, 1)


def gif_frame_count(data: bytes, stop: int) -> int:
    """Image descriptors in a GIF, found by walking its blocks (sub-blocks skipped by length).

    Counting stops at ``stop``; a truncated file counts the frames seen so far.
    """
    n = 0
    try:
        flags = data[10]
        pos = 13 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
        end = len(data)
        while pos < end and n < stop:
            block = data[pos]
            if block == 0x3B:  # trailer
                break
            if block == 0x21:  # extension: label, then sub-blocks
                pos += 2
            elif block == 0x2C:  # image descriptor, optional local colour table, LZW code size
                n += 1
                lflags = data[pos + 9]
                pos += 10 + ((3 << ((lflags & 7) + 1)) if lflags & 0x80 else 0) + 1
            else:
                break
            while pos < end and data[pos]:
                pos += data[pos] + 1
            pos += 1
        return n
    except IndexError:
        return n


def tiff_page_count(data: bytes, stop: int) -> int:
    """Pages (IFDs) of a TIFF without decoding them; a loop in the chain counts each IFD once."""
    reader = TiffReader.open(data)
    return len(reader.ifd_chain(stop)) if reader else 0


def _pillow_identifies(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.open(io.BytesIO(data))
        return True
    except Exception:  # noqa: BLE001
        return False


def _tiff_first_ifd(data: bytes) -> dict[int, tuple[int, ...]]:
    """Tag -> values (SHORT and LONG tags of 1..64 values) of the first IFD of a classic TIFF, read
    without decoding anything; {} when the header cannot be read. A value the data cuts short ends
    the read (the tags before it are kept)."""
    tags: dict[int, tuple[int, ...]] = {}
    reader = TiffReader.open(data)
    ifd0 = reader.first_ifd if reader else None
    if ifd0 is None:
        return tags
    for entry in reader.entries(ifd0, limit=512):
        if entry.type not in (tiff.SHORT, tiff.LONG) or not 0 < entry.count <= 64:
            continue
        values = reader.ints(entry)
        if values is None:
            break
        tags[entry.tag] = values
    return tags


def tiff_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first IFD of a TIFF, read without decoding anything."""
    tags = _tiff_first_ifd(data)
    if 256 in tags and 257 in tags:
        return tags[256][0], tags[257][0]
    return None


def _opencv_misreads(data: bytes) -> bool:
    """True for a TIFF layout OpenCV decodes into uninitialised memory: samples wider than 16 bits
    stored as separate planes (PlanarConfiguration 2). libtiff's RGBA reader refuses them and
    OpenCV's own reader then fills only part of the buffer, so the rest of the "pixels" is whatever
    the heap held (scikit-image's multipage_rgb.tif: 64-bit float planes, different every run)."""
    tags = _tiff_first_ifd(data)
    return tags.get(284, (1,))[0] == 2 and max(tags.get(258, (1,))) > 16


class _ArrayImage(LoadedImage):
    """A LoadedImage whose pixels were decoded by OpenCV (formats Pillow cannot open)."""

    def __init__(self, data: bytes, source: str, rgb: np.ndarray, sha256: str, frames: int) -> None:
        super().__init__(data, source, "TIFF", rgb.shape[1], rgb.shape[0], frames, sha256)
        self._full = rgb

    def _decode(self, max_side: int | None) -> np.ndarray:
        arr = self._full
        if max_side is not None:
            h, w = arr.shape[:2]
            scale = max_side / max(h, w)
            if scale < 1:
                arr = cv2.resize(arr, (max(1, round(w * scale)), max(1, round(h * scale))),
                                 interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(arr)


def _scale_to_uint8(page: np.ndarray) -> np.ndarray:
    """8-bit pixels from OpenCV's 16-bit, 32-bit or float output (NaN and inf made finite)."""
    if page.dtype == np.uint16:
        return (page.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    with np.errstate(over="ignore", invalid="ignore"):  # float64 beyond float32 range becomes inf, then 0
        arr = np.nan_to_num(page.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(arr.min(initial=0.0)), float(arr.max(initial=0.0))
    if np.issubdtype(page.dtype, np.floating) and lo >= 0.0 and hi <= 1.0:
        return (arr * 255.0 + 0.5).astype(np.uint8)
    return np.clip((arr - lo) / max(hi - lo, 1e-9) * 255.0, 0, 255).astype(np.uint8)


def _load_tiff_with_opencv(data: bytes, name: str, limits: Limits, verify_side: int | None) -> LoadedImage:
    size = tiff_size(data)
    if size is None:
        raise InputError(f"{name}: the TIFF header cannot be read")
    w, h = size
    if w <= 0 or h <= 0 or w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
        raise InputError(f"{name}: the image is {w}x{h} pixels, outside the allowed size "
                         "(possible decompression bomb)")
    pages = tiff_page_count(data, limits.max_frames + 1)
    if pages > limits.max_frames:
        raise InputError(f"{name}: the TIFF has more than {limits.max_frames} pages")
    if _opencv_misreads(data):
        raise InputError(f"{name}: TIFF samples wider than 16 bits in separate planes are not supported "
                         "(convert the image to 8-bit RGB)")
    # only the first page is decoded: decoding every page of a many-page file is a memory bomb
    level = cv2.utils.logging.getLogLevel()
    # libtiff's complaints about a hostile file are not for the user's terminal
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        page = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    finally:
        cv2.utils.logging.setLogLevel(level)
    if page is None or page.size == 0:
        raise InputError(f"{name}: the TIFF data cannot be decoded")
    if page.dtype != np.uint8:
        page = _scale_to_uint8(page)
    if page.ndim == 2:
        page = np.stack([page] * 3, axis=-1)
    elif page.shape[2] == 4:
        page = cv2.cvtColor(page, cv2.COLOR_BGRA2RGB)
    else:
        page = cv2.cvtColor(page[:, :, :3], cv2.COLOR_BGR2RGB)
    return _ArrayImage(data, name, page, hashlib.sha256(data).hexdigest(), max(pages, 1))
