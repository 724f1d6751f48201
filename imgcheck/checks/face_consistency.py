"""Check ``face_consistency`` (profile level): do the photos of one profile show one person?

Each photo has a main face (largest, then sharpest; see ``main_face``) and maybe others (group
photos). The profile's person is the face seen (as some face) in the most photos, main faces first; a
photo agrees when any of its faces is within ``same`` of that person, disagrees when all its faces
are further than ``different``, and is undecided in between. Why any face rather than the main one:
in a group photo the profile owner is often not the largest face, and a group photo must not make a
consistent profile look inconsistent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from imgcheck.checks import CheckContext, CheckServices, face_observations
from imgcheck.faces import FaceObservation, main_face
from imgcheck.faces.embed import distances
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage
from imgcheck.strength import measured
from imgcheck.types import Evidence, Report

CHECK_NAME = "face_consistency"


@dataclass(frozen=True)
class PhotoFaces:
    name: str
    observations: tuple[FaceObservation, ...]


def _nearest(anchor: np.ndarray, photo: PhotoFaces) -> tuple[float, int]:
    d = distances(anchor, np.stack([o.embedding for o in photo.observations]))[0]
    i = int(np.argmin(d))
    return float(d[i]), photo.observations[i].index


def face_consistency(photos: Sequence[PhotoFaces], same: float, different: float) -> Evidence:
    with_faces = [p for p in photos if p.observations]
    no_face = [p.name for p in photos if not p.observations]
    details: dict = {"photos_without_face": no_face, "same_distance": same, "different_distance": different}
    if len(with_faces) < 2:
        return Evidence(CHECK_NAME, "inconclusive", **msg("face_consistency.too_few"), details=details)
    # candidate persons: every face; support = photos holding a face within `same` of it. Main faces
    # win ties, then the candidate closest to all photos.
    best = None
    for i, p in enumerate(with_faces):
        main = main_face(p.observations)
        for cand in p.observations:
            near = [_nearest(cand.embedding[None], q) for q in with_faces]
            support = sum(d <= same for d, _ in near)
            key = (support, cand is main, -sum(d for d, _ in near))
            if best is None or key > best[0]:
                best = (key, i, cand, near)
    _, anchor_i, anchor, near = best
    agree, disagree, undecided = [], [], []
    per_photo = []
    for p, (d, face_i) in zip(with_faces, near):
        verdict = "agrees" if d <= same else "disagrees" if d > different else "undecided"
        {"agrees": agree, "disagrees": disagree, "undecided": undecided}[verdict].append(p.name)
        per_photo.append({"photo": p.name, "distance": round(d, 4), "face_index": face_i, "status": verdict})
    details.update({"reference_photo": with_faces[anchor_i].name, "reference_face": anchor.index,
                    "photos": per_photo})
    score = max(d for d, _ in near)
    measure, strength = measured(CHECK_NAME, round(score, 4), different)
    graded = {"strength": strength, "measure": measure}
    if disagree:
        said = msg("face_consistency.flag_one" if len(disagree) == 1 else "face_consistency.flag_many",
                   disagree=disagree, agree=agree)
        return Evidence(CHECK_NAME, "flag", **said, score=round(score, 4), threshold=different,
                        flags=("inconsistent_faces",), details=details, **graded)
    if undecided:
        return Evidence(CHECK_NAME, "inconclusive", **msg("face_consistency.undecided", undecided=undecided,
                                                          agree=agree),
                        score=round(score, 4), threshold=different, details=details, **graded)
    return Evidence(CHECK_NAME, "clear", **msg("face_consistency.clear", n=len(with_faces)),
                    score=round(score, 4), threshold=same, details=details, **graded)


class FaceConsistencyCheck:
    """The profile check: each photo's embedded faces (``collect``, after the photo's own checks, so
    faces found by ``known_face`` are reused), then one judgement over the profile (``run``)."""

    name: ClassVar[str] = CHECK_NAME
    flags: ClassVar[tuple[str, ...]] = ("inconsistent_faces",)

    def collect(self, img: LoadedImage, ctx: CheckContext, report: Report) -> PhotoFaces:
        return PhotoFaces(Path(report.source).name, face_observations(ctx, img))

    def run(self, photos: Sequence[PhotoFaces], services: CheckServices) -> Evidence:
        cfg = services.settings
        return face_consistency(photos, cfg.face_same_distance, cfg.face_different_distance)
