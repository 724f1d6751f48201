"""Faces: detection (BlazeFace full + short range), landmarks (dlib's 5-point model in numpy),
alignment (dlib's chip), embeddings (dlib ResNet through ONNX).

``FacePipeline`` is owned by the Engine (``engine.faces``); checks reach it through the per-image
helpers ``detected_faces`` and ``face_observations`` of ``imgcheck.checks``, which memoise in the check
context so detection runs once per image (this package knows nothing of checks: it sits below them).

Landmark order of ``Face.landmarks`` (BlazeFace keypoints, sides as seen from the person):
0 right eye centre, 1 left eye centre, 2 nose tip, 3 mouth centre, 4 right ear tragion, 5 left ear tragion.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from imgcheck.faces import align
from imgcheck.faces.blazeface import shrink, source_names
from imgcheck.faces.detector import FaceDetector
from imgcheck.faces.embed import EMBEDDING_TYPES, DlibResnetV1, FaceEmbedder
from imgcheck.faces.landmarks import ShapePredictor, landmarks_from_keypoints
from imgcheck.load import fitted_size
from imgcheck.types import Face

if TYPE_CHECKING:
    from imgcheck.load import LoadedImage
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

DETECTOR_ID = "blazeface_full"
SHORT_DETECTOR_ID = "blazeface_short"
LANDMARKS_ID = "dlib_shape5"
EMBEDDER_ID = DlibResnetV1.name
#: dlib's chip template for its 5 points (get_face_chip_details with size 150, padding 0.25): the
#: mean face of dlib's landmark model in the unit square, padded by a quarter on each side
DLIB_5PT = np.array([[0.8595674595992, 0.2134981538014], [0.6460604764104, 0.2289674387677],
                     [0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242],
                     [0.4901123135679, 0.6277975316475]])
DLIB_CHIP_TEMPLATE = (0.25 + DLIB_5PT) / 1.5 * align.CHIP_SIDE

#: landmark indices in Face.landmarks
RIGHT_EYE, LEFT_EYE, NOSE_TIP, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)


def eye_centres(face: Face) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """(right eye, left eye) centres in image pixels, or None when the face has no landmarks."""
    if len(face.landmarks) <= LEFT_EYE:
        return None
    return face.landmarks[RIGHT_EYE], face.landmarks[LEFT_EYE]


@dataclass(frozen=True)
class FaceObservation:
    """One detected face with its embedding: what matching and profile consistency work on."""

    index: int
    face: Face
    embedding: np.ndarray
    sharpness: float
    #: distance between the eye centres in image pixels (how much detail the embedding saw)
    eye_distance: float


class FacePipeline:
    """Detector + aligner + embedder with explicit settings; sessions come from the model registry."""

    def __init__(self, models: ModelRegistry, settings: Settings) -> None:
        self.models = models
        self.settings = settings
        self._detector: FaceDetector | None = None
        self._embedder: FaceEmbedder | None = None
        self._landmarks: ShapePredictor | None = None

    @property
    def detector(self) -> FaceDetector:
        if self._detector is None:
            s = self.settings
            short = self.models.session(SHORT_DETECTOR_ID) if self.models.has(SHORT_DETECTOR_ID) else None
            self._detector = FaceDetector(self.models.session(DETECTOR_ID), short_session=short,
                                          min_score=s.face_min_score, tile_min_score=s.face_tile_min_score,
                                          short_min_score=s.face_short_min_score,
                                          verify_min_score=s.face_short_verify_score,
                                          pad_fraction=s.face_pad_fraction)
        return self._detector

    @property
    def landmarks(self) -> ShapePredictor | None:
        """dlib's 5-point predictor, or None when its file is not installed (alignment then falls
        back to BlazeFace's keypoints)."""
        if self._landmarks is None and self.models.has(LANDMARKS_ID):
            self._landmarks = ShapePredictor.load(self.models.path(LANDMARKS_ID))
        return self._landmarks

    @property
    def embedder(self) -> FaceEmbedder:
        if self._embedder is None:
            self._embedder = EMBEDDING_TYPES[EMBEDDER_ID].embedder(self.models.session(EMBEDDER_ID))
        return self._embedder

    def model_sha256(self, model_id: str) -> str:
        return self.models.spec(model_id).sha256

    def _detection_copy(self, img: LoadedImage) -> np.ndarray:
        """The detector's copy. When the embedding copy is the full image anyway (longer side up to
        ``face_embed_side``), that one: the detector shrinks it straight to its networks' input and
        makes a ``face_detect_side`` copy only for its tile pass. A larger photo is decoded at
        reduced scale to ``face_detect_side``."""
        if max(img.width, img.height) <= self.settings.face_embed_side:
            return img.rgb(None)
        return img.rgb(self.settings.face_detect_side)

    def detect(self, img: LoadedImage) -> tuple[Face, ...]:
        """Faces of the image, best score first; boxes and landmarks in oriented image pixels."""
        return self._detect_array(self._detection_copy(img), img.width, img.height)

    def observe(self, img: LoadedImage, faces: tuple[Face, ...]) -> tuple[FaceObservation, ...]:
        """Align and embed the given faces, on a copy of the photo large enough for detail."""
        if not faces:
            return ()
        return self._observe_array(img.rgb(self.settings.face_embed_side), img.width, img.height, faces)

    def analyse_array(self, rgb: np.ndarray) -> tuple[FaceObservation, ...]:
        """Detect, align and embed every face of an RGB array already in memory (benchmarks, tools)."""
        h, w = rgb.shape[:2]
        small = max(h, w) <= self.settings.face_embed_side
        det = rgb if small else _shrink(rgb, self.settings.face_detect_side)
        faces = self._detect_array(det, w, h)
        if not faces:
            return ()
        return self._observe_array(_shrink(rgb, self.settings.face_embed_side), w, h, faces)

    def _detect_array(self, rgb: np.ndarray, width: int, height: int) -> tuple[Face, ...]:
        det = self.detector.detect(rgb, work_side=self.settings.face_detect_side)
        sx, sy = width / rgb.shape[1], height / rgb.shape[0]
        faces = []
        for box, score, kps, src in zip(det.boxes, det.scores, det.keypoints, det.sources):
            x0, y0, x1, y1 = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
            faces.append(Face(box=(round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))),
                              score=float(score),
                              landmarks=tuple((float(x * sx), float(y * sy)) for x, y in kps),
                              detectors=source_names(int(src))))
        return tuple(faces)

    def chip_transform(self, rgb: np.ndarray, keypoints: np.ndarray) -> tuple[np.ndarray, str, np.ndarray]:
        """(image -> chip matrix, alignment name, the points it used) for one face of ``rgb``.

        dlib's 5 landmarks, found by the ported predictor from a frame set by BlazeFace's keypoints,
        placed on dlib's own chip template: the alignment dlib's ResNet was trained with (median
        embedding distance to dlib's own chip in models/MODELS.md). Without the predictor's file,
        BlazeFace's 4 keypoints on their measured template."""
        predictor = self.landmarks
        if predictor is not None:
            pts = landmarks_from_keypoints(predictor, rgb, keypoints)
            return align.chip_matrix(pts, DLIB_CHIP_TEMPLATE), LANDMARKS_ID, pts
        return align.chip_transform(keypoints), "blazeface_keypoints", keypoints[list(align.TEMPLATE_KEYPOINTS)]

    def _observe_array(self, rgb: np.ndarray, width: int, height: int,
                       faces: tuple[Face, ...]) -> tuple[FaceObservation, ...]:
        sx, sy = rgb.shape[1] / width, rgb.shape[0] / height
        chips, observed = [], []
        for f in faces:
            kps = np.array(f.landmarks, np.float64) * [sx, sy]
            m, how, pts = self.chip_transform(rgb, kps)
            chip = align.extract_chip(rgb, m)
            chips.append(chip)
            eyes = float(np.hypot(*(np.array(f.landmarks[RIGHT_EYE]) - f.landmarks[LEFT_EYE])))
            points = tuple((float(x / sx), float(y / sy)) for x, y in pts)
            observed.append(replace(f, eye_distance=eyes, sharpness=align.sharpness(chip), alignment=how,
                                    alignment_points=points))
        emb = self.embedder.embed(np.stack(chips))
        return tuple(FaceObservation(i, f, emb[i], f.sharpness or 0.0, f.eye_distance or 0.0)
                     for i, f in enumerate(observed))

    def bank_faces(self, img: LoadedImage) -> list:
        return bank_faces(self, img)


