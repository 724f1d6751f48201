"""Frame sampling: every scene change plus a uniform floor, within a per-minute cap (``Sampling``).

Streaming: frames come from the decoder one by one and only the sampled ones are converted to the
working size, so memory does not grow with the clip's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from imgcheck.video.decode import ScanFrame
from imgcheck.video.limits import Sampling

_BINS = 16


@dataclass(frozen=True)
class Sample:
    """One sampled frame: its number among the samples, frame index, time, shot, and working copy."""

    n: int
    index: int
    time_s: float
    shot: int
    #: first sample of its shot (the clip's start or a scene change)
    shot_start: bool
    #: histogram distance to the previous scanned frame (0..1)
    change: float
    rgb: np.ndarray


def colour_histogram(thumb: np.ndarray) -> np.ndarray:
    """Concatenated, normalised 16-bin histograms of R, G and B."""
    q = (thumb.reshape(-1, 3) // (256 // _BINS)).astype(np.int64)
    h = np.concatenate([np.bincount(q[:, c], minlength=_BINS) for c in range(3)]).astype(np.float64)
    return h / max(1.0, h.sum() / 3)


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Half the L1 distance per channel, averaged over channels: 0 same colours, 1 disjoint."""
    return float(np.abs(a - b).sum() / 6.0)


def grey_layout(thumb: np.ndarray) -> np.ndarray:
    """Grey levels of the thumbnail (0..1): where things are, which colour histograms ignore."""
    return thumb.astype(np.float32).mean(axis=2) / 255.0


def is_cut(hist_distance: float, layout_change: float, params: Sampling) -> bool:
    """A scene change: the colours change a lot, or change clearly while the layout changes too."""
    return hist_distance >= params.cut_distance or (hist_distance >= params.cut_distance * params.cut_soft
                                                    and layout_change >= params.cut_layout)


def sample_frames(frames: Iterator[ScanFrame], params: Sampling, duration_s: float = 0.0) -> Iterator[Sample]:
    """Sampled frames in time order (see ``Sampling`` for the rule)."""
    scan_step = 1.0 / params.scan_fps
    floor_step = 1.0 / params.floor_fps
    if duration_s > 0 and params.min_samples > 0:  # short clips: denser, down to every scanned frame
        floor_step = max(scan_step, min(floor_step, duration_s / params.min_samples))
    min_gap = min(60.0 / params.max_per_minute, floor_step)
    next_scan = 0.0
    prev_hist: np.ndarray | None = None
    prev_grey: np.ndarray | None = None
    last_sampled: float | None = None
    shot, shot_sampled, n = 0, False, 0
    eps = 1e-6
    for f in frames:
        if f.time_s + eps < next_scan and prev_hist is not None:
            continue
        next_scan = max(next_scan + scan_step, f.time_s + scan_step * 0.5)
        thumb = f.thumb()
        hist, grey = colour_histogram(thumb), grey_layout(thumb)
        change = 0.0 if prev_hist is None else histogram_distance(hist, prev_hist)
        layout = 0.0 if prev_grey is None or prev_grey.shape != grey.shape else float(np.abs(grey - prev_grey).mean())
        prev_hist, prev_grey = hist, grey
        if is_cut(change, layout, params):
            shot += 1
            shot_sampled = False
        due = last_sampled is None or f.time_s - last_sampled >= floor_step - eps
        cut_due = not shot_sampled and (last_sampled is None or f.time_s - last_sampled >= min_gap - eps)
        if due or cut_due:
            yield Sample(n, f.index, f.time_s, shot, not shot_sampled, change, f.rgb(params.work_side))
            n += 1
            last_sampled = f.time_s
            shot_sampled = True
