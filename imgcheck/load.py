"""Safe image loading.

Bytes are sniffed by their signature (never by file name), capped in size, pixel count and
frame count before any pixel is decoded, and decoded at reduced scale when the caller does not
need full resolution (JPEG DCT scaling through Pillow ``draft``). Every failure is an
``InputError`` with a sentence a user can act on.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from imgcheck.errors import InputError
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
    if head[:4] in (b"II*\x00", b"MM\x00*"):
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
                 sha256: str) -> None:
        self.data = data
        self.source = source
        self.format = fmt
        self.width = width
        self.height = height
        self.frames = frames
        self.sha256 = sha256
        self._cache: dict[int | None, np.ndarray] = {}
        self._lock = threading.Lock()

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
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = Image.open(io.BytesIO(self.data))
                if max_side is not None and im.format == "JPEG":
                    # draft keeps the decoded size >= the request, so scale a bit above it
                    im.draft("RGB", (max_side, max_side))
                im.load()
                im = ImageOps.exif_transpose(im)
                arr = _to_rgb(im)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad input
            raise InputError(f"{self.source}: the image data is damaged or truncated ({_short(exc)})") from exc
        if max_side is not None:
            h, w = arr.shape[:2]
            scale = max_side / max(h, w)
            if scale < 1:
                size = (max(1, round(w * scale)), max(1, round(h * scale)))
                arr = cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(arr)


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:160]


def _to_rgb(im: Image.Image) -> np.ndarray:
    """RGB uint8 from any Pillow mode; transparency is composited on white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = arr.max() if arr.size else 1.0
        arr = np.clip(arr * (255.0 / (65535.0 if top > 255 else 255.0)), 0, 255).astype(np.uint8)
        return np.stack([arr] * 3, axis=-1)
    if im.mode == "F":
        arr = np.nan_to_num(np.asarray(im, dtype=np.float64))
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
    if fmt == "TIFF" and not _pillow_identifies(data):
        return _load_tiff_with_opencv(data, name, limits, verify_side)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
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
            frames = _count_frames(im, limits, name)
            orientation = im.getexif().get(0x0112, 1) if real_fmt in ("JPEG", "MPO", "TIFF", "WEBP", "PNG",
                                                                       "HEIF", "AVIF") else 1
    except InputError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputError(f"{name}: the image has too many pixels (possible decompression bomb)") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        raise InputError(f"{name}: the {fmt} data is damaged or truncated ({_short(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - hostile headers can raise anything inside a plugin
        raise InputError(f"{name}: the {fmt} data is damaged or truncated ({_short(exc)})") from exc
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    img = LoadedImage(data, name, "JPEG" if real_fmt == "MPO" else real_fmt, w, h, frames,
                      hashlib.sha256(data).hexdigest())
    if verify_side is not None:
        img.rgb(verify_side)
    return img


def _count_frames(im: Image.Image, limits: Limits, name: str) -> int:
    if not getattr(im, "is_animated", False):
        return 1
    n = 1
    try:
        while n <= limits.max_frames:
            im.seek(n)
            n += 1
    except EOFError:
        pass
    finally:
        im.seek(0)
    if n > limits.max_frames:
        raise InputError(f"{name}: the animation has more than {limits.max_frames} frames")
    return n



def _pillow_identifies(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.open(io.BytesIO(data))
        return True
    except Exception:  # noqa: BLE001
        return False


def tiff_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first IFD of a TIFF, read without decoding anything."""
    try:
        end = "<" if data[:2] == b"II" else ">"
        (off,) = struct.unpack(end + "I", data[4:8])
        (count,) = struct.unpack(end + "H", data[off:off + 2])
        dims: dict[int, int] = {}
        for i in range(min(count, 512)):
            entry = data[off + 2 + 12 * i: off + 14 + 12 * i]
            tag, typ = struct.unpack(end + "HH", entry[:4])
            if tag in (256, 257):
                value = struct.unpack(end + ("H" if typ == 3 else "I"), entry[8:10] if typ == 3 else entry[8:12])
                dims[tag] = value[0]
        return (dims[256], dims[257]) if 256 in dims and 257 in dims else None
    except (struct.error, IndexError):
        return None


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


def _load_tiff_with_opencv(data: bytes, name: str, limits: Limits, verify_side: int | None) -> LoadedImage:
    size = tiff_size(data)
    if size is None:
        raise InputError(f"{name}: the TIFF header cannot be read")
    w, h = size
    if w <= 0 or h <= 0 or w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
        raise InputError(f"{name}: the image is {w}x{h} pixels, outside the allowed size "
                         "(possible decompression bomb)")
    ok, pages = cv2.imdecodemulti(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if not ok or not pages:
        raise InputError(f"{name}: the TIFF data cannot be decoded")
    if len(pages) > limits.max_frames:
        raise InputError(f"{name}: the TIFF has more than {limits.max_frames} pages")
    page = pages[0]
    if page.dtype != np.uint8:
        page = page.astype(np.float64)
        lo, hi = float(np.nanmin(page)), float(np.nanmax(page))
        page = np.clip((page - lo) / max(hi - lo, 1e-9) * 255, 0, 255).astype(np.uint8)
    if page.ndim == 2:
        page = np.stack([page] * 3, axis=-1)
    elif page.shape[2] == 4:
        page = cv2.cvtColor(page, cv2.COLOR_BGRA2RGB)
    else:
        page = cv2.cvtColor(page[:, :, :3], cv2.COLOR_BGR2RGB)
    return _ArrayImage(data, name, page, hashlib.sha256(data).hexdigest(), len(pages))
