"""Pull metadata blocks out of an image file's bytes without decoding pixels.

Why not Pillow's ``info``: Pillow decompresses every PNG text chunk (up to its own large cap), reads
only some containers' XMP, and keeps EXIF of WebP and PNG in different places. Here one walker per
container returns the same ``MetadataBlocks`` for all of them, and every loop, chunk and decompressed
byte is capped, so a crafted file costs bounded time and memory and never raises.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from imgcheck.formats import jpeg, tiff

#: caps (a real file is far below every one of them)
MAX_BLOCKS = 64                 # EXIF blobs, XMP packets, text fields kept per file
MAX_TEXT_BYTES = 1 << 20        # one text value, after decompression
MAX_TOTAL_TEXT = 8 << 20        # all text values of one file, after decompression
MAX_SEGMENTS = 100_000          # JPEG segments / PNG or RIFF chunks walked
MAX_XMP_BYTES = 4 << 20         # one XMP packet (extended XMP included)
MAX_SCAN_BYTES = 64 << 20       # raw bytes scanned for XMP/EXIF in formats without a walker

_XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT_SIG = b"http://ns.adobe.com/xmp/extension/\x00"


@dataclass(frozen=True)
class TextField:
    """One named text value found in the file (PNG chunk, JPEG comment ...)."""

    where: str      # e.g. "PNG tEXt", "JPEG COM"
    key: str
    value: str


@dataclass(frozen=True)
class MetadataBlocks:
    container: str
    exif: tuple[bytes, ...] = ()        # TIFF-structured EXIF blobs (header included)
    xmp: tuple[str, ...] = ()           # XMP packets as text
    texts: tuple[TextField, ...] = ()
    has_c2pa_marker: bool = False       # a JUMBF/C2PA box is present (worth asking the C2PA reader)
    notes: tuple[str, ...] = ()         # what was skipped or malformed

    @property
    def empty(self) -> bool:
        return not (self.exif or self.xmp or self.texts)


@dataclass
class _Acc:
    exif: list[bytes] = field(default_factory=list)
    xmp: list[str] = field(default_factory=list)
    texts: list[TextField] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text_budget: int = MAX_TOTAL_TEXT

    def add_text(self, where: str, key: str, raw: bytes, encoding: str) -> None:
        if len(self.texts) >= MAX_BLOCKS:
            self.note("too many text fields; the rest were skipped")
            return
        raw = raw[:min(MAX_TEXT_BYTES, max(self.text_budget, 0))]
        self.text_budget -= len(raw)
        self.texts.append(TextField(where, key[:80], raw.decode(encoding, errors="replace")))

    def add_xmp(self, raw: bytes) -> None:
        if len(self.xmp) < MAX_BLOCKS and raw:
            self.xmp.append(raw[:MAX_XMP_BYTES].decode("utf-8", errors="replace"))

    def add_exif(self, raw: bytes) -> None:
        if raw.startswith(b"Exif\x00\x00"):
            raw = raw[6:]
        if len(self.exif) < MAX_BLOCKS and raw[:4] in tiff.HEADERS:
            self.exif.append(raw)

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 16:
            self.notes.append(text)


def extract(data: bytes, fmt: str) -> MetadataBlocks:
    """Metadata blocks of an image; ``fmt`` is the sniffed container name (LoadedImage.format)."""
    acc = _Acc()
    try:
        if fmt in ("JPEG", "MPO"):
            _walk_jpeg(data, acc)
        elif fmt == "PNG":
            _walk_png(data, acc)
        elif fmt == "WEBP":
            _walk_riff(data, acc)
        elif fmt == "TIFF":
            acc.add_exif(data[:MAX_SCAN_BYTES])   # the file is itself a TIFF structure
        else:
            _scan(data, acc)
    except (struct.error, IndexError, ValueError, zlib.error) as exc:  # pragma: no cover - walkers guard
        acc.note(f"metadata walk stopped: {type(exc).__name__}")
    if not acc.xmp and fmt in ("TIFF", "GIF", "HEIF", "AVIF", "BMP"):
        _scan_xmp(data, acc)
    head = data[:MAX_SCAN_BYTES]
    marker = b"c2pa" in head and (b"jumb" in head or b"caBX" in head)
    return MetadataBlocks(fmt, tuple(acc.exif), tuple(acc.xmp), tuple(acc.texts), marker, tuple(acc.notes))


# -- JPEG ------------------------------------------------------------------------------------------
def _walk_jpeg(data: bytes, acc: _Acc) -> None:
    ext_parts: dict[bytes, dict[int, bytes]] = {}
    walk = jpeg.segments(data)
    for n, seg in enumerate(walk):
        if n >= MAX_SEGMENTS:
            break
        if seg.standalone:
            continue
        if seg.marker == jpeg.SOS:  # metadata lives before the image data
            break
        if not seg.complete(data):
            acc.note("JPEG segment runs past the end of the file")
            break
        body = seg.payload(data)
        if seg.marker == jpeg.APP1:
            if body.startswith(b"Exif\x00\x00"):
                acc.add_exif(body)
            elif body.startswith(_XMP_SIG):
                acc.add_xmp(body[len(_XMP_SIG):])
            elif body.startswith(_XMP_EXT_SIG) and len(body) >= len(_XMP_EXT_SIG) + 40:
                rest = body[len(_XMP_EXT_SIG):]
                guid, (offset,) = rest[:32], struct.unpack(">I", rest[36:40])
                parts = ext_parts.setdefault(guid, {})
                if len(ext_parts) <= 4 and sum(len(p) for p in parts.values()) < MAX_XMP_BYTES:
                    parts[offset] = rest[40:]
        elif seg.marker == jpeg.COM:
            acc.add_text("JPEG COM", "Comment", body, "utf-8")
    if walk.broken is not None:
        acc.note("JPEG segment structure broken before the image data")
    for parts in ext_parts.values():
        acc.add_xmp(b"".join(parts[k] for k in sorted(parts)))


# -- PNG -------------------------------------------------------------------------------------------
def _inflate(raw: bytes, limit: int) -> bytes | None:
    """Decompress at most ``limit`` bytes; None when the stream is damaged."""
    try:
        d = zlib.decompressobj()
        out = d.decompress(raw, limit)
        return out
    except zlib.error:
        return None


def _walk_png(data: bytes, acc: _Acc) -> None:
    pos, n, chunks = 8, len(data), 0
    while pos + 8 <= n and chunks < MAX_SEGMENTS:
        chunks += 1
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        start, end = pos + 8, pos + 8 + length
        if end + 4 > n:
            acc.note(f"PNG chunk {ctype!r} runs past the end of the file")
            end = min(end, n)
        body = data[start:end]
        if ctype == b"IEND":
            break
        if ctype == b"tEXt":
            key, _, text = body.partition(b"\x00")
            acc.add_text("PNG tEXt", key.decode("latin-1"), text, "latin-1")
        elif ctype == b"zTXt":
            key, _, rest = body.partition(b"\x00")
            text = _inflate(rest[1:], min(MAX_TEXT_BYTES, max(acc.text_budget, 0)))
            if text is None:
                acc.note("a compressed PNG text chunk is damaged")
            else:
                acc.add_text("PNG zTXt", key.decode("latin-1"), text, "latin-1")
        elif ctype == b"iTXt":
            _png_itxt(body, acc)
        elif ctype == b"eXIf":
            acc.add_exif(body)
        pos = end + 4
    if chunks >= MAX_SEGMENTS:
        acc.note("too many PNG chunks; the rest were not read")


def _png_itxt(body: bytes, acc: _Acc) -> None:
    key, _, rest = body.partition(b"\x00")
    if len(rest) < 2:
        return
    compressed, rest = rest[0], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _tkey, _, text = rest.partition(b"\x00")
    if compressed:
        inflated = _inflate(text, min(MAX_TEXT_BYTES, max(acc.text_budget, 0)))
        if inflated is None:
            acc.note("a compressed PNG text chunk is damaged")
            return
        text = inflated
    name = key.decode("latin-1")
    if name == "XML:com.adobe.xmp":
        acc.add_xmp(text)
    else:
        acc.add_text("PNG iTXt", name, text, "utf-8")


# -- WebP (RIFF) -----------------------------------------------------------------------------------
def _walk_riff(data: bytes, acc: _Acc) -> None:
    pos, n, chunks = 12, len(data), 0
    while pos + 8 <= n and chunks < MAX_SEGMENTS:
        chunks += 1
        fourcc, size = struct.unpack("<4sI", data[pos:pos + 8])
        body = data[pos + 8:min(pos + 8 + size, n)]
        if fourcc == b"EXIF":
            acc.add_exif(body)
        elif fourcc == b"XMP ":
            acc.add_xmp(body)
        pos += 8 + size + (size & 1)


# -- other containers (HEIF/AVIF/GIF/TIFF): XMP and EXIF are stored as plain bytes ---------------
def _scan_xmp(data: bytes, acc: _Acc) -> None:
    view = data[:MAX_SCAN_BYTES]
    start = 0
    while len(acc.xmp) < 4:
        i = view.find(b"<x:xmpmeta", start)
        if i < 0:
            break
        j = view.find(b"</x:xmpmeta>", i, i + MAX_XMP_BYTES)
        if j < 0:
            acc.note("an XMP packet is not closed")
            break
        acc.add_xmp(view[i:j + 12])
        start = j + 12


def _scan(data: bytes, acc: _Acc) -> None:
    view = data[:MAX_SCAN_BYTES]
    for sig in (b"Exif\x00\x00" + header for header in tiff.HEADERS):
        i = view.find(sig)
        if i >= 0:
            acc.add_exif(view[i:i + (1 << 20)])
