"""Read "stealth pnginfo": generation parameters hidden in the lowest bits of a PNG's pixels.

An AUTOMATIC1111 extension (and NovelAI, for its own metadata) writes the parameters text into the
least significant bits of the pixels, so that they survive tools that drop PNG text chunks. The
layout, read here from its description:

- the bit stream runs over pixels column by column (x outer, y inner); in the *alpha* variant each
  pixel gives one bit (alpha & 1), in the *RGB* variant three (R & 1, G & 1, B & 1 in that order);
- the stream starts with a 15-byte signature, 8 bits per byte, most significant bit first:
  ``stealth_pnginfo`` / ``stealth_pngcomp`` (alpha, plain / gzip) or ``stealth_rgbinfo`` /
  ``stealth_rgbcomp`` (RGB, plain / gzip);
- then the payload length in bits as a 32-bit unsigned integer (MSB first), then the payload: UTF-8
  text, or a gzip stream of it.

Row-major order is tried as well (some re-implementations use it). The payload is capped like PNG
text (``containers.MAX_TEXT_BYTES``), gzip is inflated with a hard output limit, and nothing here
raises for a hostile file.
"""

from __future__ import annotations

import io
import json
import warnings
import zlib
from dataclasses import dataclass

import numpy as np

from imgcheck.provenance.containers import MAX_TEXT_BYTES, TextField

#: signature -> (channel variant, gzip-compressed)
SIGNATURES: dict[bytes, tuple[str, bool]] = {
    b"stealth_pnginfo": ("alpha", False), b"stealth_pngcomp": ("alpha", True),
    b"stealth_rgbinfo": ("rgb", False), b"stealth_rgbcomp": ("rgb", True),
}
SIG_BITS = 15 * 8
LEN_BITS = 32
#: images larger than this are not decoded for hidden bits (the loader caps sizes anyway)
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class StealthText:
    variant: str        # "alpha" | "rgb"
    compressed: bool
    order: str          # "columns" | "rows"
    text: str

    @property
    def where(self) -> str:
        return f"PNG stealth pnginfo ({self.variant}{', gzip' if self.compressed else ''})"


def _stream(arr: np.ndarray, variant: str, order: str) -> np.ndarray:
    """The LSB plane(s) as one flat uint8 array in reading order (a view-free copy of the bits only)."""
    planes = arr[:, :, 3:4] if variant == "alpha" else arr[:, :, :3]
    if order == "columns":
        planes = planes.transpose(1, 0, 2)
    return (planes.reshape(-1) & 1).astype(np.uint8)


def _to_bytes(bits: np.ndarray) -> bytes:
    return np.packbits(bits[: len(bits) // 8 * 8]).tobytes()


def _gunzip(blob: bytes) -> bytes | None:
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return d.decompress(blob, MAX_TEXT_BYTES)
    except zlib.error:
        return None


def read_bits(arr: np.ndarray) -> tuple[StealthText | None, str]:
    """(the hidden text, "") or (None, a note when a signature was found but the payload is damaged)."""
    if arr.ndim != 3 or arr.shape[2] < 3:
        return None, ""
    variants = ("alpha", "rgb") if arr.shape[2] >= 4 else ("rgb",)
    for variant in variants:
        for order in ("columns", "rows"):
            per_px = 1 if variant == "alpha" else 3
            h, w = arr.shape[:2]
            need = SIG_BITS + LEN_BITS
            if h * w * per_px < need:
                continue
            # read only the leading pixels until a signature is found
            head_px = -(-need // per_px)
            if order == "columns":
                cols = -(-head_px // h)
                head = _stream(arr[:, :cols], variant, order)[:need]
            else:
                rows = -(-head_px // w)
                head = _stream(arr[:rows], variant, order)[:need]
            sig = _to_bytes(head[:SIG_BITS])
            if sig not in SIGNATURES or SIGNATURES[sig][0] != variant:
                continue
            compressed = SIGNATURES[sig][1]
            n_bits = int.from_bytes(_to_bytes(head[SIG_BITS:need]), "big")
            available = h * w * per_px - need
            if n_bits <= 0 or n_bits > available or n_bits > MAX_TEXT_BYTES * 8:
                return None, f"stealth pnginfo signature {sig.decode()} found but its length ({n_bits} bits) is invalid"
            bits = _stream(arr, variant, order)[need:need + n_bits]
            payload = _to_bytes(bits)
            if compressed:
                inflated = _gunzip(payload)
                if inflated is None:
                    return None, f"stealth pnginfo signature {sig.decode()} found but its gzip payload is damaged"
                payload = inflated
            return StealthText(variant, compressed, order, payload[:MAX_TEXT_BYTES].decode("utf-8", "replace")), ""
    return None, ""


def read(data: bytes) -> tuple[list[TextField], list[str]]:
    """Text fields hidden in a PNG's pixel LSBs (as PNG text would give them) and notes; never raises."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(data))
            if im.width * im.height > MAX_PIXELS or im.width * im.height * 4 < SIG_BITS:
                return [], []
            if im.mode not in ("RGB", "RGBA"):
                if im.mode not in ("P", "PA", "LA", "L") and not im.mode.startswith("RGB"):
                    return [], []
                im = im.convert("RGBA" if ("A" in im.mode or "transparency" in im.info) else "RGB")
            arr = np.asarray(im)
    except Exception:  # noqa: BLE001 - damaged pixels hide nothing; the loader reports damage itself
        return [], []
    found, note = read_bits(arr)
    if found is None:
        return [], [note] if note else []
    return fields_of(found), []


def fields_of(found: StealthText) -> list[TextField]:
    """The hidden text as text fields: an A1111 parameters string is one ``parameters`` field; a JSON
    object of string values (NovelAI writes its text chunks so) gives one field per key."""
    text = found.text.strip()
    if text[:1] == "{":
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict) and obj and all(isinstance(k, str) for k in obj):
            out = []
            for k, v in list(obj.items())[:64]:
                value = v if isinstance(v, str) else json.dumps(v)
                out.append(TextField(found.where, k[:80], value[:MAX_TEXT_BYTES]))
            return out
    return [TextField(found.where, "parameters", text)]
