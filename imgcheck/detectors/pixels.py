"""Run the pixel detector: CLIP encoder + noise-residual statistics -> calibrated head -> probability.

The head's manifest entry says which feature blocks it reads (``features``), which encoder produces
the embedding (``encoder``) and its operating points (``flag_at``, ``clear_below``), so a head refitted
by ``imgcheck detector train`` carries its own thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcheck.detectors import features
from imgcheck.errors import ModelError

#: feature blocks a head may read, in the order they are concatenated
FEATURE_BLOCKS: tuple[str, ...] = ("clip_embed", "clip_patch", "residual")
DEFAULT_HEAD = "ai_pixels_head"
#: longest side of the working copy the detector reads (CLIP needs 224; residuals use <= 768)
WORK_SIDE = 768


@dataclass(frozen=True)
class HeadInfo:
    model_id: str
    encoder: str
    blocks: tuple[str, ...]
    flag_at: float
    clear_below: float


@dataclass(frozen=True)
class PixelScore:
    probability: float
    head: HeadInfo
    head_sha256: str
    encoder_sha256: str


def head_info(registry, model_id: str = DEFAULT_HEAD) -> HeadInfo:
    spec = registry.spec(model_id)
    extra = spec.extra
    try:
        blocks = tuple(extra["features"])
        info = HeadInfo(model_id=model_id, encoder=str(extra["encoder"]), blocks=blocks,
                        flag_at=float(extra["flag_at"]), clear_below=float(extra["clear_below"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"manifest entry {model_id!r} lacks the detector fields "
                         f"(encoder, features, flag_at, clear_below): {exc}") from exc
    unknown = [b for b in blocks if b not in FEATURE_BLOCKS]
    if unknown or not blocks:
        raise ModelError(f"manifest entry {model_id!r} names unknown feature blocks {unknown}")
    return info


def feature_vector(encoder_session, rgb: np.ndarray, blocks: tuple[str, ...]) -> np.ndarray:
    """The concatenated feature blocks of one RGB image (float64, 1-D)."""
    parts: dict[str, np.ndarray] = {}
    if "clip_embed" in blocks or "clip_patch" in blocks:
        parts["clip_embed"], parts["clip_patch"] = features.clip_features(encoder_session, rgb)
    if "residual" in blocks:
        parts["residual"] = features.residual_features(rgb)
    return np.concatenate([parts[b] for b in FEATURE_BLOCKS if b in blocks])


def score_rgb(registry, rgb: np.ndarray, model_id: str = DEFAULT_HEAD) -> PixelScore:
    """Calibrated probability that the pixels of ``rgb`` were generated."""
    info = head_info(registry, model_id)
    vec = feature_vector(registry.session(info.encoder), rgb, info.blocks)
    head = registry.session(model_id)
    name = head.get_inputs()[0].name
    want = head.get_inputs()[0].shape[-1]
    if isinstance(want, int) and want != len(vec):
        raise ModelError(f"head {model_id!r} expects {want} features, the feature blocks give {len(vec)}")
    prob = float(head.run(None, {name: vec[np.newaxis].astype(np.float32)})[0].reshape(-1)[0])
    return PixelScore(probability=prob, head=info, head_sha256=registry.spec(model_id).sha256,
                      encoder_sha256=registry.spec(info.encoder).sha256)
