"""``imgcheck detector eval|train``: measure the pixel detector on labelled folders, or refit it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

from imgcheck.errors import ImgcheckError
from imgcheck.terminal import emit

# own consoles: imgcheck.cli imports this module, so importing back from it would be circular
err = Console(stderr=True, highlight=False, emoji=False)
out = Console(highlight=False, emoji=False)

detector_app = typer.Typer(no_args_is_help=True,
                           help="The pixel AI-image detector: evaluate it on labelled folders or refit it.")

RealOpt = Annotated[Path, typer.Option("--real", help="Folder of real photos (searched recursively).")]
AiOpt = Annotated[Path, typer.Option("--ai", help="Folder of AI-generated images (searched recursively).")]
ModelsOpt = Annotated[Path | None, typer.Option("--models", help="Folder holding models/manifest.json.")]


def fail(exc: ImgcheckError) -> None:
    emit(err, ("error:", "red"), f" {exc}")
    raise typer.Exit(exc.exit_code)


def _registry(models: Path | None):
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

    settings = Settings(models_dir=models) if models is not None else Settings()
    return ModelRegistry(settings.models_dir, settings.intra_op_threads)


@detector_app.command("eval")
def detector_eval(real: RealOpt, ai: AiOpt, models: ModelsOpt = None,
                  chains: Annotated[str, typer.Option(
                      "--chains", help="Comma-separated upload chains to score each image under: given (as is), "
                      "upload (long side 1080, 4:5 crop, JPEG 85), harsh (upload, then 512 px and a second "
                      "JPEG).")] = "given",
                  upload_chain: Annotated[bool, typer.Option(
                      "--upload-chain", help="Shorthand for --chains upload.")] = False,
                  as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
                  ) -> None:
    """Per chain: AUC (all, faces apart), flag rate of each real source with its 95% upper bound, catch rate
    of each generator, calibration with a bootstrap band. Sub-folders of --real/--ai are the sources."""
    from imgcheck.ai_pixels import chain as chainlib
    from imgcheck.ai_pixels import evaluation, pixels, training

    names = ["upload"] if upload_chain else [c.strip() for c in chains.split(",") if c.strip()]
    bad = [c for c in names if c not in chainlib.NAMED_CHAINS or c == "random"]
    if bad or not names:
        fail(ImgcheckError(f"unknown chain(s) {bad}; use given, upload, harsh"))
    try:
        registry = _registry(models)
        info = pixels.head_info(registry)
        faces = pipeline = None
        if registry.has("blazeface_full"):
            from imgcheck.faces import FacePipeline
            from imgcheck.faces.detector import FaceDetector
            from imgcheck.settings import Settings

            faces = FaceDetector(registry.session("blazeface_full"))
            pipeline = FacePipeline(registry, Settings(models_dir=registry.models_dir))
        scored = training.score_sources(registry, real, ai, names, face_detector=faces, face_pipeline=pipeline)
    except ImgcheckError as exc:
        fail(exc)
    parts = scored if isinstance(scored, training.PartScores) else None
    image = parts.image if parts is not None else scored
    first = [s for s in image if s.chain == names[0]]
    summary = training.Scores(ai=np.array([s.probability for s in first if s.label == "ai"]),
                              real=np.array([s.probability for s in first if s.label == "real"])
                              ).summary(info.flag_at)
    rep = evaluation.report(image, info.flag_at, info.clear_below)
    extra: dict = {}
    if parts is not None:
        from imgcheck.ai_pixels import gan_face

        rule = gan_face.LayoutRule.from_spec(registry.spec(gan_face.HEAD_ID).extra)
        extra = {"layout_rule_report": evaluation.report(parts.face, rule.flag_at, 0.5),
                 "fused_report": evaluation.report(parts.fused, 0.5, 0.25),
                 "layout_rule_not_applied": parts.face_abstained}
    if as_json:
        sys.stdout.write(json.dumps({**summary, "report": rep, **extra}) + "\n")
        return
    emit(out, "== whole-image head (ai_pixels_head)")
    for text in evaluation.format_report(rep).splitlines():
        emit(out, text)
    if extra:
        emit(out, "")
        emit(out, "== FFHQ-layout rule (gan_face_head + ai_pixels_head fused, on views whose main face sits on the "
                  f"StyleGAN/FFHQ layout; not applied: {extra['layout_rule_not_applied'] or 'none'})")
        for text in evaluation.format_report(extra["layout_rule_report"]).splitlines():
            emit(out, text)
        emit(out, "")
        emit(out, "== both parts, as the check decides (the larger of the two parts' strengths; 0.5 = a part's "
                  "flag line, 0.25 = the whole image's clear line)")
        for text in evaluation.format_report(extra["fused_report"]).splitlines():
            emit(out, text)
