"""Face alignment: a similarity transform from detector keypoints to dlib's 150x150 face chip.

dlib's face recognition network was trained on chips cut by ``get_face_chip_details(shape5, 150,
0.25)``, which fits dlib's 5-point landmarks to fixed positions. BlazeFace gives other points (eye
centres, nose tip, mouth centre), so ``CHIP_TEMPLATE`` holds where those points fall on dlib's own
chips, averaged over real faces by ``tools/calibrate_alignment.py`` (agreement figures in
models/MODELS.md). Aligning our points to it reproduces dlib's crop without dlib's landmark model.
"""

from __future__ import annotations

import cv2
import numpy as np

CHIP_SIDE = 150

#: BlazeFace keypoints 0-3 (right eye, left eye, nose tip, mouth centre) on dlib's 150 px chip:
#: the mean over 26 faces measured by tools/calibrate_alignment.py, mirrored about dlib's own axis of
#: symmetry (x = 74.0) so that no head-turn of the sample is built in
CHIP_TEMPLATE = np.array([
    [48.16, 45.69],
    [99.84, 45.69],
    [74.00, 79.30],
    [74.00, 103.59],
], dtype=np.float64)
#: dlib's 5-point template is symmetric about this chip column
TEMPLATE_AXIS_X = 74.0

#: which detector keypoints the template uses
TEMPLATE_KEYPOINTS = (0, 1, 2, 3)


def symmetrise(template: np.ndarray, axis_x: float = TEMPLATE_AXIS_X) -> np.ndarray:
    """Average a (right eye, left eye, nose, mouth) template with its mirror image about ``axis_x``."""
    mirror = np.asarray(template, np.float64).copy()
    mirror[:, 0] = 2 * axis_x - mirror[:, 0]
    mirror = mirror[[1, 0, 2, 3]]
    return (np.asarray(template, np.float64) + mirror) / 2


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares rotation + uniform scale + translation taking ``src`` points onto ``dst``.

    Returns the 2x3 matrix M with dst ~ M @ [x, y, 1]. Umeyama's closed form; reflections excluded.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError("similarity_transform needs two (N>=2, 2) point arrays of the same shape")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    var_s = (s ** 2).sum() / len(src)
    if var_s <= 1e-12:
        raise ValueError("source points coincide")
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1
    rot = u @ np.diag(sign) @ vt
    scale = (sig * sign).sum() / var_s
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - m[:, :2] @ mu_s
    return m


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, np.float64)
    return pts @ m[:, :2].T + m[:, 2]


def chip_matrix(points: np.ndarray, template: np.ndarray, side: int = CHIP_SIDE) -> np.ndarray:
    """Image -> chip matrix placing ``points`` on ``template`` (chip pixels) the way dlib does it.

    dlib fits chip -> image, keeps its rotation and scale, and centres the chip's pixel grid
    (centre (side-1)/2) on the image of the template's centre (side/2), one chip pixel per
    ``scale`` image pixels. Registering our chips on dlib's own (``tools/calibrate_alignment.py``)
    confirmed this grid: a side/(side-1) stretch, tried before, was 0.7% too large (mean pixel
    difference 2.1 grey levels instead of 0.75).
    """
    fit = similarity_transform(template, points)  # chip -> image
    lin = fit[:, :2]
    centre = apply(fit, np.array([[side / 2.0, side / 2.0]]))[0]
    fwd = np.hstack([lin, (centre - lin @ np.array([(side - 1) / 2.0] * 2))[:, None]])
    return cv2.invertAffineTransform(fwd)


def chip_transform(keypoints: np.ndarray, template: np.ndarray = CHIP_TEMPLATE,
                   which: tuple[int, ...] = TEMPLATE_KEYPOINTS) -> np.ndarray:
    """Image -> chip matrix for one face's detector keypoints (6, 2)."""
    return chip_matrix(np.asarray(keypoints, np.float64)[list(which)], template)


def extract_chip(rgb: np.ndarray, m: np.ndarray, side: int = CHIP_SIDE) -> np.ndarray:
    """Cut the chip (side, side, 3) uint8 with bilinear sampling.

    Like dlib, a face more than twice the chip's size is first halved with a 5-tap Gaussian pyramid
    (cv2.pyrDown) until it is less than twice as large, so bilinear sampling does not alias.
    """
    m = np.asarray(m, np.float64)
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    if scale < 0.5:
        inv = cv2.invertAffineTransform(m)
        corners = apply(inv, np.array([[0, 0], [side, 0], [0, side], [side, side]], np.float64))
        pad = 8
        x0, y0 = np.floor(corners.min(0)).astype(int) - pad
        x1, y1 = np.ceil(corners.max(0)).astype(int) + pad
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 - x0 >= 8 and y1 - y0 >= 8:
            img = rgb[y0:y1, x0:x1]
            m = m.copy()
            m[:, 2] += m[:, :2] @ np.array([x0, y0], np.float64)  # crop offset
            while scale < 0.5 and min(img.shape[:2]) >= 4:
                img = cv2.pyrDown(img)  # down(p) = p / 2
                m[:, :2] *= 2.0
                scale *= 2.0
            rgb = img
    return cv2.warpAffine(rgb, m, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian of the chip's grey levels: higher is sharper (used to pick a main face)."""
    grey = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())
