"""Small video clips made from the photo fixtures, for the video tests and the video benchmark.

Every clip is a slow zoom over real photos (a "Ken Burns" move, so consecutive frames differ as in
a filmed clip), written with PyAV (libx264 / libx265 / VP9 / MPEG-4 Part 2) at small sizes so tests
stay fast. The face-swap clip pastes a second person's face, feathered, over the first person's
face in the same shot: the background, framing and motion stay those of the first clip.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

FIXTURES = Path(__file__).parent / "fixtures"

#: face centre (fraction of width, height) and face height (fraction of image height), measured
#: with the project's face detector on each fixture
FACE_AT: dict[str, tuple[float, float, float]] = {
    "obama.jpg": (493 / 910, 272 / 1137, 283 / 1137),
    "obama2.jpg": (313 / 626, 445 / 1200, 342 / 1200),
    "obama3.jpg": (793 / 1434, 449 / 2333, 310 / 2333),
    "biden.jpg": (582 / 970, 395 / 2204, 308 / 2204),
    "grace_hopper.jpg": (263 / 512, 223 / 600, 210 / 600),
}

#: (container suffix, codec) pairs the tests write
CODECS = {"mp4": "libx264", "mov": "libx264", "webm": "libvpx-vp9", "avi": "mpeg4", "mkv": "libx264",
          "hevc.mp4": "libx265"}


def photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(FIXTURES / name).convert("RGB"))


def framed(name: str, size: tuple[int, int], face_share: float = 0.36) -> np.ndarray:
    """The fixture cropped (aspect of ``size``) around its face so the face is ``face_share`` of the
    frame height, then resized to ``size``; photos without a known face are centre-cropped."""
    rgb = photo(name)
    h, w = rgb.shape[:2]
    fw, fh = size
    if name in FACE_AT:
        cx, cy, share = FACE_AT[name]
        crop_h = min(h, share * h / face_share)
        cx, cy = cx * w, cy * h
    else:
        crop_h, cx, cy = h, w / 2, h / 2
    crop_w = crop_h * fw / fh
    if crop_w > w:
        crop_w, crop_h = w, w * fh / fw
    x0 = int(np.clip(cx - crop_w / 2, 0, w - crop_w))
    y0 = int(np.clip(cy - crop_h / 2, 0, h - crop_h))
    crop = rgb[y0:y0 + int(crop_h), x0:x0 + int(crop_w)]
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)


def ken_burns(still: np.ndarray, n: int, zoom: float = 0.08) -> Iterator[np.ndarray]:
    """``n`` frames zooming slowly into ``still`` (frame size kept), centre fixed."""
    h, w = still.shape[:2]
    for i in range(n):
        s = 1.0 + zoom * i / max(1, n - 1)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, s)
        yield cv2.warpAffine(still, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def shots(names: Sequence[str], seconds: float, fps: int, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """One shot per photo, ``seconds`` each, cut hard from one to the next."""
    for name in names:
        yield from ken_burns(framed(name, size), int(round(seconds * fps)))


def face_swap(base: str, other: str, seconds: float, switch_at: float, fps: int,
              size: tuple[int, int]) -> Iterator[np.ndarray]:
    """One shot of ``base``; from ``switch_at`` seconds on, the face of ``other`` is blended over the
    face of ``base`` (same place, same size), as a face-swap tool does."""
    a = framed(base, size)
    b = framed(other, size)
    h, w = a.shape[:2]
    mask = np.zeros((h, w), np.float32)
    # both frames put the face at the centre column, at the same height share (see ``framed``)
    face_h = 0.36 * h
    cy_a = _face_row(base, size)
    cy_b = _face_row(other, size)
    shift = np.float32([[1, 0, 0], [0, 1, cy_a - cy_b]])
    b = cv2.warpAffine(b, shift, (w, h), borderMode=cv2.BORDER_REFLECT)
    cv2.ellipse(mask, (w // 2, int(cy_a)), (int(face_h * 0.42), int(face_h * 0.58)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), face_h * 0.06)[..., None]
    swapped = (a * (1 - mask) + b * mask).astype(np.uint8)
    n = int(round(seconds * fps))
    k = int(round(switch_at * fps))
    frames_a = list(ken_burns(a, n))
    frames_b = list(ken_burns(swapped, n))
    yield from frames_a[:k]
    yield from frames_b[k:]


def _face_row(name: str, size: tuple[int, int], face_share: float = 0.36) -> float:
    """Row of the face centre in ``framed(name, size)``."""
    rgb_h, rgb_w = photo(name).shape[:2]
    cx, cy, share = FACE_AT[name]
    fw, fh = size
    crop_h = min(rgb_h, share * rgb_h / face_share)
    crop_w = crop_h * fw / fh
    if crop_w > rgb_w:
        crop_w, crop_h = rgb_w, rgb_w * fh / fw
    y0 = float(np.clip(cy * rgb_h - crop_h / 2, 0, rgb_h - crop_h))
    return (cy * rgb_h - y0) * fh / crop_h


def write(path: Path, frames: Iterable[np.ndarray], fps: int = 10, codec: str | None = None,
          preset: str = "ultrafast", gop: int | None = None) -> Path:
    """Encode RGB frames into ``path`` (container from the suffix, codec from ``CODECS``)."""
    import av

    suffix = path.suffix.lower().lstrip(".")
    codec = codec or CODECS[suffix]
    it = iter(frames)
    first = next(it)
    h, w = first.shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        if codec in ("libx264", "libx265"):
            stream.options = {"preset": preset, **({"g": str(gop)} if gop else {}),
                              **({"x265-params": "log-level=error"} if codec == "libx265" else {})}
        elif codec == "libvpx-vp9":
            stream.options = {"deadline": "realtime", "cpu-used": "8"}
        for frame in (first, *it):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def animated(path: Path, frames: Iterable[np.ndarray], fps: int = 10) -> Path:
    """An animated GIF or WebP (format from the suffix) with Pillow."""
    ims = [Image.fromarray(f) for f in frames]
    fmt = "GIF" if path.suffix.lower() == ".gif" else "WEBP"
    ims[0].save(path, fmt, save_all=True, append_images=ims[1:], duration=int(1000 / fps), loop=0)
    return path
