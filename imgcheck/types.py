"""Result types shared by the library, the CLI, the app and the tests.

Everything a check returns is a frozen dataclass with ``to_dict()``; the JSON report
(schema ``imgcheck.report/2``, contract in docs/architecture.md) is built only from these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from imgcheck.strength import Measure

REPORT_SCHEMA = "imgcheck.report/2"
PROFILE_SCHEMA = "imgcheck.profile/2"

Status = Literal["flag", "clear", "inconclusive", "error"]
#: ``incomplete``: no flag, but at least one requested check did not run (``Report.failed``), so the
#: report cannot say "clear"; ``error``: the image (or, for a profile, every photo) could not be read
Verdict = Literal["flagged", "suspicious", "incomplete", "clear", "error"]
VERDICTS: tuple[str, ...] = ("flagged", "suspicious", "incomplete", "clear", "error")
BankKind = Literal["celebrity", "known_scam", "other"]
BANK_KINDS: tuple[str, ...] = ("celebrity", "known_scam", "other")


@dataclass(frozen=True)
class Match:
    """One bank entry that the image (or one of its faces) matches."""

    kind: Literal["image", "face"]
    label: str
    entry_id: int
    method: str
    distance: float | None = None
    similarity: float | None = None
    bank_kind: str = "other"
    source: str = ""
    face_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Face:
    """A detected face: box as [x, y, width, height] in oriented image pixels.

    ``landmarks`` are the detector's six keypoints; ``detectors`` names the passes that found it.
    Once the face was embedded, ``eye_distance`` (pixels between the eye centres: how much detail
    the embedding saw), ``sharpness`` (variance of the Laplacian of the aligned 150 px chip) and the
    alignment used (``alignment``: ``dlib_shape5`` or ``blazeface_keypoints``, with its points in
    ``alignment_points``) are filled in.
    """

    box: tuple[int, int, int, int]
    score: float
    landmarks: tuple[tuple[float, float], ...] = ()
    detectors: tuple[str, ...] = ()
    eye_distance: float | None = None
    sharpness: float | None = None
    alignment: str = ""
    alignment_points: tuple[tuple[float, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"box": list(self.box), "score": round(float(self.score), 4),
                               "landmarks": [[round(x, 1), round(y, 1)] for x, y in self.landmarks],
                               "size": max(self.box[2], self.box[3]), "detectors": list(self.detectors)}
        if self.eye_distance is not None:
            out["quality"] = {"eye_distance": round(float(self.eye_distance), 1),
                              "sharpness": round(float(self.sharpness or 0.0), 1)}
        if self.alignment:
            out["alignment"] = {"landmarks": self.alignment,
                                "points": [[round(x, 1), round(y, 1)] for x, y in self.alignment_points]}
        return out


@dataclass(frozen=True)
class Evidence:
    """What one check found. A check never raises for a content reason; it returns Evidence.

    ``strength`` (0..1, higher is more suspicious, 0.5 at the check's decision line, None when the
    check could not run or did not apply) is the number to rank and colour by; ``measure`` is the raw
    number behind it with its name, unit and decision line (``imgcheck.strength``). ``score`` and
    ``threshold`` keep their v1 meanings (a similarity, distance or probability depending on the check)
    for old consumers; new code reads ``strength`` and ``measure``.
    """

    check: str
    status: Status
    reason: str
    score: float | None = None
    threshold: float | None = None
    flags: tuple[str, ...] = ()
    matches: tuple[Match, ...] = ()
    model: str | None = None
    model_sha256: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    strength: float | None = None
    measure: Measure | None = None
    #: the reason as a message id and its parameters (``imgcheck.i18n``), rendered per language
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "status": self.status,
            "strength": self.strength,
            "measure": self.measure.to_dict() if self.measure else None,
            "score": self.score,
            "threshold": self.threshold,
            "flags": list(self.flags),
            "reason": self.reason,
            "code": self.code,
            "params": self.params,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "details": self.details,
        }


@dataclass(frozen=True)
class FailedCheck:
    """A requested check that did not run (its Evidence had status ``error``), and why."""

    check: str
    reason: str
    photo: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"check": self.check, "reason": self.reason}
        if self.photo is not None:
            d["photo"] = self.photo
        return d


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str
    frames: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VideoSummary:
    """What a video report adds: the clip, how it was sampled, the face tracks and a per-second timeline.

    ``thumbnails`` (time, JPEG bytes) feed the app's timeline strip; they are not part of the JSON.
    """

    clip: dict[str, Any]
    frames_decoded: int
    frames_sampled: int
    shots: int
    sampling: dict[str, Any]
    key_frames: tuple[dict[str, Any], ...] = ()
    tracks: tuple[dict[str, Any], ...] = ()
    identity_changes: tuple[dict[str, Any], ...] = ()
    timeline: tuple[dict[str, Any], ...] = ()
    thumbnails: tuple[tuple[float, bytes], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**self.clip, "frames_decoded": self.frames_decoded, "frames_sampled": self.frames_sampled,
                "shots": self.shots, "sampling": self.sampling, "key_frames": list(self.key_frames),
                "tracks": list(self.tracks), "identity_changes": list(self.identity_changes),
                "timeline": list(self.timeline)}


@dataclass(frozen=True)
class Report:
    """The report of one image. ``to_dict()`` is the JSON contract."""

    source: str
    sha256: str | None
    image: ImageInfo | None
    verdict: Verdict
    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    matches: tuple[Match, ...] = ()
    faces: tuple[Face, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    error: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: requested checks that did not run; non-empty makes an unflagged report ``incomplete``
    failed: tuple[FailedCheck, ...] = ()
    #: set for video clips only (the key "video" appears in the JSON only then)
    video: VideoSummary | None = None
    #: whether face detection ran on this image: ``faces == ()`` means "no face" only when it did
    #: (with only non-face checks selected it does not run, and ``faces`` says nothing)
    faces_checked: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = {
            "schema": REPORT_SCHEMA,
            "source": self.source,
            "sha256": self.sha256,
            "image": self.image.to_dict() if self.image else None,
            "verdict": self.verdict,
            "flags": list(self.flags),
            "reasons": list(self.reasons),
            "provenance": provenance_of(self.evidence),
            "matches": [m.to_dict() for m in self.matches],
            "faces": [f.to_dict() for f in self.faces],
            "faces_checked": self.faces_checked,
            "evidence": [e.to_dict() for e in self.evidence],
            "error": self.error,
            "failed_checks": [f.to_dict() for f in self.failed],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.video is not None:
            out["video"] = self.video.to_dict()
        return out


def provenance_of(evidence: tuple[Evidence, ...]) -> dict[str, Any] | None:
    """The provenance summary (``ai_provenance`` details, docs/provenance.md), None when it did not run."""
    return next((e.details.get("provenance") for e in evidence if e.check == "ai_provenance"), None)


@dataclass(frozen=True)
class ProfileReport:
    """All photos of one profile: one report per photo plus profile-level evidence."""

    reports: tuple[Report, ...]
    verdict: Verdict
    flags: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    #: checks that did not run, on any photo (``photo`` set) or at profile level; unreadable photos too
    failed: tuple[FailedCheck, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": PROFILE_SCHEMA,
            "verdict": self.verdict,
            "flags": list(self.flags),
            "reasons": list(self.reasons),
            "evidence": [e.to_dict() for e in self.evidence],
            "failed_checks": [f.to_dict() for f in self.failed],
            "error": self.error,
            "photos": [r.to_dict() for r in self.reports],
        }
