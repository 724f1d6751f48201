"""Engine settings: every threshold and cap in one frozen object, passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgcheck.load import Limits
from imgcheck.video.limits import Sampling, VideoLimits

#: hash match radii in bits (calibration: docs/calibration.md); the hash types' ``threshold`` and the
#: Settings defaults below are these, so there is one number for each
PDQ_RADIUS = 31
PHASH_RADIUS = 10

#: the app (``imgcheck serve``, ``app.build_app``): checks running at once, each on the engine's ONNX
#: sessions (``ServeOptions.concurrency`` overrides it), and batch scans running at once
SERVE_CONCURRENCY = 2
BATCH_CONCURRENCY = 1


@dataclass(frozen=True)
class VerifyParams:
    """known_image's ORB + RANSAC verification of a candidate (local_features.verify; calibration:
    docs/calibration.md, "Stage 2")."""

    #: Lowe's ratio test on the two nearest bank descriptors
    ratio: float = 0.8
    min_inliers: int = 12
    min_inlier_fraction: float = 0.25
    #: tilt allowed beyond the nearest quarter turn (0/90/180/270 degrees)
    max_rotation_deg: float = 20.0
    max_anisotropy: float = 1.35
    reproj_px: float = 4.0
    #: PDQ distance after alignment at or below which the query is the bank image
    max_aligned_distance: int = 48
    #: the common region must cover at least this share of the bank image
    min_overlap: float = 0.3
    #: FAISS (OpenMP) threads of one candidate's 2-NN descriptor search (~1,000 x ~1,000 ORB
    #: descriptors, ~1.3 ms on one thread; 0: FAISS's own count), set for that search in the calling
    #: thread only (threads.faiss_threads). More threads only wait on each other at so small a search
    #: (measured on 2 busy cores, the 40 photos of benchmarks/check_speed.py checked in one process:
    #: the 126 searches took 16.0 s in all on FAISS's 2 threads, 0.25 s on 1)
    match_threads: int = 1


@dataclass(frozen=True)
class KeywordVote:
    """How known_image's keyword stage chooses candidates (bank/scale.py KeywordIndex; measured with
    benchmarks/keyword_params.py and benchmarks/bank_scale.py, docs/bank_scale.md). Query-time
    only: changing these needs no reindex."""

    #: a word posted by more than this share of the bank says nothing about which photo it is
    stop_share: float = 0.005
    #: ... but a word is never a stop word while at most this many photos hold it (a small bank)
    stop_floor: int = 50
    #: at most this many postings are read per query, the shortest lists (rarest words) first,
    #: so the cost stays bounded however large the bank grows
    posting_budget: int = 1_500_000
    #: a posting counts only when its Hamming-embedding bits are within this many of the query
    #: descriptor's (of scale.HE_BITS)
    he_radius: int = 2
    #: a candidate whose votes come at least this much from one side (the upload or its mirror)
    #: is verified on that side only
    one_side_share: float = 0.8
    #: once a copy is found (by hash or verified), keyword candidates with less than this share of
    #: its votes are not verified (chance votes; a second copy of the same picture in the bank
    #: gets about as many votes as the first)
    after_match_share: float = 0.5


@dataclass(frozen=True)
class CoarseView:
    """More coarse-scale keypoints for known_image's keyword votes (not for verification): ORB of the
    query's grey copy shrunk by ``shrink``, on ``levels`` pyramid levels, ``features`` keypoints
    (0: off), of the upload and of its mirror, vote together with the full-size ones. A bank photo is
    posted under 300 keypoints taken from every pyramid level in turn, so its coarse levels weigh much;
    a crop or zoom of it shows those parts larger, and the query's own pyramid gives too few keypoints
    at the matching scale. Measured on the re-upload set's dev split with benchmarks/bank_scale.py's
    10,602 real distractors in the bank: the original among the 8 keyword candidates for 301 of 316
    copies without, 310 with (benchmarks/bank_scale.py: ~6-11 ms more CPU per check, ~6 of it this ORB)."""

    shrink: float = 0.556
    levels: int = 4
    features: int = 1000


@dataclass(frozen=True)
class PhotoBand:
    """known_image's second keypoint round for an upload that looks like an app screenshot: the
    picture is the band of rows between the app's bars (status bar, header, action bar, caption),
    whose rows are nearly all one background colour. Its keypoints, taken at the bank's scale
    without the bars' text, find the original when the whole screenshot's did not (measured on the
    re-upload set's screenshots with benchmarks/bank_scale.py's 10,602 real distractors in the bank,
    dev split: 45 of 46 screenshot copies have a band, and for all 45 the original is among the band's
    8 keyword candidates and verifies). Runs only when the first round found nothing."""

    #: a pixel is background when every channel is within this of the background colour (the
    #: median colour of the top row, which the bottom row's must match as closely)
    colour_tol: int = 16
    #: a row is an app bar when at least this share of its pixels is background
    bar_share: float = 0.7
    #: the band (the longest run of rows that are not bars) must be at least this share of the
    #: height, and the bars at least ``min_bars`` of it (else it is a photo, not a screenshot)
    min_band: float = 0.25
    min_bars: float = 0.08
    #: keyword candidates of the band's keypoints that are verified (0: no second round)
    candidates: int = 8


#: the repository's models/ folder (an installed wheel passes models_dir explicitly)
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class Settings:
    limits: Limits = field(default_factory=Limits)
    models_dir: Path = DEFAULT_MODELS_DIR
    #: checks run when the caller names none (names from imgcheck.checks.check_names())
    checks: tuple[str, ...] | None = None
    #: longest side of the working copy most checks use
    work_side: int = 1024
    #: hash match radii (calibration: docs/calibration.md)
    pdq_radius: int = PDQ_RADIUS
    phash_radius: int = PHASH_RADIUS
    #: known_image stage 2: how many bank entries get local-feature verification (0: off): the
    #: ``verify_candidates`` nearest in PDQ within ``pdq_candidate_radius`` (near misses) and the
    #: ``keyword_candidates`` sharing the most ORB keywords.
    #: Index parts of at most ``near_miss_scan_rows`` hashes are scanned for near misses within
    #: ``pdq_scan_radius`` instead (a small bank, or what was added since the saved index was built)
    verify_candidates: int = 3
    #: a pHash hit makes a match on its own only when the entry's PDQ is within this of the upload's
    #: too (the near-miss radius below); otherwise keypoint verification decides, as for a near miss.
    #: 64 bits collide by chance in a bank of real photos: among the 10,632 real photos of
    #: benchmarks/bank_scale.py, 24 pairs of different source photos are within pHash 10, all but one
    #: at PDQ >= 99; 2 of the 368 unrelated re-upload queries hit one (PDQ 104, 110)
    phash_confirm_pdq: int = 90
    keyword_candidates: int = 8
    pdq_candidate_radius: int = 47
    pdq_scan_radius: int = 90
    near_miss_scan_rows: int = 20_000
    #: the upload's views (hashing/views.query_hashes names) searched for near misses
    near_miss_views: tuple[str, ...] = ("full", "full/flipy", "trimmed", "trimmed/flipy")
    keyword_vote: KeywordVote = field(default_factory=KeywordVote)
    photo_band: PhotoBand = field(default_factory=PhotoBand)
    coarse_view: CoarseView = field(default_factory=CoarseView)
    verify: VerifyParams = field(default_factory=VerifyParams)
    #: onnxruntime threads per session (0: onnxruntime decides)
    intra_op_threads: int = 0
    #: PEM file of C2PA trust anchors; signers chaining to none of them are reported as untrusted
    c2pa_trust_anchors: Path | None = None
    #: share of watermark payload bits that must agree to flag ai_watermark (docs/provenance.md)
    watermark_agreement: float = 0.85
    #: faces (calibration: docs/faces.md): longest side of the copy the detector's tile pass cuts
    #: (the whole-photo passes shrink the photo straight to the networks' input; a photo larger than
    #: ``face_embed_side`` is decoded at this size), and of the copy faces are cut from for
    #: embedding; detector score floors (whole photo, tiles)
    face_detect_side: int = 1280
    face_embed_side: int = 2048
    face_min_score: float = 0.6
    face_tile_min_score: float = 0.75
    #: short-range BlazeFace (selfies, tight crops): score floor, the floor a face found only by it
    #: must reach again when re-framed, and the black border tried when nothing was found
    face_short_min_score: float = 0.6
    face_short_verify_score: float = 0.65
    face_pad_fraction: float = 0.2
    #: known_face names a bank person only within this Euclidean distance (dlib's own 0.6 is looser)
    #: and when the next other person is at least ``face_match_margin`` further away; 0.42 is the
    #: largest distance with no wrong name among ~370,000 impostor comparisons of LFW people
    #: (tools/calibrate_naming.py, docs/faces.md)
    face_match_distance: float = 0.42
    face_match_margin: float = 0.08
    #: faces smaller than this (pixels between the eyes) are too coarse to name anyone
    face_min_eye_distance: float = 16.0
    #: profile consistency: same person within ``face_same_distance``; a photo disagrees when all
    #: its faces are further than ``face_different_distance`` from the profile's person
    face_same_distance: float = 0.5
    face_different_distance: float = 0.6
    #: pixel detector head (models/manifest.json id); its flag threshold comes from the manifest unless
    #: ai_pixels_flag_at overrides it (calibration: models/MODELS.md, docs/ai_detector.md)
    ai_pixels_model: str = "ai_pixels_head"
    ai_pixels_flag_at: float | None = None
    #: below this shorter side (px, of the detector's working copy) the encoder sees an upscaled
    #: picture: the detector was not validated there (its corpus holds nothing under 224 px after the
    #: upload chains), so ai_pixels abstains
    ai_pixels_min_side: int = 224
    #: GAN-face geometry: largest eye-centre distance from the FFHQ layout, fraction of the image side
    gan_eye_tolerance: float = 0.03
    #: ... and the main face's eyes at least this far apart (fraction of the side; FFHQ puts them 25% apart)
    gan_min_eye_span: float = 0.15
    #: video clips (imgcheck.video): caps on a clip and which frames the checks see
    video_limits: VideoLimits = field(default_factory=VideoLimits)
    video_sampling: Sampling = field(default_factory=Sampling)
