"""TIFF image file directories (IFDs), read without decoding (TIFF 6.0, section 2).

One reader for every TIFF structure imgcheck looks into: a TIFF file (page count, size, sample
layout), and the EXIF block of a JPEG, PNG or WebP, which is a small TIFF (orientation, camera and
software fields, the Exif sub-IFD). Classic TIFF only (not BigTIFF). Offsets and counts come from the
file, so every read is checked against the bytes; nothing here raises on a damaged file.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

HEADERS = (b"II*\x00", b"MM\x00*")
#: bytes per value of each field type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED, SSHORT,
#: SLONG, SRATIONAL, FLOAT, DOUBLE)
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
SHORT, LONG, IFD = 3, 4, 13

ORIENTATION = 0x0112
EXIF_IFD = 0x8769


@dataclass(frozen=True, slots=True)
class Entry:
    """One 12-byte IFD entry: tag, field type, value count and the 4-byte value field (the value
    itself when it fits in 4 bytes, else the offset of the value)."""

    tag: int
    type: int
    count: int
    field: bytes

    @property
    def size(self) -> int:
        """Bytes of the value (0 for an unknown type)."""
        return TYPE_SIZES.get(self.type, 0) * self.count


class TiffReader:
    """A classic TIFF structure in ``data`` (a TIFF file, or an EXIF block without its ``Exif\\0\\0``).

    Build it with ``TiffReader.open``, which returns None when the header is not a TIFF header.
    """

    def __init__(self, data: bytes, order: str) -> None:
        self.data = data
        #: struct byte order: "<" (II, Intel) or ">" (MM, Motorola)
        self.order = order

    @classmethod
    def open(cls, data: bytes) -> TiffReader | None:
        if data[:4] not in HEADERS:
            return None
        return cls(data, "<" if data[:2] == b"II" else ">")

    def u16(self, at: int) -> int | None:
        raw = self.data[at:at + 2] if at >= 0 else b""
        return struct.unpack(self.order + "H", raw)[0] if len(raw) == 2 else None

    def u32(self, at: int) -> int | None:
        raw = self.data[at:at + 4] if at >= 0 else b""
        return struct.unpack(self.order + "I", raw)[0] if len(raw) == 4 else None

    @property
    def first_ifd(self) -> int | None:
        """Offset of IFD0 (None when the header is cut short)."""
        return self.u32(4)

    def entry_count(self, ifd: int) -> int | None:
        """The entry count written at ``ifd`` (None when it lies outside the data)."""
        return self.u16(ifd)

    def entries(self, ifd: int, limit: int | None = None) -> Iterator[Entry]:
        """The entries of the IFD at ``ifd``, at most ``limit`` of them, up to the first one the data
        cuts short."""
        count = self.entry_count(ifd)
        if count is None:
            return
        if limit is not None:
            count = min(count, limit)
        data, fmt = self.data, self.order + "HHI"
        for i in range(count):
            at = ifd + 2 + 12 * i
            raw = data[at:at + 12]
            if len(raw) < 12:
                return
            tag, typ, n = struct.unpack(fmt, raw[:8])
            yield Entry(tag, typ, n, raw[8:])

    def next_ifd(self, ifd: int) -> int | None:
        """The offset written after the IFD at ``ifd`` (0: the last one; None when cut short)."""
        count = self.entry_count(ifd)
        return None if count is None else self.u32(ifd + 2 + 12 * count)

    def ifd_chain(self, stop: int) -> list[int]:
        """Offsets of the IFD chain from IFD0 (one per page), at most ``stop`` of them; a loop in the
        chain lists each IFD once."""
        seen: list[int] = []
        off = self.first_ifd
        while off and off not in seen and len(seen) < stop and self.entry_count(off) is not None:
            seen.append(off)
            off = self.next_ifd(off)
        return seen

    def value(self, entry: Entry, max_bytes: int | None = None) -> bytes:
        """The value bytes of an entry: in its field when they fit in 4 bytes, else at the offset the
        field holds (cut where the data ends). Empty for an unknown type or one over ``max_bytes``."""
        size = entry.size
        if size <= 0 or (max_bytes is not None and size > max_bytes):
            return b""
        if size <= 4:
            return entry.field[:size]
        at = self.u32_field(entry)
        return self.data[at:at + size]

    def u32_field(self, entry: Entry) -> int:
        """The value field read as one LONG (an offset, or a single LONG value)."""
        return struct.unpack(self.order + "I", entry.field)[0]

    def first_int(self, entry: Entry) -> int | None:
        """The first value of a SHORT or LONG entry of at least one value, read from its value field
        (where a single value lives); None for another type."""
        if entry.type not in (SHORT, LONG) or entry.count < 1:
            return None
        code = "H" if entry.type == SHORT else "I"
        return struct.unpack(self.order + code, entry.field[:struct.calcsize(code)])[0]

    def ints(self, entry: Entry, max_count: int = 64) -> tuple[int, ...] | None:
        """The values of a SHORT or LONG entry of 1..``max_count`` values; None for another type,
        count or a value the data cuts short."""
        if entry.type not in (SHORT, LONG) or not 0 < entry.count <= max_count:
            return None
        raw = self.value(entry)
        if len(raw) < entry.size:
            return None
        return struct.unpack(self.order + ("H" if entry.type == SHORT else "I") * entry.count, raw)
