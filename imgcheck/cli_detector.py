"""``imgcheck detector eval|train``: measure the pixel detector on labelled folders, or refit it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from imgcheck.errors import ImgcheckError
from imgcheck.terminal import line

# own consoles: imgcheck.cli imports this module, so importing back from it would be circular
err = Console(stderr=True, highlight=False, emoji=False)
out = Console(highlight=False, emoji=False)

detector_app = typer.Typer(no_args_is_help=True,
                           help="The pixel AI-image detector: evaluate it on labelled folders or refit it.")

RealOpt = Annotated[Path, typer.Option("--real", help="Folder of real photos (searched recursively).")]
AiOpt = Annotated[Path, typer.Option("--ai", help="Folder of AI-generated images (searched recursively).")]
ModelsOpt = Annotated[Path | None, typer.Option("--models", help="Folder holding models/manifest.json.")]


def fail(exc: ImgcheckError) -> None:
    err.print(line(("error:", "red"), " ", str(exc)))
    raise typer.Exit(exc.exit_code)


def _registry(models: Path | None):
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

    settings = Settings(models_dir=models) if models is not None else Settings()
    return ModelRegistry(settings.models_dir, settings.intra_op_threads)


@detector_app.command("eval")
def detector_eval(real: RealOpt, ai: AiOpt, models: ModelsOpt = None,
                  upload_chain: Annotated[bool, typer.Option(
                      "--upload-chain", help="First send every image through the reference upload chain "
                      "(4:5 crop, 400x500, JPEG q85).")] = False,
                  as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
                  ) -> None:
    """Print AUC, TPR at 1% and 5% FPR and the flag rates at the model's threshold."""
    from imgcheck.detectors import pixels, training

    try:
        registry = _registry(models)
        info = pixels.head_info(registry)
        scores = training.evaluate(registry, training.list_images(real), training.list_images(ai),
                                   use_chain=upload_chain)
    except ImgcheckError as exc:
        fail(exc)
    summary = scores.summary(info.flag_at)
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    out.print(f"images: {summary['n_real']} real, {summary['n_ai']} AI")
    out.print(f"AUC {summary['auc']:.3f}; TPR {summary['tpr_at_1pct_fpr']:.1%} at 1% FPR, "
              f"{summary['tpr_at_5pct_fpr']:.1%} at 5% FPR")
    out.print(f"at the flag threshold {info.flag_at:.2f}: {summary['flagged_real']:.1%} of real photos "
              f"flagged, {summary['flagged_ai']:.1%} of AI images flagged")


@detector_app.command("train")
def detector_train(real: RealOpt, ai: AiOpt,
                   out_dir: Annotated[Path, typer.Option("--out", help="Model folder to write "
                                                         "(use it with --models).")],
                   models: ModelsOpt = None,
                   views: Annotated[int, typer.Option(help="Upload-chain views per image (augmentation).")] = 3,
                   ) -> None:
    """Refit and recalibrate the head on your own labelled photos; writes a model folder."""
    from imgcheck.detectors import training

    if views < 1:
        fail(ImgcheckError("--views must be at least 1"))
    try:
        registry = _registry(models)
        report = training.train(registry, training.list_images(real), training.list_images(ai), out_dir,
                                views=views, progress=lambda p: None)
    except ImgcheckError as exc:
        fail(exc)
    cv = report["cross_validated"]
    err.print(line(f"wrote {out_dir / 'manifest.json'}; use it with: imgcheck check --models {out_dir} ..."))
    out.print(f"cross-validated on {cv['n_real']} real, {cv['n_ai']} AI: AUC {cv['auc']:.3f}; "
              f"TPR {cv['tpr_at_1pct_fpr']:.1%} at 1% FPR, {cv['tpr_at_5pct_fpr']:.1%} at 5% FPR; "
              f"flag threshold {cv['flag_at']:.2f} flags {cv['flagged_real']:.1%} of real photos")
