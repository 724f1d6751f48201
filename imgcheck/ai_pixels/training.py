"""Refit and evaluate the pixel detector on a platform's own labelled photos.

``imgcheck detector train`` embeds every photo under several random upload chains (augmentation that
keeps the head from learning one folder's format or compression), cross-validates grouped by photo,
calibrates the out-of-fold scores (Platt), picks the flag threshold at a 1% false-positive rate on the
real photos (never below 0.9), and writes a head plus a manifest into a model folder of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgcheck.ai_pixels import chain, evaluation, pixels
from imgcheck.ai_pixels import head as headlib
from imgcheck.errors import InputError
from imgcheck.load import Limits, load_image

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif",
                            ".avif", ".gif"})
#: the flag threshold never goes below this calibrated probability
MIN_FLAG_AT = 0.9
TARGET_FPR = 0.01
CLEAR_BELOW = 0.5


@dataclass(frozen=True)
class Scores:
    """Detector scores of a labelled set and the figures a card reports."""

    ai: np.ndarray
    real: np.ndarray

    def summary(self, flag_at: float | None = None) -> dict[str, float]:
        out = {"n_ai": len(self.ai), "n_real": len(self.real),
               "auc": round(headlib.auc(self.ai, self.real), 4),
               "tpr_at_1pct_fpr": round(headlib.tpr_at_fpr(self.ai, self.real, 0.01)[0], 4),
               "tpr_at_5pct_fpr": round(headlib.tpr_at_fpr(self.ai, self.real, 0.05)[0], 4)}
        if flag_at is not None:
            out["flag_at"] = flag_at
            out["flagged_real"] = round(float((self.real >= flag_at).mean()), 4)
            out["flagged_ai"] = round(float((self.ai >= flag_at).mean()), 4)
        return out


def list_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not found:
        raise InputError(f"{folder}: no images found")
    return found


def _rgb(path: Path, limits: Limits) -> np.ndarray | None:
    try:
        return np.asarray(load_image(path, limits=limits).rgb(2048))
    except InputError:
        return None


def score_paths(registry, paths: Iterable[Path], model_id: str = pixels.DEFAULT_HEAD,
                use_chain: bool = False, limits: Limits | None = None,
                progress: Callable[[Path], None] | None = None) -> np.ndarray:
    """Detector probabilities of image files (unreadable files are skipped)."""
    limits = limits or Limits()
    out = []
    for p in paths:
        rgb = _rgb(p, limits)
        if progress:
            progress(p)
        if rgb is None:
            continue
        if use_chain:
            rgb = chain.reference_chain(rgb)
        out.append(pixels.score_rgb(registry, rgb, model_id).probability)
    return np.asarray(out, dtype=np.float64)


def evaluate(registry, real: Sequence[Path], ai: Sequence[Path], model_id: str = pixels.DEFAULT_HEAD,
             use_chain: bool = False, progress: Callable[[Path], None] | None = None) -> Scores:
    return Scores(ai=score_paths(registry, ai, model_id, use_chain, progress=progress),
                  real=score_paths(registry, real, model_id, use_chain, progress=progress))


def source_of(path: Path, root: Path) -> str:
    """The source of a labelled image: its first sub-folder under the labelled folder (else the folder)."""
    rel = path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else root.name


def _loaded(view: np.ndarray, name: str):
    """A decoded view as the checker would load it (lossless PNG: the view's own pixels)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(view)).save(buf, "PNG", compress_level=1)
    return load_image(buf.getvalue(), name=name)


@dataclass(frozen=True)
class PartScores:
    """Per part of the detector, the scored views: the whole-image head; the FFHQ-layout rule (its fused
    probability, on the views whose main face sits on the layout); both as the check decides."""

    image: list[evaluation.Scored]
    face: list[evaluation.Scored]
    fused: list[evaluation.Scored]
    #: views the layout rule did not apply to, by reason (no_face, off_layout, face_too_small, face_cut)
    face_abstained: dict[str, int]


def score_sources(registry, real_root: Path, ai_root: Path, chains: Sequence[str] = ("given",),
                  model_id: str = pixels.DEFAULT_HEAD, face_detector=None, face_pipeline=None,
                  progress: Callable[[Path], None] | None = None) -> list[evaluation.Scored] | PartScores:
    """Score every image of the two labelled folders under each named upload chain.

    Sub-folders are sources (a generator, a photo collection), so the report can say which one fails;
    ``face_detector`` (a ``FaceDetector``) marks the images with a face for the "faces apart" figures.
    With ``face_pipeline`` (an ``imgcheck.faces.FacePipeline``) and the face head installed, the
    FFHQ-layout rule runs too and a ``PartScores`` comes back: whole image, layout rule, and the two as
    the check decides (each part's strength, its line at 0.5; the larger one counts).
    """
    from imgcheck.ai_pixels import gan_face
    from imgcheck.strength import SCALES, grade

    limits = Limits()
    rule = (gan_face.LayoutRule.from_spec(registry.spec(gan_face.HEAD_ID).extra)
            if face_pipeline is not None and registry.has(gan_face.HEAD_ID) else None)
    with_face = rule is not None
    info = pixels.head_info(registry, model_id)
    out: list[evaluation.Scored] = []
    faces_out: list[evaluation.Scored] = []
    fused: list[evaluation.Scored] = []
    abstained: dict[str, int] = {}
    for label, root in (("real", real_root), ("ai", ai_root)):
        for p in list_images(root):
            rgb = _rgb(p, limits)
            if progress:
                progress(p)
            if rgb is None:
                continue
            src = source_of(p, root)
            kind = src if label == "ai" else ""
            for name in chains:
                view = chain.named_view(rgb, name, seed=int(hashlib.sha1(str(p).encode()).hexdigest()[:8], 16))
                work = chain.fit_side(view, pixels.WORK_SIDE)
                prob = pixels.score_rgb(registry, work, model_id).probability
                face = bool(face_detector is not None and len(face_detector.detect(work)))
                out.append(evaluation.Scored(prob, label, src, kind, face, name))
                if rule is None:
                    continue
                img = _loaded(view, p.name)
                fs = gan_face.score_main_face(registry, img.rgb(2048), face_pipeline.detect(img),
                                              img.width, img.height, rule.tolerance)
                strength = grade(prob, info.flag_at, SCALES["ai_pixels"])
                if rule.applies(fs):
                    pf = rule.probability(prob, float(fs.probability))
                    faces_out.append(evaluation.Scored(pf, label, src, kind, True, name))
                    strength = max(strength, grade(pf, rule.flag_at, SCALES["ai_pixels"]))
                else:
                    abstained[fs.reason or "?"] = abstained.get(fs.reason or "?", 0) + 1
                fused.append(evaluation.Scored(strength, label, src, kind, face or fs.box is not None, name))
    if with_face:
        return PartScores(image=out, face=faces_out, fused=fused, face_abstained=abstained)
    return out


def embed_views(registry, paths: Sequence[Path], blocks: tuple[str, ...], encoder: str, views: int,
                seed: int = 0, progress: Callable[[Path], None] | None = None) -> list[list[np.ndarray]]:
    """Feature vectors of ``views`` upload-chain views per readable file (view 0: the reference chain)."""
    session = registry.session(encoder)
    out: list[list[np.ndarray]] = []
    for p in paths:
        rgb = _rgb(p, Limits())
        if progress:
            progress(p)
        if rgb is None:
            continue
        rng = np.random.default_rng([seed, int(hashlib.sha1(str(p).encode()).hexdigest()[:8], 16)])
        vs = [chain.reference_chain(rgb)] + [chain.random_chain(rgb, rng) for _ in range(views - 1)]
        out.append([pixels.feature_vector(session, v, blocks) for v in vs])
    return out


def cross_val_logits(feats: list[list[np.ndarray]], y: np.ndarray, folds: int = 5, l2: float = 30.0,
                     seed: int = 0) -> np.ndarray:
    """Out-of-fold logits of view 0, folds grouped by photo (all views of a photo stay together)."""
    n = len(feats)
    order = np.random.default_rng(seed).permutation(n)
    fold = np.empty(n, dtype=int)
    fold[order] = np.arange(n) % folds
    oof = np.zeros(n)
    for k in range(folds):
        tr = [i for i in range(n) if fold[i] != k]
        x = np.array([v for i in tr for v in feats[i]])
        yy = np.array([y[i] for i in tr for _ in feats[i]], dtype=np.float64)
        g = np.array([i for i in tr for _ in feats[i]])
        te = [i for i in range(n) if fold[i] == k]
        oof[te] = headlib.raw_scores(x, yy, np.array([feats[i][0] for i in te]), groups=g, l2=l2)
    return oof


def operating_point(prob_ai: np.ndarray, prob_real: np.ndarray, target_fpr: float = TARGET_FPR) -> float:
    """The flag threshold: at most ``target_fpr`` of the real photos at or above it, never below 0.9."""
    return round(max(MIN_FLAG_AT, headlib.tpr_at_fpr(prob_ai, prob_real, target_fpr)[1]), 4)


def train(registry, real: Sequence[Path], ai: Sequence[Path], out_dir: Path, *, views: int = 3,
          l2: float = 30.0, base_model: str = pixels.DEFAULT_HEAD, min_per_class: int = 10,
          progress: Callable[[Path], None] | None = None) -> dict:
    """Fit a head on the labelled folders and write it with a manifest into ``out_dir``."""
    if min(len(real), len(ai)) < min_per_class:
        raise InputError(f"training needs at least {min_per_class} images per class "
                         f"(got {len(real)} real, {len(ai)} AI)")
    info = pixels.head_info(registry, base_model)
    f_real = embed_views(registry, real, info.blocks, info.encoder, views, progress=progress)
    f_ai = embed_views(registry, ai, info.blocks, info.encoder, views, progress=progress)
    if min(len(f_real), len(f_ai)) < min_per_class:
        raise InputError(f"training needs at least {min_per_class} readable images per class "
                         f"(got {len(f_real)} real, {len(f_ai)} AI)")
    feats = f_real + f_ai
    y = np.array([0] * len(f_real) + [1] * len(f_ai), dtype=np.float64)
    oof = cross_val_logits(feats, y, folds=min(5, len(f_real), len(f_ai)), l2=l2)
    x = np.array([v for fv in feats for v in fv])
    yy = np.array([y[i] for i, fv in enumerate(feats) for _ in fv])
    g = np.array([i for i, fv in enumerate(feats) for _ in fv])
    fitted = headlib.fit_head(x, yy, groups=g, l2=l2, calib_scores=oof, calib_y=y)
    a, b = headlib.fit_logistic(oof[:, None], y, l2=1e-3, sample_weight=headlib.balanced_weights(y.astype(int)))
    prob = 1 / (1 + np.exp(-(oof * a[0] + b)))
    scores = Scores(ai=prob[y == 1], real=prob[y == 0])
    flag_at = operating_point(scores.ai, scores.real)
    report = {"cross_validated": scores.summary(flag_at)}
    write_model_dir(registry, out_dir, fitted, info, flag_at, report)
    return report


def write_model_dir(registry, out_dir: Path, fitted: headlib.LinearHead, info: pixels.HeadInfo,
                    flag_at: float, report: dict) -> Path:
    """A model folder: the new head, its manifest entry, and the encoder entry pointing at the shipped file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = headlib.to_onnx_bytes(fitted)
    head_file = out_dir / "ai_pixels_head.onnx"
    head_file.write_bytes(data)
    enc = registry.spec(info.encoder)
    enc_path = registry.path(info.encoder).resolve()
    enc_entry = {"file": str(enc_path), "sha256": enc.sha256, "source": enc.source, "licence": enc.licence,
                 "task": enc.task, "rebuild": enc.rebuild, **enc.extra}
    manifest = {"models": {
        info.encoder: enc_entry,
        pixels.DEFAULT_HEAD: {
            "file": head_file.name, "sha256": hashlib.sha256(data).hexdigest(),
            "source": "imgcheck detector train (refit on the user's labelled photos)", "licence": "user data",
            "task": "AI-generated image probability (logistic head, Platt-calibrated)",
            "input_size": [len(fitted.weight)], "encoder": info.encoder, "features": list(info.blocks),
            "flag_at": flag_at, "clear_below": CLEAR_BELOW, "evaluation": report,
            "rebuild": "imgcheck detector train --real DIR --ai DIR --out DIR"}}}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out_dir
