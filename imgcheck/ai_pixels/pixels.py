"""Run the pixel detector: CLIP encoder + noise-residual statistics -> calibrated head -> probability.

The head's manifest entry says which feature blocks it reads (``features``), which encoder produces
the embedding (``encoder``) and its operating points (``flag_at``, ``clear_below``), so a head refitted
by ``imgcheck detector train`` carries its own thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcheck.ai_pixels import features
from imgcheck.errors import ModelError

#: feature blocks a head may read, in the order they are concatenated
FEATURE_BLOCKS: tuple[str, ...] = ("clip_embed", "clip_patch", "residual")
DEFAULT_HEAD = "ai_pixels_head"
#: feature count of each block (the last block takes the rest)
BLOCK_SIZES: dict[str, int] = {"clip_embed": 512, "clip_patch": 768, "residual": len(features.RESIDUAL_NAMES)}
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
    #: per feature block, its share of the logit minus its average share over the training images
    #: (positive = this block pushed towards "generated"); empty when the head has no reference
    parts: tuple[tuple[str, float], ...] = ()

    def spoke(self) -> str | None:
        """The feature block that pushed hardest towards the verdict's side, or None."""
        if not self.parts:
            return None
        towards_ai = self.probability >= 0.5
        name, value = max(self.parts, key=lambda kv: kv[1] if towards_ai else -kv[1])
        return name if (value > 0) == towards_ai else None


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
    # the head is affine + sigmoid: scoring each block alone (others zero) and nothing at all splits the
    # logit into per-block terms, compared with their training averages (manifest ``reference_logits``)
    spans, start = [], 0
    for b in (b for b in FEATURE_BLOCKS if b in info.blocks):
        size = BLOCK_SIZES.get(b, len(vec) - start)
        spans.append((b, start, start + size))
        start += size
    batch = np.zeros((2 + len(spans), len(vec)), dtype=np.float32)
    batch[0] = vec
    for i, (_, lo, hi) in enumerate(spans):
        batch[2 + i, lo:hi] = vec[lo:hi]
    probs = head.run(None, {name: batch})[0].reshape(-1).astype(np.float64)
    prob = float(probs[0])
    parts: tuple[tuple[str, float], ...] = ()
    ref = registry.spec(model_id).extra.get("reference_logits")
    if isinstance(ref, dict) and start == len(vec):
        logit = np.log(np.clip(probs, 1e-12, 1.0)) - np.log(np.clip(1.0 - probs, 1e-12, 1.0))
        parts = tuple((b, round(float(logit[2 + i] - logit[1] - float(ref.get(b, 0.0))), 3))
                      for i, (b, _, _) in enumerate(spans))
    return PixelScore(probability=prob, head=info, head_sha256=registry.spec(model_id).sha256,
                      encoder_sha256=registry.spec(info.encoder).sha256, parts=parts)
