"""Check ``known_image``: is this photo a (possibly edited) copy of an image in the bank?

Two stages. (1) Hash lookup: PDQ of the upload and of its border-trimmed view in all 8 orientations,
and pHash of those views and their mirrors, against the bank's hashes at the calibrated radii; a hit
is a match (method ``pdq`` / ``phash``) unless a quality gate stops it: a hash of a flat, nearly
uniform or tiny picture (PDQ quality below 50, as ThreatExchange and HMA use, or a side under
32 px), on the upload's side or the bank's, says nothing about which photo it is (a flat grey and a
flat blue image have the same pHash), so it never makes a match on its own.
(2) Verification of near misses: the few bank entries that are closest in PDQ but outside the radius,
and the few that share the most ORB keywords with the upload (an inverted index whose cost does not
grow with the bank, ``bank/scale.py``), are checked geometrically (RANSAC affine) and by PDQ
after alignment (``local_features.py``); a confirmed one is a match with method ``pdq+orb`` whose
distance is the PDQ distance after alignment. Stage 2 catches what moves the picture inside the
frame: corner crops, app screenshots, caption bars, letterboxes with text. When it finds nothing and
the upload looks like an app screenshot (bars of one background colour above and below a picture),
the picture between the bars gets a keypoint round of its own (``views.band_features``,
``settings.PhotoBand``): its keypoints, at the bank's scale and without the bars' text, rank the
original where the whole screenshot's did not.
"""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from imgcheck import local_features as local
from imgcheck.checks import CheckContext
from imgcheck.hashing import HASH_TYPES, picture_gate, views
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck.settings import KeywordVote
from imgcheck.strength import SCALES, Measure, Scale, grade
from imgcheck.types import Evidence, Match

#: the method of a match confirmed by keypoints: PDQ after alignment (``local_features.verify``)
_ALIGNED = "pdq+orb"


def _nbits(method: str) -> int:
    return HASH_TYPES["pdq"].nbits if method == _ALIGNED else HASH_TYPES[method].nbits


def _scale(method: str) -> Scale:
    return SCALES[f"known_image.{_ALIGNED}"] if method == _ALIGNED else HASH_TYPES[method].scale


def _hash_gate(qualities: dict[str, int | None], width: int | None, height: int | None) -> str | None:
    """Why the hashes of this picture cannot decide a match, or None when they can."""
    return picture_gate(HASH_TYPES, qualities, width, height)