def _shrink(rgb: np.ndarray, side: int) -> np.ndarray:
    """``rgb`` with its longer side at most ``side`` (area averaging); the array itself when it fits."""
    size = fitted_size(rgb.shape[1], rgb.shape[0], side)
    return rgb if size is None else shrink(rgb, size)


def bank_faces(pipeline: FacePipeline, img: LoadedImage) -> list[tuple[tuple[int, int, int, int], float, str,
                                                                   np.ndarray]]:
    """What the bank stores for an image's faces: its main face only, as (box, score, model, embedding).

    Why only the main face: a bank entry carries one label, and the bystanders of a celebrity photo
    are not that celebrity; storing them would name strangers. No face models: nothing is stored.
    """
    if not (pipeline.models.has(DETECTOR_ID) and pipeline.models.has(EMBEDDER_ID)):
        return []
    main = main_face(pipeline.observe(img, pipeline.detect(img)))
    if main is None:
        return []
    return [(main.face.box, main.face.score, EMBEDDER_ID, main.embedding)]


def main_face(observations: tuple[FaceObservation, ...], size_ratio: float = 0.5) -> FaceObservation | None:
    """The photo's main face: among faces at least ``size_ratio`` as large as the largest, the sharpest.

    Why not just the largest: a blurred foreground face is a worse witness of identity than a sharp
    one of nearly the same size; why not just the sharpest: a small sharp bystander is not the subject.
    """
    if not observations:
        return None
    largest = max(o.face.box[2] * o.face.box[3] for o in observations)
    big = [o for o in observations if o.face.box[2] * o.face.box[3] >= size_ratio * largest]
    return max(big, key=lambda o: o.sharpness)
