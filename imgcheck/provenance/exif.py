"""Read the handful of EXIF fields that tell who or what made an image.

A minimal TIFF reader: IFD0 and the Exif sub-IFD only, text-like tags only, every count and offset
checked against the blob, a fixed cap on entries. Unknown or malformed entries are skipped.
"""

from __future__ import annotations

import struct

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
EXIF_IFD_TAG = 0x8769
MAX_ENTRIES = 512
MAX_VALUE_BYTES = 1 << 20
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


def read_fields(blob: bytes) -> tuple[dict[str, str], bytes | None]:
    """Text fields of one EXIF/TIFF blob and its embedded XMP (TIFF tag 700), if any.

    Never raises: a damaged blob yields what could be read before the damage.
    """
    out: dict[str, str] = {}
    xmp: bytes | None = None
    if blob[:4] == b"II*\x00":
        end = "<"
    elif blob[:4] == b"MM\x00*":
        end = ">"
    else:
        return out, None
    try:
        (ifd0,) = struct.unpack(end + "I", blob[4:8])
    except struct.error:
        return out, None
    seen: set[int] = set()
    queue = [ifd0]
    while queue and len(seen) < 4:
        off = queue.pop(0)
        if off in seen or off < 8 or off + 2 > len(blob):
            continue
        seen.add(off)
        (count,) = struct.unpack(end + "H", blob[off:off + 2])
        for i in range(min(count, MAX_ENTRIES)):
            entry = blob[off + 2 + 12 * i: off + 14 + 12 * i]
            if len(entry) < 12:
                break
            tag, typ, n = struct.unpack(end + "HHI", entry[:8])
            size = _TYPE_SIZES.get(typ, 0) * n
            if tag == EXIF_IFD_TAG and typ in (4, 13):
                queue.append(struct.unpack(end + "I", entry[8:12])[0])
                continue
            if tag not in TAGS and tag != XMP_TAG:
                continue
            if size <= 0 or size > MAX_VALUE_BYTES:
                continue
            if size <= 4:
                raw = entry[8:8 + size]
            else:
                (voff,) = struct.unpack(end + "I", entry[8:12])
                raw = blob[voff:voff + size]
            if tag == XMP_TAG:
                xmp = raw
                continue
            name = TAGS[tag]
            text = _decode(name, raw, end)
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
