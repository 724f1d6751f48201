"""Hash many files fast: safe load, reduced-scale decode, and a thread per CPU.

What ``imgcheck hash`` prints and what a bank built elsewhere can be compared with: the hashes are
computed exactly as ``bank add`` computes an entry's (``views.HASH_SIDE`` working copy). The PDQ is
the one Meta's reference and every other implementation computes, from the pixels as the file
stores them (EXIF orientation not applied; ``PdqHash.compute_file``); for an EXIF-rotated photo the
upright PDQ imgcheck also matches with is printed as ``pdq_upright``.

Why threads: on a 12 MP JPEG about 16 of the ~23 ms imgcheck spends are the entropy decoding every
JPEG decoder must do before it can scale (measured in ``benchmarks/hash_speed.py``), which caps one
thread at roughly 5x the naive full-resolution loop. The decode runs outside the GIL, so a thread
per CPU multiplies that by the core count without the cost of worker processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imgcheck import threads
from imgcheck.errors import InputError
from imgcheck.hashing import HASH_TYPES, Hash
from imgcheck.hashing.base import HASH_SIDE
from imgcheck.load import Limits, load_image


@dataclass(frozen=True)
class FileHashes:
    """The hashes of one file, or why it could not be hashed (``error``; ``hashes`` then empty)."""

    source: str
    sha256: str | None = None
    hashes: dict[str, Hash] = field(default_factory=dict)
    error: str | None = None
    #: the upright PDQ of an EXIF-rotated photo (None when it equals ``hashes["pdq"]``'s view)
    pdq_upright: Hash | None = None

    def to_dict(self) -> dict:
        d: dict = {"source": self.source, "sha256": self.sha256}
        for kind, h in self.hashes.items():
            d[kind] = str(h)
            if h.quality is not None:
                d[f"{kind}_quality"] = h.quality
        if self.pdq_upright is not None:
            d["pdq_upright"] = str(self.pdq_upright)
        if self.error is not None:
            d["error"] = self.error
        return d


def hash_file(source: str | Path | bytes, kinds: Sequence[str] | None = None,
              limits: Limits | None = None) -> FileHashes:
    """One file's hashes (``kinds``: hash type names, None: every type of HASH_TYPES); a bad file
    gives a FileHashes with ``error`` set, never an exception."""
    kinds = tuple(HASH_TYPES) if kinds is None else kinds
    display = "<bytes>" if isinstance(source, (bytes, bytearray)) else str(source)
    try:
        img = load_image(source, limits=limits, verify_side=HASH_SIDE)
        rgb = img.rgb(HASH_SIDE)
    except InputError as exc:
        return FileHashes(display, error=str(exc))
    hashes = {k: HASH_TYPES[k].compute_file(img) for k in kinds}
    upright = HASH_TYPES["pdq"].compute(rgb) if "pdq" in kinds and img.orientation != 1 else None
    return FileHashes(img.source, img.sha256, hashes, pdq_upright=upright)


def hash_files(sources: Iterable[str | Path | bytes], kinds: Sequence[str] | None = None, *,
               workers: int | None = None, limits: Limits | None = None) -> Iterator[FileHashes]:
    """``hash_file`` over ``sources`` on ``workers`` threads (None: one per CPU), in input order,
    streaming (a long listing is never held in memory)."""
    kinds = tuple(HASH_TYPES) if kinds is None else tuple(kinds)
    unknown = [k for k in kinds if k not in HASH_TYPES]
    if unknown:
        raise InputError(f"unknown hash type {', '.join(unknown)}; known: {', '.join(HASH_TYPES)}")
    return threads.imap(lambda s: hash_file(s, kinds, limits), sources, workers)
