"""Check ``known_face``: does a face in this photo belong to a person in the bank?

Naming someone wrongly is the worst outcome here, so a name is given only when the face is close to
that person's bank faces (``face_match_distance``, stricter than dlib's 0.6), clearly closer than
to anyone else in the bank (``face_match_margin``), and large enough to carry identity
(``face_min_eye_distance``). Calibration: docs/faces.md.
"""

from __future__ import annotations

from typing import ClassVar

from imgcheck.checks import CheckContext
from imgcheck.checks import face_observations
from imgcheck.faces import EMBEDDER_ID, FaceObservation
from imgcheck.faces.embed import EMBEDDING_TYPES
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck.strength import measured
from imgcheck.types import Evidence, Match

#: bank faces searched per query face (several photos of one person all count: the closest is used)
SEARCH_K = 50


def best_per_label(hits, entries) -> list[tuple[str, float, int, int]]:
    """(label, distance, entry_id, face_index) of each label's closest bank face, closest first."""
    best: dict[str, tuple[str, float, int, int]] = {}
    for h in hits:
        entry = entries(h.entry_id)
        if entry is None:
            continue
        cur = best.get(entry.label)
        if cur is None or h.distance < cur[1]:
            best[entry.label] = (entry.label, h.distance, h.entry_id, h.face_index)
    return sorted(best.values(), key=lambda t: t[1])


#: why a face was or was not named (``details["faces_detail"][i]["outcome"]``)
NAMED, TOO_SMALL, TOO_FAR, AMBIGUOUS = "named", "too_small", "too_far", "too_close_to_two_people"


def decide(ranked: list[tuple[str, float, int, int]], max_distance: float, margin: float,
           next_bound: float | None = None) -> str:
    """``NAMED`` when the top label is within ``max_distance`` and ``margin`` ahead of the next label;
    else ``TOO_FAR`` or ``AMBIGUOUS``. ``next_bound``: when every hit searched belongs to the top
    label (a bank with many photos of one person), the next label is at least this far (the farthest
    hit searched), which stands in for its distance."""
    if not ranked or ranked[0][1] > max_distance:
        return TOO_FAR
    if len(ranked) > 1:
        nxt = ranked[1][1]
    elif next_bound is not None:
        nxt = next_bound
    else:
        return NAMED
    return NAMED if nxt - ranked[0][1] >= margin else AMBIGUOUS


class KnownFaceCheck:
    name: ClassVar[str] = "known_face"
    flags: ClassVar[tuple[str, ...]] = ("known_face",)

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence:
        settings = ctx.settings
        kind = EMBEDDING_TYPES[EMBEDDER_ID]
        max_distance, margin = kind.radius(settings), kind.margin(settings)
        pipeline = ctx.engine.faces
        model_info = {"model": EMBEDDER_ID, "model_sha256": pipeline.model_sha256(EMBEDDER_ID)}
        observations = face_observations(ctx, img)
        bank = ctx.bank
        if not observations:
            return Evidence(self.name, "inconclusive", **msg("known_face.no_face"), **model_info,
                            details={"faces": 0, "why_nobody": "no_face"})
        if bank is None or bank.face_count(EMBEDDER_ID) == 0:
            return Evidence(self.name, "inconclusive", **msg("known_face.no_bank_faces"), **model_info,
                            details={"faces": len(observations)})
        min_eyes = kind.min_eye_distance(settings)
        usable: list[FaceObservation] = [o for o in observations if o.eye_distance >= min_eyes]
        per_face: list[dict] = [{"face_index": o.index, "outcome": TOO_SMALL, "eye_distance": round(o.eye_distance, 1)}
                                for o in observations if o.eye_distance < min_eyes]
        if not usable:
            return Evidence(self.name, "inconclusive",
                            **msg("known_face.too_small_eyes", faces=len(observations), min_eyes=min_eyes),
                            **model_info, details={"faces": len(observations), "faces_detail": per_face,
                                                   "why_nobody": TOO_SMALL})
        k = SEARCH_K
        hits = bank.search_faces([o.embedding for o in usable], EMBEDDER_ID, k=k)
        matches: list[Match] = []
        closest: list[dict] = []
        for obs, face_hits in zip(usable, hits):
            ranked = best_per_label(face_hits, bank.get)
            if not ranked:
                continue
            label, dist, entry_id, _ = ranked[0]
            bound = face_hits[-1].distance if len(ranked) == 1 and len(face_hits) >= k else None
            outcome = decide(ranked, max_distance, margin, bound)
            nxt = ranked[1][1] if len(ranked) > 1 else bound
            row = {"face_index": obs.index, "distance": round(dist, 4),
                   "next_label_distance": round(nxt, 4) if nxt is not None else None}
            closest.append(row)
            per_face.append({**row, "outcome": outcome, "eye_distance": round(obs.eye_distance, 1)})
            if outcome == NAMED:
                entry = bank.get(entry_id)
                matches.append(Match(kind="face", label=label, entry_id=entry_id, method=EMBEDDER_ID,
                                     distance=round(dist, 4), similarity=round(max(0.0, 1 - dist), 4),
                                     bank_kind=entry.kind if entry else "other",
                                     source=entry.source if entry else "", face_index=obs.index))
        per_face.sort(key=lambda r: r["face_index"])
        details = {"faces": len(observations), "compared": len(usable), "closest": closest,
                   "faces_detail": per_face, "metric": "euclidean distance between dlib ResNet embeddings",
                   "rule": {"max_distance": max_distance, "margin": margin, "min_eye_distance": min_eyes}}
        threshold = max_distance
        if not matches:
            best = min((c["distance"] for c in closest), default=None)
            outcomes = {r["outcome"] for r in per_face}
            why = AMBIGUOUS if AMBIGUOUS in outcomes else TOO_FAR if TOO_FAR in outcomes else TOO_SMALL
            details["why_nobody"] = why
            if why == AMBIGUOUS:
                amb = next(r for r in per_face if r["outcome"] == AMBIGUOUS)
                said = msg("known_face.ambiguous", face=amb["face_index"] + 1, best=amb["distance"],
                           next=amb["next_label_distance"], margin=margin)
            elif best is not None:
                said = msg("known_face.no_match_closest", best=best, threshold=threshold)
            else:
                said = msg("known_face.no_match")
            measure, strength = measured(self.name, best, threshold) if best is not None else (None, 0.0)
            return Evidence(self.name, "clear", **said, score=best, threshold=threshold, **model_info,
                            details=details, strength=strength, measure=measure)
        matches.sort(key=lambda m: m.distance or 0.0)
        top = matches[0]
        said = msg("known_face.match", labels=list(dict.fromkeys(m.label for m in matches)),
                   face=(top.face_index or 0) + 1, distance=top.distance, threshold=threshold)
        measure, strength = measured(self.name, top.distance or 0.0, threshold)
        return Evidence(self.name, "flag", **said, score=top.distance, threshold=threshold, flags=self.flags,
                        matches=tuple(matches), **model_info, details=details, strength=strength,
                        measure=measure)
