"""Upload-chain simulation: what a dating platform does to a photo before anyone sees it.

Training and evaluation send *both* classes through the same crop, resize and JPEG re-encode, so the
detector cannot learn the file format, the size or the compression of one class (the shortcut that
makes a naive real-vs-AI probe look good and then fail on re-encoded uploads).
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from imgcheck.load import fitted_size

#: the reference chain of the acceptance test: 4:5 crop, 400x500, JPEG q85, no metadata
REFERENCE_SIZE = (400, 500)
REFERENCE_QUALITY = 85


def crop_aspect(rgb: np.ndarray, aspect: float, area: float = 1.0, rng: np.random.Generator | None = None
                ) -> np.ndarray:
    """The largest ``aspect`` (width/height) window scaled to ``area`` of it; centred unless rng is given."""
    h, w = rgb.shape[:2]
    if w / h > aspect:
        ch, cw = h, h * aspect
    else:
        cw, ch = w, w / aspect
    s = float(np.sqrt(area))
    cw, ch = max(8, int(cw * s)), max(8, int(ch * s))
    if rng is None:
        x0, y0 = (w - cw) // 2, (h - ch) // 2
    else:
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return rgb[y0:y0 + ch, x0:x0 + cw]


def resize(rgb: np.ndarray, size: tuple[int, int], interpolation: int | None = None) -> np.ndarray:
    w, h = size
    if interpolation is None:
        interpolation = cv2.INTER_AREA if w * h < rgb.shape[0] * rgb.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(rgb, (w, h), interpolation=interpolation)


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=int(quality))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def reference_chain(rgb: np.ndarray) -> np.ndarray:
    """The acceptance-test chain: centred 4:5 crop, 400x500, JPEG q85."""
    return jpeg(resize(crop_aspect(rgb, 4 / 5), REFERENCE_SIZE), REFERENCE_QUALITY)


def random_chain(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random but plausible upload chain: crop, downscale, JPEG, sometimes a second lossy pass."""
    aspect = float(rng.choice([4 / 5, 1.0, 3 / 4, 4 / 3, 9 / 16, 2 / 3]))
    out = crop_aspect(rgb, aspect, area=float(rng.uniform(0.55, 1.0)), rng=rng)
    h, w = out.shape[:2]
    long_side = float(rng.uniform(320, 800))
    scale = min(long_side / max(h, w), 1.25)
    interp = int(rng.choice([cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC]))
    out = resize(out, (max(16, round(w * scale)), max(16, round(h * scale))), interp)
    out = jpeg(out, int(rng.integers(55, 96)))
    if rng.random() < 0.35:
        h, w = out.shape[:2]
        s = float(rng.uniform(0.5, 0.8))
        out = jpeg(resize(out, (max(16, round(w * s)), max(16, round(h * s)))), int(rng.integers(45, 76)))
    return out


#: the upload chain of the evaluation (issue #11): long side at most 1080, centred 4:5 crop, JPEG 85
UPLOAD_LONG_SIDE = 1080
UPLOAD_QUALITY = 85
#: the harsher chain: the upload chain, then long side 512 and a second JPEG pass
HARSH_LONG_SIDE = 512
HARSH_QUALITY = 70
NAMED_CHAINS: tuple[str, ...] = ("given", "upload", "harsh", "random")


def fit_side(rgb: np.ndarray, long_side: int) -> np.ndarray:
    """Downscale (never upscale) so that the longer side is at most ``long_side``."""
    size = fitted_size(rgb.shape[1], rgb.shape[0], long_side, minimum=8)
    return rgb if size is None else resize(rgb, size)


def upload_chain(rgb: np.ndarray) -> np.ndarray:
    """What a dating app does: centred 4:5 crop, long side <= 1080, JPEG 85, no metadata."""
    return jpeg(fit_side(np.ascontiguousarray(crop_aspect(rgb, 4 / 5)), UPLOAD_LONG_SIDE), UPLOAD_QUALITY)


def harsh_chain(rgb: np.ndarray) -> np.ndarray:
    """The upload chain, then reshared small: long side <= 512 and a second JPEG (q70)."""
    return jpeg(fit_side(upload_chain(rgb), HARSH_LONG_SIDE), HARSH_QUALITY)


def named_view(rgb: np.ndarray, name: str, seed: int = 0) -> np.ndarray:
    """One of NAMED_CHAINS applied to ``rgb`` (``random`` is seeded, so a view is reproducible)."""
    if name == "given":
        return rgb
    if name == "upload":
        return upload_chain(rgb)
    if name == "harsh":
        return harsh_chain(rgb)
    if name == "random":
        return random_chain(rgb, np.random.default_rng(seed))
    raise ValueError(f"unknown chain {name!r}; known: {', '.join(NAMED_CHAINS)}")


def read_rgb(path, max_side: int = 2048) -> np.ndarray:
    """An image file as RGB uint8, decoded at most ``max_side`` on the longer side (offline tooling)."""
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(path) as im:
        im.draft("RGB", (max_side, max_side))
        rgb = np.asarray(im.convert("RGB"))
    return fit_side(rgb, max_side)