class KnownImageCheck:
    name: ClassVar[str] = "known_image"
    flags: ClassVar[tuple[str, ...]] = ("known_image",)

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence:
        bank = ctx.bank
        if bank is None or bank.store.count() == 0:
            return Evidence(self.name, "inconclusive", **msg("known_image.no_bank"))
        settings = ctx.settings
        queries = views.query_hashes(img)
        radii = {kind: t.radius(settings) for kind, t in HASH_TYPES.items()}
        radii[_ALIGNED] = settings.verify.max_aligned_distance
        best: dict[int, Match] = {}
        qualities = {kind: named[0][1].quality for kind, named in queries.items() if named}
        quality = qualities.get("pdq")  # reported as details.pdq_quality
        query_gate = _hash_gate(qualities, img.width, img.height)
        gated: dict[int, str] = {}
        views_of: dict[int, str] = {}
        unconfirmed: list[int] = []  # pHash hits whose PDQ disagrees: verified like near misses
        for hash_type, named in queries.items():
            if query_gate is not None:
                break  # the upload's hashes say nothing: only keypoint verification may match it
            hashes = [h for _, h in named]
            for hit in bank.search_hashes(hashes, radii[hash_type]):
                why = self._bank_gate(bank, hit.entry_id)
                if why is not None:
                    gated.setdefault(hit.entry_id, why)
                    continue
                if hash_type == "phash" and hit.entry_id not in best and not self._pdq_agrees(
                        bank, hit.entry_id, queries["pdq"], settings.phash_confirm_pdq):
                    unconfirmed.append(hit.entry_id)  # 64 bits can collide by chance: keypoints decide
                    continue
                if self._keep(best, bank, hit.entry_id, hash_type, hit.distance):
                    views_of[hit.entry_id] = named[hit.query_index][0]
        nearest: list[int] = []  # PDQ distance of the closest bank entry that is not a match
        verified = (self._verify_near_misses(img, ctx, queries if query_gate is None else None, best, nearest,
                                             unconfirmed)
                    if settings.verify_candidates > 0 or unconfirmed else [])
        if not best and settings.verify_candidates > 0:  # nothing yet: an app screenshot's picture alone
            verified += self._verify_band(img, ctx, best)
        # a sharing group's opinion is kept: NEGATIVE_CLASS (known false positive) and DISPUTED hashes
        # never make a match; they are listed so a reviewer sees why a hit did not count
        opinions = {eid: bank.get(eid) for eid in best}
        disputed = [{"entry_id": eid, "label": m.label, "distance": m.distance, "method": m.method,
                     "category": opinions[eid].category, "collab": opinions[eid].collab}
                    for eid, m in best.items() if opinions[eid] is not None and not opinions[eid].matches]
        ranked = sorted((m for eid, m in best.items() if opinions[eid] is None or opinions[eid].matches),
                        key=lambda m: (-(m.similarity or 0), m.entry_id))
        matches = tuple(ranked)
        details = {"bank_entries": bank.store.count(), "verified": verified, "pdq_quality": quality}
        if query_gate is not None:
            details["hash_lookup"] = f"skipped: {query_gate}"
        if gated:
            details["hash_hits_not_used"] = [{"entry_id": e, "why": w} for e, w in sorted(gated.items())]
        if matches and matches[0].method in HASH_TYPES:
            details["matched_view"] = views_of.get(matches[0].entry_id, "full")
        if disputed:
            details["disputed"] = sorted(disputed, key=lambda d: (d["distance"] or 0, d["entry_id"]))
        if not matches:
            if disputed:
                d = details["disputed"][0]
                return Evidence(self.name, "clear", f"Only hashes the sharing group marks {d['category']} match "
                                f"this photo (e.g. '{d['label']}' from {d['collab'] or 'this bank'}); they do "
                                "not count as a known image.", details=details, strength=0.0)
            measure, strength = None, 0.0  # nothing within the near-miss radius: as far as unrelated
            if nearest:
                measure, strength = self._measured("pdq", min(nearest), radii["pdq"])
                details["nearest_pdq_distance"] = min(nearest)
            return Evidence(self.name, "clear", **msg("known_image.no_match"), details=details,
                            strength=strength, measure=measure)
        top = matches[0]
        nbits = _nbits(top.method)
        said = (msg("known_image.match_aligned", label=top.label, distance=int(top.distance or 0), bits=nbits)
                if top.method == _ALIGNED else
                msg("known_image.match", label=top.label, method=top.method.upper(),
                    distance=int(top.distance or 0), bits=nbits))
        radius = radii[top.method]
        measure, _ = self._measured(top.method, top.distance or 0, radius)
        # the strongest match decides strength, whatever its method (ranking by similarity above)
        strength = max(grade(m.distance or 0, radii[m.method], _scale(m.method)) for m in matches)
        return Evidence(self.name, "flag", **said, score=top.similarity, flags=self.flags, matches=matches,
                        threshold=round(1 - radius / nbits, 4), details=details, strength=strength,
                        measure=measure)

    @staticmethod
    def _measured(method: str, value: float, flag_at: float) -> tuple[Measure, float]:
        scale = _scale(method)
        return Measure.on(scale, value, flag_at), grade(value, flag_at, scale)

    @staticmethod
    def _bank_gate(bank, entry_id: int) -> str | None:
        entry = bank.get(entry_id)
        if entry is None:
            return "entry removed"
        qualities = {kind: bank.store.min_quality(entry_id, kind) for kind, t in HASH_TYPES.items()
                     if t.min_quality is not None}
        why = _hash_gate(qualities, entry.width, entry.height)
        return None if why is None else f"bank image: {why}"

    @staticmethod
    def _keep(best: dict[int, Match], bank, entry_id: int, method: str, distance: int) -> bool:
        rel = distance / _nbits(method)
        prev = best.get(entry_id)
        if prev is not None and rel >= (prev.distance or 0) / _nbits(prev.method):
            return False
        entry = bank.get(entry_id)
        if entry is None:
            return False
        best[entry_id] = Match(kind="image", label=entry.label, entry_id=entry.id, method=method,
                               distance=distance, similarity=round(1 - rel, 4), bank_kind=entry.kind,
                               source=entry.source)
        return True

    @staticmethod
    def _pdq_agrees(bank, entry_id: int, pdq_queries: list, radius: int) -> bool:
        """Is the entry's PDQ within ``radius`` of one of the upload's PDQ views? An entry without a
        PDQ (an imported pHash-only list) cannot be asked, so its pHash stands."""
        bank_pdq = [h for _, h in bank.store.hashes_of(entry_id) if h.kind == "pdq"]
        if not bank_pdq:
            return True
        return min(q - b for _, q in pdq_queries for b in bank_pdq if len(q.bits) == len(b.bits)) <= radius

    def _verify_near_misses(self, img: LoadedImage, ctx: CheckContext, queries, best: dict[int, Match],
                            nearest: list[int], unconfirmed: list[int] = ()) -> list:
        """Confirm or drop the few bank entries that are plausible but not hash matches; ``nearest``
        receives the PDQ distances of the near misses. ``queries`` None: the upload's hashes are not
        used (a gated upload), only its keypoints. ``unconfirmed``: pHash hits the PDQ does not back,
        verified first."""
        bank, settings = ctx.bank, ctx.settings
        k = settings.verify_candidates
        # near misses of the upright and mirrored views only (quarter turns are left to the keypoints:
        # a search at the near-miss radius costs 137 probes per chunk and query, 8x with every turn);
        # in index parts too large to scan, of the full views only (the keypoints find the rest)
        named = ([(view, h) for view, h in queries["pdq"] if view in settings.near_miss_views]
                 if queries is not None and k > 0 else [])
        near_hits = [h for h in bank.search_hashes(
            [h for _, h in named], settings.pdq_candidate_radius, settings.pdq_scan_radius,
            settings.near_miss_scan_rows, [not view.startswith("full") for view, _ in named])
            if h.entry_id not in best]
        nearest += [int(h.distance) for h in near_hits]
        near = [h.entry_id for h in near_hits][:k]
        qf = ctx.cached("known_image.query_features", lambda: views.query_features(img, settings.coarse_view))
        kk = settings.keyword_candidates if k > 0 else 0  # stage 2 off: only unconfirmed hits are verified
        vote = settings.keyword_vote
        ranked = bank.keyword_candidates(qf.keyword_descriptors(), kk + len(best), vote) if kk else []
        voted = [(e, m) for e, _, m in ranked if e not in best][:kk]
        # a candidate voted for by one side (the upload or its mirror) is verified on that side only
        sides = {e: _sides_voted(m, vote) for e, m in voted}
        # once a copy is found (a hash match, or a verified keyword candidate), keyword candidates
        # with far fewer votes than it got are chance votes: they are not verified
        score_of = {e: sc for e, sc, _ in ranked}
        copy_score = max((score_of[e] for e in best if e in score_of), default=0.0)
        out = []
        for entry_id in dict.fromkeys(list(unconfirmed) + near + [e for e, _ in voted]):
            if (entry_id in sides and entry_id not in near and entry_id not in unconfirmed
                    and score_of[entry_id] < vote.after_match_share * copy_score):
                continue
            row = self._verify_one(bank, qf, entry_id, best, settings, sides.get(entry_id, (False, True))
                                   if entry_id not in near and entry_id not in unconfirmed else (False, True))
            if row is not None:
                out.append(row)
                if row["accepted"] and row["aligned_distance"] is not None:
                    copy_score = max(copy_score, score_of.get(entry_id, 0.0))
        return out

    def _verify_band(self, img: LoadedImage, ctx: CheckContext, best: dict[int, Match]) -> list:
        """The second round, for an upload that looks like an app screenshot and matched nothing:
        the keyword candidates of the picture between the app's bars (``views.band_features``),
        verified with its keypoints (``settings.PhotoBand``)."""
        bank, settings = ctx.bank, ctx.settings
        params, vote = settings.photo_band, settings.keyword_vote
        bf = views.band_features(img, params, settings.coarse_view) if params.candidates > 0 else None
        if bf is None:
            return []
        ranked = bank.keyword_candidates(bf.keyword_descriptors(), params.candidates, vote)
        out, copy_score = [], 0.0
        for entry_id, score, m in ranked:
            if score < vote.after_match_share * copy_score:
                continue
            row = self._verify_one(bank, bf, entry_id, best, settings, _sides_voted(m, vote))
            if row is not None:
                out.append({**row, "view": "band"})
                if row["accepted"] and row["aligned_distance"] is not None:
                    copy_score = max(copy_score, score)
        return out

    def _verify_one(self, bank, qf: views.QueryFeatures, entry_id: int, best: dict[int, Match], settings,
                    sides: tuple[bool, ...]) -> dict | None:
        """ORB + RANSAC verification of one bank entry against the query's keypoints ``qf``; an
        accepted one joins ``best``. None: the entry has nothing to verify against."""
        blob = bank.store.feature(entry_id, local.FEATURE_KIND)
        thumb = bank.store.thumb(entry_id)
        if blob is None or thumb is None:
            return None  # imported hash-only entries have nothing to verify against
        bank_grey = cv2.imdecode(np.frombuffer(thumb, np.uint8), cv2.IMREAD_GRAYSCALE)
        if bank_grey is None:
            return None
        v = local.verify(qf.features, qf.mirrored, local.Features.from_bytes(blob), qf.grey, bank_grey,
                         settings.verify, sides)
        if v.accepted and v.aligned_distance is not None:
            self._keep(best, bank, entry_id, _ALIGNED, v.aligned_distance)
        return {"entry_id": entry_id, "accepted": v.accepted, "inliers": v.inliers, "mirrored": v.mirrored,
                "aligned_distance": v.aligned_distance, "why": v.why}


def _sides_voted(mirror_share: float, vote: KeywordVote) -> tuple[bool, ...]:
    """The sides a keyword candidate is verified on (False: the upload as it is, True: its mirror):
    only the side that cast nearly all its votes (``KeywordVote.one_side_share``), else both."""
    if mirror_share >= vote.one_side_share:
        return (True,)
    if mirror_share <= 1 - vote.one_side_share:
        return (False,)
    return (False, True)
