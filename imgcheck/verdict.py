"""Turn Evidence into flags, a verdict and plain-language reasons.

``flagged``: at least one strong flag (a bank match, signed or written provenance, a watermark, an
inconsistent profile). ``suspicious``: only statistical signals (the pixel detector, face geometry).
``clear``: no flag. ``error``: the image itself could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable

from imgcheck.types import Evidence, Verdict

#: flags that are statistical signals: on their own they make a report "suspicious", not "flagged"
#: (``provenance_broken``: Content Credentials that no longer match the file, i.e. edited after signing)
WEAK_FLAGS: frozenset[str] = frozenset({"ai_generated", "gan_face_geometry", "provenance_broken"})

#: order in which flags are listed (most decisive first)
FLAG_ORDER: tuple[str, ...] = ("known_image", "known_face", "inconsistent_faces", "ai_provenance",
                               "ai_watermark", "ai_generated", "gan_face_geometry", "provenance_broken")


def collect_flags(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    found: list[str] = []
    for ev in evidence:
        if ev.status == "flag":
            found += [f for f in ev.flags if f not in found]
    rank = {f: i for i, f in enumerate(FLAG_ORDER)}
    return tuple(sorted(found, key=lambda f: rank.get(f, len(rank))))


def decide(flags: Iterable[str]) -> Verdict:
    flags = set(flags)
    if flags - WEAK_FLAGS:
        return "flagged"
    if flags:
        return "suspicious"
    return "clear"


def reasons(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    return tuple(ev.reason for ev in evidence if ev.status == "flag")
