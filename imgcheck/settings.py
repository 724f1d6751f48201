"""Engine settings: every threshold and cap in one frozen object, passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgcheck.load import Limits

#: the repository's models/ folder (an installed wheel passes models_dir explicitly)
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class Settings:
    limits: Limits = field(default_factory=Limits)
    models_dir: Path = DEFAULT_MODELS_DIR
    #: checks run when the caller names none (names from imgcheck.checks.registry())
    checks: tuple[str, ...] | None = None
    #: longest side of the working copy most checks use
    work_side: int = 1024
    #: hash match radii (calibration: docs/calibration.md)
    pdq_radius: int = 31
    phash_radius: int = 10
    #: onnxruntime threads per session (0: onnxruntime decides)
    intra_op_threads: int = 0
    #: PEM file of C2PA trust anchors; signers chaining to none of them are reported as untrusted
    c2pa_trust_anchors: Path | None = None
    #: share of watermark payload bits that must agree to flag ai_watermark (docs/provenance.md)
    watermark_agreement: float = 0.85
