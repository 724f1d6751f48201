"""Turn Evidence into flags, a verdict and plain-language reasons.

``flagged``: at least one strong flag (a bank match, signed or written provenance, a watermark, an
inconsistent profile). ``suspicious``: only statistical signals (the pixel detector, face geometry).
``incomplete``: no flag, but a requested check did not run (status ``error``: a missing model, a
check that raised), so nothing may read as "clear". ``clear``: every check ran and none flagged.
``error``: the image itself could not be read (for a profile: no photo could be read).

A flag outranks a failed check (a bank match is a finding whatever else failed); the failed checks
are still listed in the report (``failed_checks``).
"""

from __future__ import annotations

from collections.abc import Iterable

from imgcheck.types import Evidence, FailedCheck, Verdict

#: flags of AI-likeness scores (statistical: the app shows them with a meter and "signal, not proof")
AI_SCORE_FLAGS: frozenset[str] = frozenset({"ai_generated", "gan_face_geometry"})

#: flags that are statistical signals: on their own they make a report "suspicious", not "flagged"
#: (``provenance_broken``: Content Credentials that no longer match the file, i.e. edited after signing)
WEAK_FLAGS: frozenset[str] = AI_SCORE_FLAGS | {"provenance_broken"}

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


def failed_checks(evidence: Iterable[Evidence], photo: str | None = None) -> tuple[FailedCheck, ...]:
    """The checks among ``evidence`` that did not run, with their reasons."""
    return tuple(FailedCheck(ev.check, ev.reason, photo) for ev in evidence if ev.status == "error")


def decide(flags: Iterable[str], failed: Iterable[object] = ()) -> Verdict:
    flags = set(flags)
    if flags - WEAK_FLAGS:
        return "flagged"
    if flags:
        return "suspicious"
    if any(True for _ in failed):
        return "incomplete"
    return "clear"


def incomplete_text(failed: Iterable[FailedCheck]) -> str:
    """One line naming the checks that did not run: "ai_pixels (reason); known_face (reason)"."""
    return "; ".join(f"{f.photo + ': ' if f.photo else ''}{f.check} ({f.reason})" for f in failed)


def reasons(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    return tuple(ev.reason for ev in evidence if ev.status == "flag")
