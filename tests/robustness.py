"""The re-upload evaluation set: real photos, the edits scammers make, and unrelated negatives.

Everything is generated from ``tests/fixtures/reupload/`` (small copies of real photos from registry
packages, see ``tests/fixtures/SOURCES.md``) by the edit functions below. Edit parameters are drawn
from a seeded generator, so the ``dev`` seed (used while developing the matcher) and the ``heldout``
seed (used only to report) give different crops, angles, filters and frames of the same kinds.
Originals are split the same way: ``DEV_ORIGINALS`` were looked at while tuning, ``HELDOUT_ORIGINALS``
only for the published figures.

Used by ``tests/test_robustness.py`` and ``python -m benchmarks.robustness``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reupload"

DEV_ORIGINALS = (
    "astronaut", "obama", "chelsea", "rocket", "group_photo_1", "china", "lomiri_aitzgorri", "lomiri_bridge",
    "lomiri_dragonfly", "mate_garden", "mate_ladybird", "opencv_fruits", "opencv_aloel", "opencv_basketball1",
    "opencv_messi5",
)
HELDOUT_ORIGINALS = (
    "grace_hopper", "biden", "coffee", "camera", "group_photo_3", "motorcycle_left", "lomiri_friends",
    "lomiri_sunset", "lomiri_picosdeeuropa", "opencv_chicky_512", "mate_dune", "mate_storm", "opencv_graf1",
    "opencv_building", "opencv_baboon",
)
#: unrelated photos; the first ones show the same people or places as bank photos (hard negatives)
NEGATIVES = (
    "obama2", "obama3",                        # same person as obama
    "group_photo_2", "group_photo_4", "group_photo_5", "group_photo_6",   # same kind of scene as group photos
    "opencv_aloer",                            # the other view of the aloeL stereo pair
    "opencv_graf3",                            # the same wall as graf1 from another viewpoint
    "opencv_leuvena", "opencv_leuvenb",        # one street, two exposures
    "opencv_aero1", "opencv_aero3",            # one scene, two views
    "lomiri_wine", "lomiri_greentock", "lomiri_free", "lomiri_life", "lomiri_picture0b", "lomiri_picture1a",
    "lomiri_seeding", "lomiri_fossa", "lomiri_kleiber", "mate_wood", "mate_aqua", "mate_twowings",
    "mate_greenmeadow", "mate_raindrops", "mate_blinds", "mate_freshflower", "mate_yellowflower",
    "opencv_orange", "opencv_apple", "opencv_squirrel_cls", "opencv_board", "opencv_box_in_scene",
    "opencv_smarties", "opencv_home", "opencv_butterfly", "opencv_rubberwhale1", "opencv_starry_night",
    "opencv_pca_test1", "opencv_licenseplate_motion", "hfs_000", "hfs_001", "hfs_002", "flower",
    "hubble_deep_field",
)
#: frames of one video a fraction of a second apart: global PDQ 24 and pHash 2 between them, so every
#: hash-based lookup (PDQ's own 31 threshold included) calls them one picture; reported on their own
NEAR_DUPLICATES = ("opencv_basketball2",)
#: real re-uploads that exist as files: (query fixture, original it copies)
TRUE_COPIES = (("obama_partial_face", "obama"),)

RGB = np.ndarray
Edit = Callable[[RGB, np.random.Generator], RGB]


def load(name: str) -> RGB:
    return np.asarray(Image.open(FIXTURES / f"{name}.jpg").convert("RGB"))


def encode_jpeg(rgb: RGB, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def encode_png(rgb: RGB) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


# -- single edits ------------------------------------------------------------------------------
def crop(rgb: RGB, rng: np.random.Generator) -> RGB:
    """Remove up to 20% of each side's length in total, centred, off-centre or from one corner."""
    h, w = rgb.shape[:2]
    fx, fy = rng.uniform(0.08, 0.20, 2)
    mode = rng.choice(["centre", "corner", "offcentre"])
    if mode == "centre":
        ax = ay = 0.5
    elif mode == "corner":
        ax, ay = rng.choice([0.0, 1.0], 2)
    else:
        ax, ay = rng.uniform(0, 1, 2)
    cw, ch = round(w * (1 - fx)), round(h * (1 - fy))
    x0, y0 = round((w - cw) * ax), round((h - ch) * ay)
    return rgb[y0:y0 + ch, x0:x0 + cw]


def letterbox(rgb: RGB, rng: np.random.Generator) -> RGB:
    """Pad to a square with black bars (the way apps fit a photo into a square post)."""
    h, w = rgb.shape[:2]
    side = max(h, w)
    colour = int(rng.choice([0, 0, 8, 16]))
    out = np.full((side, side, 3), colour, np.uint8)
    y0, x0 = (side - h) // 2, (side - w) // 2
    out[y0:y0 + h, x0:x0 + w] = rgb
    return out


def _text(img: RGB, text: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int],
          thick: int = 1) -> None:
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)


