"""Read provenance fields from XMP packets.

XMP in the wild is often truncated, mixes attribute and element forms, and sometimes declares
entities; an XML parser would reject the first and must be guarded against the last. The fields we
need are simple properties, so they are found by local name with bounded regular expressions, in both
forms (``prefix:Name="v"``, ``<prefix:Name>v</prefix:Name>``, ``<prefix:Name rdf:resource="v"/>``), and
language alternatives (``rdf:Alt/rdf:li``) are flattened to their text.
"""

from __future__ import annotations

import html
import re

#: local names read from XMP (IPTC Extension incl. the 2025.1 AI properties, XMP basic, TIFF, DC ...)
FIELDS: tuple[str, ...] = (
    "DigitalSourceType", "AISystemUsed", "AISystemVersionUsed", "AIPromptInformation", "AIPromptWriterName",
    "CreatorTool", "Software", "Make", "Model", "LensModel", "Credit", "description", "title", "creator",
    "UserComment", "ImageDescription", "Source", "DateTimeOriginal",
)
MAX_VALUES_PER_FIELD = 8
MAX_VALUE_CHARS = 64_000

_TAG_RE = re.compile(r"<[^<>]{0,2000}>")


MAX_SCAN_CHARS = 2_000_000     # of one packet (real packets are far smaller; the rest is ignored)


def _patterns(names: list[str]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    alt = "|".join(names)
    attr = re.compile(r"[\s<][\w.-]{1,40}:(" + alt + r""")\s*=\s*(?:"([^"]{0,65536})"|'([^']{0,65536})')""")
    resource = re.compile(r"<[\w.-]{1,40}:(" + alt + r""")\b[^<>]{0,2000}?rdf:resource\s*=\s*["']([^"']{0,4096})["']""")
    elem = re.compile(r"<([\w.-]{1,40}):(" + alt + r")(?:\s[^<>]{0,2000})?>(.{0,65536}?)</\1:\2\s*>", re.DOTALL)
    return attr, resource, elem


def read_fields(packet: str) -> dict[str, list[str]]:
    """Values by local field name (several when the packet repeats a property).

    Cost is bounded: only names that occur in the packet are searched for, in three passes whatever
    their number, over at most ``MAX_SCAN_CHARS`` characters.
    """
    packet = packet[:MAX_SCAN_CHARS]
    names = [n for n in FIELDS if n in packet]
    if not names:
        return {}
    attr, resource, elem = _patterns(names)
    raw: dict[str, list[str]] = {}

    def keep(name: str, value: str) -> None:
        vals = raw.setdefault(name, [])
        if len(vals) < MAX_VALUES_PER_FIELD:
            vals.append(value)

    for m in attr.finditer(packet):
        keep(m.group(1), m.group(2) if m.group(2) is not None else m.group(3) or "")
    for m in resource.finditer(packet):
        keep(m.group(1), m.group(2))
    for m in elem.finditer(packet):
        keep(m.group(2), _TAG_RE.sub(" ", m.group(3)))
    out: dict[str, list[str]] = {}
    for name, values in raw.items():
        cleaned: list[str] = []
        for v in values:
            text = " ".join(html.unescape(v).split())[:MAX_VALUE_CHARS]
            if text and text not in cleaned:
                cleaned.append(text)
        if cleaned:
            out[name] = cleaned
    return out


def source_type_name(value: str) -> str:
    """``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia`` -> ``trainedAlgorithmicMedia``."""
    return value.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
