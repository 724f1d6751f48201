"""Features the pixel detector reads: a CLIP ViT-B/16 image embedding and cheap noise-residual statistics.

The CLIP embedding carries what generated pictures look like; the residual statistics carry what
camera pipelines leave in the finest pixel scale (sensor noise, demosaicing correlation between colour
channels, the spectrum of the high-pass residual). Both are computed on the image as uploaded.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
from PIL import Image

CLIP_SIDE = 224
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32).reshape(1, 3, 1, 1)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32).reshape(1, 3, 1, 1)
#: longest side the residual statistics are measured at (larger inputs are downscaled first)
RESIDUAL_SIDE = 768
RESIDUAL_NAMES: tuple[str, ...] = (
    "res_std", "res_mad", "res_kurt", "corr_rg", "corr_gb", "corr_rb",
    "band0", "band1", "band2", "band3", "band4", "band5", "band6", "band7",
    "peak_x2", "peak_y2", "peak_x4", "peak_y4", "flat_blocks", "block_std_med",
)


def clip_tensor(rgb: np.ndarray) -> np.ndarray:
    """(1, 3, 224, 224) float32: shorter side to 224 (bicubic), centre crop, CLIP mean/std."""
    im = Image.fromarray(np.ascontiguousarray(rgb))
    w, h = im.size
    scale = CLIP_SIDE / min(w, h)
    nw, nh = max(CLIP_SIDE, round(w * scale)), max(CLIP_SIDE, round(h * scale))
    im = im.resize((nw, nh), Image.Resampling.BICUBIC)
    left, top = (nw - CLIP_SIDE) // 2, (nh - CLIP_SIDE) // 2
    arr = np.asarray(im.crop((left, top, left + CLIP_SIDE, top + CLIP_SIDE)), dtype=np.float32) / 255.0
    arr = arr.transpose(2, 0, 1)[np.newaxis]
    return ((arr - CLIP_MEAN) / CLIP_STD).astype(np.float32)


def clip_features(session, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit-normalised 512-d image embedding, unit-normalised 768-d mean of the last patch tokens)."""
    name = session.get_inputs()[0].name
    embeds, tokens = session.run(None, {name: clip_tensor(rgb)})[:2]
    emb = embeds[0].astype(np.float64)
    patch = tokens[0, 1:].mean(axis=0).astype(np.float64)
    return emb / max(np.linalg.norm(emb), 1e-12), patch / max(np.linalg.norm(patch), 1e-12)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    return float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-9))


def residual_features(rgb: np.ndarray) -> np.ndarray:
    """20 statistics of the high-pass residual (names in RESIDUAL_NAMES)."""
    h, w = rgb.shape[:2]
    if max(h, w) > RESIDUAL_SIDE:
        s = RESIDUAL_SIDE / max(h, w)
        rgb = cv2.resize(rgb, (max(8, round(w * s)), max(8, round(h * s))), interpolation=cv2.INTER_AREA)
    f = rgb.astype(np.float32)
    res = f - cv2.GaussianBlur(f, (0, 0), 1.0)
    grey = res.mean(axis=2)
    sd = float(grey.std()) + 1e-6
    mad = float(np.median(np.abs(grey - np.median(grey)))) + 1e-6
    kurt = float(((grey - grey.mean()) ** 4).mean() / sd ** 4)
    corr = [_corr(res[..., 0], res[..., 1]), _corr(res[..., 1], res[..., 2]), _corr(res[..., 0], res[..., 2])]
    gh, gw = grey.shape
    win = np.outer(np.hanning(gh), np.hanning(gw)).astype(np.float32)
    power = np.abs(np.fft.fftshift(np.fft.fft2(grey * win))) ** 2
    yy, xx = np.mgrid[0:gh, 0:gw]
    fy, fx = (yy - gh // 2) / gh, (xx - gw // 2) / gw
    radius = np.sqrt(fx ** 2 + fy ** 2)
    edges = np.array([0.0, 0.02, 0.04, 0.08, 0.13, 0.2, 0.28, 0.38, 0.75])
    total = float(power.sum()) + 1e-9
    bands = [float(power[(radius >= lo) & (radius < hi)].sum() / total) for lo, hi in itertools.pairwise(edges)]
    logp = np.log(power + 1e-6)
    med = float(np.median(logp))

    def peak(ix: float, iy: float) -> float:
        cy, cx = gh // 2 + round(iy * gh), gw // 2 + round(ix * gw)
        cy, cx = min(max(cy, 1), gh - 2), min(max(cx, 1), gw - 2)
        return float(logp[cy - 1:cy + 2, cx - 1:cx + 2].max() - med)

    peaks = [peak(0.49, 0), peak(0, 0.49), peak(0.25, 0), peak(0, 0.25)]
    bh, bw = gh // 8 * 8, gw // 8 * 8
    blocks = np.abs(grey[:bh, :bw]).reshape(bh // 8, 8, bw // 8, 8).std(axis=(1, 3))
    flat = float((blocks < 0.5).mean())
    block_med = float(np.log(np.median(blocks) + 1e-3))
    # a flat image has kurtosis 0: floor it (only such images change) so no log(0) warning or -inf
    vals = [np.log(sd), np.log(mad), np.log(max(kurt, 1e-6)), *corr, *bands, *peaks, flat, block_med]
    return np.asarray(vals, dtype=np.float64)