_WORDS = ("love", "this", "view", "weekend", "vibes", "sunset", "coffee", "friends", "happy", "travel",
          "summer", "mood", "life", "goals", "nofilter", "blessed", "home", "night", "city", "best")


def _sentence(rng: np.random.Generator, n: int) -> str:
    return " ".join(rng.choice(_WORDS, n))


def screenshot(rgb: RGB, rng: np.random.Generator) -> RGB:
    """A phone screenshot of a social-media post: status bar, header with a name, the photo (cut to
    at most 4:5 as feeds do), an action bar, likes and a caption, in light or dark mode."""
    width = int(rng.choice([360, 414, 540, 720]))
    dark = bool(rng.integers(2))
    bg, fg = ((0, 0, 0), (245, 245, 245)) if dark else ((255, 255, 255), (20, 20, 20))
    h, w = rgb.shape[:2]
    ph = round(h * width / w)
    photo = cv2.resize(rgb, (width, ph), interpolation=cv2.INTER_AREA)
    if ph > 1.25 * width:
        cut = ph - round(1.25 * width)
        photo = photo[cut // 2: cut // 2 + round(1.25 * width)]
        ph = photo.shape[0]
    s = width / 400
    status, header, actions, text_h = round(22 * s), round(52 * s), round(44 * s), round(rng.integers(60, 140) * s)
    total = status + header + ph + actions + text_h
    out = np.full((total, width, 3), bg, np.uint8)
    _text(out, "9:41", (round(12 * s), round(16 * s)), 0.45 * s, fg, 1)
    cv2.rectangle(out, (width - round(40 * s), round(6 * s)), (width - round(14 * s), round(15 * s)), fg, 1)
    cy = status + header // 2
    cv2.circle(out, (round(24 * s), cy), round(15 * s), (200, 80, 120), -1)
    _text(out, str(rng.choice(["jenny.travels", "mark_1987", "sunny.days", "lisa_m"])),
          (round(48 * s), cy + round(5 * s)), 0.5 * s, fg, 1)
    _text(out, "...", (width - round(30 * s), cy), 0.5 * s, fg, 1)
    y = status + header
    out[y:y + ph] = photo
    y += ph
    for i in range(3):
        cv2.circle(out, (round((20 + 34 * i) * s), y + actions // 2), round(9 * s), fg, 1)
    y += actions
    _text(out, f"{int(rng.integers(12, 990))} likes", (round(12 * s), y + round(16 * s)), 0.45 * s, fg, 1)
    line = y + round(36 * s)
    while line < total - round(8 * s):
        _text(out, _sentence(rng, 5), (round(12 * s), line), 0.42 * s, fg, 1)
        line += round(20 * s)
    return out


def rotate(rgb: RGB, rng: np.random.Generator) -> RGB:
    """Rotate by about 3 degrees either way; corners either black or cut away."""
    h, w = rgb.shape[:2]
    angle = float(rng.uniform(2.0, 3.5) * rng.choice([-1, 1]))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    if rng.integers(2):
        a = np.deg2rad(abs(angle))
        # largest axis-aligned box inside the rotated frame (small-angle bound)
        dx = round(h * np.sin(a) + 2)
        dy = round(w * np.sin(a) + 2)
        out = out[dy // 2 + 1: h - dy // 2 - 1, dx // 2 + 1: w - dx // 2 - 1]
    return out


def mirror(rgb: RGB, rng: np.random.Generator) -> RGB:
    return np.ascontiguousarray(rgb[:, ::-1])


def brightness_contrast(rgb: RGB, rng: np.random.Generator) -> RGB:
    alpha = float(rng.choice([rng.uniform(0.65, 0.85), rng.uniform(1.15, 1.4)]))
    beta = float(rng.uniform(-35, 35))
    return np.clip(rgb.astype(np.float32) * alpha + beta, 0, 255).astype(np.uint8)


def grayscale(rgb: RGB, rng: np.random.Generator) -> RGB:
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.stack([g] * 3, axis=-1)


def warm_vignette(rgb: RGB, rng: np.random.Generator) -> RGB:
    """An 'Instagram' warm filter: red up, blue down, lifted blacks, dark corners."""
    f = rgb.astype(np.float32)
    warmth = float(rng.uniform(1.08, 1.2))
    f[..., 0] *= warmth
    f[..., 2] /= warmth
    f = f * 0.9 + float(rng.uniform(10, 30))
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / np.sqrt(2)
    strength = float(rng.uniform(0.35, 0.6))
    f *= (1 - strength * r ** 2)[..., None]
    return np.clip(f, 0, 255).astype(np.uint8)


def caption(rgb: RGB, rng: np.random.Generator) -> RGB:
    """A solid bar with text added above or below the photo (a meme-style caption)."""
    h, w = rgb.shape[:2]
    bar = max(24, round(h * rng.uniform(0.10, 0.20)))
    colour = (255, 255, 255) if rng.integers(2) else (0, 0, 0)
    ink = (0, 0, 0) if colour[0] else (255, 255, 255)
    band = np.full((bar, w, 3), colour, np.uint8)
    scale = max(0.4, bar / 60)
    _text(band, _sentence(rng, 3).upper(), (8, bar // 2 + round(8 * scale)), scale, ink, max(1, round(scale * 2)))
    return np.vstack([band, rgb] if rng.integers(2) else [rgb, band])


def quarter(rgb: RGB, rng: np.random.Generator) -> RGB:
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)


def squeeze(rgb: RGB, rng: np.random.Generator) -> RGB:
    """Change the aspect ratio by about 12% (a photo stretched to fit a frame)."""
    h, w = rgb.shape[:2]
    f = float(rng.uniform(0.86, 0.90))
    size = (round(w * f), h) if rng.integers(2) else (w, round(h * f))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def chain(*edits: Edit) -> Edit:
    def run(rgb: RGB, rng: np.random.Generator) -> RGB:
        for e in edits:
            rgb = e(rgb, rng)
        return rgb
    return run


@dataclass(frozen=True)
class EditSpec:
    name: str
    edit: Edit
    #: JPEG quality the edited copy is saved with (q30: heavy recompression)
    quality: int = 85


EDITS: tuple[EditSpec, ...] = (
    EditSpec("identity", lambda rgb, rng: rgb),
    EditSpec("crop", crop),
    EditSpec("corner_crop", lambda rgb, rng: _corner_crop(rgb, rng)),
    EditSpec("letterbox", letterbox),
    EditSpec("screenshot", screenshot),
    EditSpec("rotate3", rotate),
    EditSpec("mirror", mirror),
    EditSpec("brightness_contrast", brightness_contrast),
    EditSpec("grayscale", grayscale),
    EditSpec("warm_vignette", warm_vignette),
    EditSpec("caption", caption),
    EditSpec("jpeg_q30", lambda rgb, rng: rgb, quality=30),
    EditSpec("resize_quarter", quarter),
    EditSpec("squeeze12", squeeze),
    EditSpec("mirror+crop+caption", chain(mirror, crop, caption), quality=60),
    EditSpec("crop+warm+jpeg", chain(crop, warm_vignette), quality=40),
    EditSpec("screenshot+mirror", chain(mirror, screenshot)),
    EditSpec("letterbox+brightness", chain(brightness_contrast, letterbox)),
    EditSpec("rotate+crop+gray", chain(rotate, crop, grayscale), quality=50),
    EditSpec("squeeze+quarter+jpeg", chain(squeeze, quarter), quality=40),
    EditSpec("crop+screenshot", chain(crop, screenshot), quality=70),
)

#: edits applied to negatives too, so frames and bars alone never make a match
NEGATIVE_EDITS: tuple[EditSpec, ...] = (EDITS[0], EDITS[3], EDITS[4], EDITS[10])

SEEDS = {"dev": 20261129, "heldout": 777}


def _corner_crop(rgb: RGB, rng: np.random.Generator) -> RGB:
    """Exactly 20% off both axes, anchored at a random corner (the hardest crop in the issue)."""
    h, w = rgb.shape[:2]
    cw, ch = round(w * 0.8), round(h * 0.8)
    ax, ay = rng.choice([0, 1], 2)
    return rgb[(h - ch) * ay:(h - ch) * ay + ch, (w - cw) * ax:(w - cw) * ax + cw]


@dataclass(frozen=True)
class Query:
    original: str | None        # bank fixture it copies; None for a negative
    edit: str
    source: str                 # fixture the pixels come from
    data: bytes


def _rng(seed: int, *parts: str) -> np.random.Generator:
    key = sum((i + 1) * b for i, b in enumerate("/".join(parts).encode()))
    return np.random.default_rng([seed, key])


def positive_queries(originals: tuple[str, ...], split: str = "dev",
                     edits: tuple[EditSpec, ...] = EDITS) -> Iterator[Query]:
    seed = SEEDS[split]
    for name in originals:
        rgb = load(name)
        for spec in edits:
            out = spec.edit(rgb, _rng(seed, name, spec.name))
            yield Query(name, spec.name, name, encode_jpeg(np.ascontiguousarray(out), spec.quality))
    for query, original in TRUE_COPIES:
        if original in originals:
            yield Query(original, "real_crop", query, (FIXTURES / f"{query}.jpg").read_bytes())


def negative_queries(negatives: tuple[str, ...] = NEGATIVES, split: str = "dev",
                     edits: tuple[EditSpec, ...] = NEGATIVE_EDITS) -> Iterator[Query]:
    seed = SEEDS[split]
    for name in negatives:
        rgb = load(name)
        for spec in edits:
            out = spec.edit(rgb, _rng(seed, name, spec.name))
            yield Query(None, spec.name, name, encode_jpeg(np.ascontiguousarray(out), spec.quality))
