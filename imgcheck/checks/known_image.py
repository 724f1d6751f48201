"""Check ``known_image``: is this photo a (possibly edited) copy of an image in the bank?"""

from __future__ import annotations

from typing import ClassVar

from imgcheck.checks import CheckContext
from imgcheck.hashing import views
from imgcheck.load import LoadedImage
from imgcheck.types import Evidence, Match


class KnownImageCheck:
    name: ClassVar[str] = "known_image"
    flags: ClassVar[tuple[str, ...]] = ("known_image",)

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence:
        bank = ctx.bank
        if bank is None or bank.store.count() == 0:
            return Evidence(self.name, "inconclusive", "No bank of known images is loaded.")
        settings = ctx.settings
        queries = views.query_hashes(img)
        radii = {"pdq": settings.pdq_radius, "phash": settings.phash_radius}
        best: dict[int, Match] = {}
        for hash_type, named in queries.items():
            hashes = [h for _, h in named]
            for hit in bank.search_hashes(hashes, radii[hash_type]):
                prev = best.get(hit.entry_id)
                rel = hit.distance / hashes[0].nbits
                if prev is None or rel < prev.distance / (256 if prev.method == "pdq" else 64):
                    entry = bank.get(hit.entry_id)
                    if entry is None:
                        continue
                    best[hit.entry_id] = Match(
                        kind="image", label=entry.label, entry_id=entry.id, method=hash_type,
                        distance=hit.distance, similarity=round(1 - rel, 4), bank_kind=entry.kind,
                        source=entry.source)
        matches = tuple(sorted(best.values(), key=lambda m: -(m.similarity or 0)))
        if not matches:
            return Evidence(self.name, "clear", "No known image in the bank matches this photo.",
                            details={"bank_entries": bank.store.count()})
        top = matches[0]
        nbits = 256 if top.method == "pdq" else 64
        reason = (f"Matches a known image of '{top.label}' ({top.method.upper()} distance "
                  f"{int(top.distance or 0)} of {nbits})")
        return Evidence(self.name, "flag", reason, score=top.similarity, flags=self.flags, matches=matches,
                        threshold=round(1 - radii[top.method] / nbits, 4),
                        details={"bank_entries": bank.store.count()})
