"""Read the handful of EXIF fields that tell who or what made an image.

IFD0 and the Exif sub-IFD only (read with ``formats.tiff``, which checks every count and offset
against the blob), text-like tags only, a fixed cap on entries. Unknown or malformed entries are
skipped.
"""

from __future__ import annotations

from imgcheck.formats import tiff
from imgcheck.formats.tiff import TiffReader

#: tag id -> field name (IFD0 and Exif IFD); all are text for our purposes
TAGS: dict[int, str] = {
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x013B: "Artist",
    0x8298: "Copyright",
    0x000B: "ProcessingSoftware",
    0x9003: "DateTimeOriginal",
    0x9286: "UserComment",
    0xA433: "LensMake",
    0xA434: "LensModel",
    0x9C9B: "XPTitle",
    0x9C9C: "XPComment",
    0x9C9D: "XPAuthor",
    0x9C9E: "XPKeywords",
    0x9C9F: "XPSubject",
}
XMP_TAG = 0x02BC
EXIF_IFD_TAG = tiff.EXIF_IFD
MAX_ENTRIES = 512
MAX_VALUE_BYTES = 1 << 20


def read_fields(blob: bytes) -> tuple[dict[str, str], bytes | None]:
    """Text fields of one EXIF/TIFF blob and its embedded XMP (TIFF tag 700), if any.

    Never raises: a damaged blob yields what could be read before the damage.
    """
    out: dict[str, str] = {}
    xmp: bytes | None = None
    reader = TiffReader.open(blob)
    ifd0 = reader.first_ifd if reader else None
    if ifd0 is None:
        return out, None
    seen: set[int] = set()
    queue = [ifd0]
    while queue and len(seen) < 4:
        off = queue.pop(0)
        if off in seen or off < 8 or off + 2 > len(blob):
            continue
        seen.add(off)
        for entry in reader.entries(off, limit=MAX_ENTRIES):
            if entry.tag == EXIF_IFD_TAG and entry.type in (tiff.LONG, tiff.IFD):
                queue.append(reader.u32_field(entry))
                continue
            if entry.tag not in TAGS and entry.tag != XMP_TAG:
                continue
            if not 0 < entry.size <= MAX_VALUE_BYTES:
                continue
            raw = reader.value(entry)
            if entry.tag == XMP_TAG:
                xmp = raw
                continue
            name = TAGS[entry.tag]
            text = _decode(name, raw, reader.order)
            if text:
                out.setdefault(name, text)
    return out, xmp


def _decode(name: str, raw: bytes, end: str) -> str:
    if name == "UserComment":
        return decode_user_comment(raw, end)
    if name.startswith("XP"):
        return raw.decode("utf-16-le", errors="replace").rstrip("\x00").strip()
    return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace").strip()


def decode_user_comment(raw: bytes, end: str = ">") -> str:
    """EXIF UserComment: an 8-byte charset id, then the text.

    Writers disagree on UTF-16 byte order for ``UNICODE`` (piexif, used by the AUTOMATIC1111 web UI,
    writes big-endian whatever the TIFF byte order), so both orders are tried and the one that reads
    as more plain text wins.
    """
    prefix, body = raw[:8], raw[8:]
    if prefix.startswith(b"UNICODE"):
        first = "utf-16-be" if end == ">" else "utf-16-le"
        second = "utf-16-le" if first == "utf-16-be" else "utf-16-be"
        cands = [body.decode(enc, errors="replace") for enc in (first, second)]
        text = max(cands, key=_plainness)
    elif prefix.startswith(b"ASCII") or prefix == b"\x00" * 8:
        text = body.decode("utf-8", errors="replace")
    elif prefix.startswith(b"JIS"):
        text = body.decode("shift_jis", errors="replace")
    else:  # no charset id at all (some writers): read the whole value as text
        text = raw.decode("utf-8", errors="replace")
    return text.replace("\x00", "").strip()


def _plainness(text: str) -> int:
    return sum(1 for c in text[:2000] if c.isascii() and (c.isprintable() or c in "\n\t"))
