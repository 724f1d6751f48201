"""The Check protocol, the per-image context checks share, and the registry of checks.

A check is a small class with a ``name`` and ``run(img, ctx) -> Evidence``. It never raises for a
content reason (no face, no metadata): that is Evidence with status ``inconclusive`` or ``clear``.
An exception escaping ``run`` becomes Evidence with status ``error`` and the other checks still run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from imgcheck.load import LoadedImage
from imgcheck.types import Evidence, Face

if TYPE_CHECKING:
    from imgcheck.bank import Bank
    from imgcheck.faces import FaceObservation, FacePipeline
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

T = TypeVar("T")

#: memo keys of the per-image work checks share (filled by ``detected_faces``/``face_observations``)
FACES = "faces"
FACE_OBSERVATIONS = "face_observations"


class CheckServices(Protocol):
    """What checks may use of the engine. The Engine provides it; checks never import the engine
    (checks sit below it in the layers, docs/architecture.md)."""

    settings: Settings
    models: ModelRegistry

    @property
    def bank(self) -> Bank: ...

    @property
    def faces(self) -> FacePipeline: ...


class CheckContext:
    """What a check may use: the engine (bank, models, settings) and a memo shared by the checks
    of one image, so work such as face detection is done once."""

    def __init__(self, engine: CheckServices) -> None:
        self.engine = engine
        self.memo: dict[str, Any] = {}

    @property
    def bank(self):
        return self.engine.bank

    @property
    def settings(self):
        return self.engine.settings

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


def detected_faces(ctx: CheckContext, img: LoadedImage) -> tuple[Face, ...]:
    """Faces of the image, computed once per check context (stored under ``FACES``)."""
    return ctx.cached(FACES, lambda: ctx.engine.faces.detect(img))


def face_observations(ctx: CheckContext, img: LoadedImage) -> tuple[FaceObservation, ...]:
    """Faces with embeddings, computed once per check context (stored under ``FACE_OBSERVATIONS``)."""
    return ctx.cached(FACE_OBSERVATIONS, lambda: ctx.engine.faces.observe(img, detected_faces(ctx, img)))


def faces_were_checked(ctx: CheckContext) -> bool:
    """Whether a check of this context ran face detection (an empty ``faces`` then means none found)."""
    return FACES in ctx.memo


def found_faces(ctx: CheckContext) -> tuple[Face, ...]:
    """The faces the checks of this context detected (none when no check needed them): the report's
    ``faces`` field. Faces that were also embedded carry their quality and alignment."""
    faces = tuple(ctx.memo.get(FACES, ()))
    if FACE_OBSERVATIONS in ctx.memo:
        observed = {o.index: o.face for o in ctx.memo[FACE_OBSERVATIONS]}
        faces = tuple(observed.get(i, f) for i, f in enumerate(faces))
    return faces


class Check(Protocol):
    name: ClassVar[str]
    #: flags this check can raise (documentation and the app's legend)
    flags: ClassVar[tuple[str, ...]]

    def run(self, img: LoadedImage, ctx: CheckContext) -> Evidence: ...


#: check name -> "module:Class"; modules are imported only when the check is used
_REGISTRY: dict[str, str] = {
    "known_image": "imgcheck.checks.known_image:KnownImageCheck",
    "ai_provenance": "imgcheck.checks.ai_provenance:AiProvenanceCheck",
    "ai_watermark": "imgcheck.checks.ai_watermark:AiWatermarkCheck",
    "known_face": "imgcheck.checks.known_face:KnownFaceCheck",
    "ai_pixels": "imgcheck.checks.ai_pixels:AiPixelsCheck",
    "gan_face_geometry": "imgcheck.checks.gan_face_geometry:GanFaceGeometryCheck",
}


def registry() -> dict[str, str]:
    return dict(_REGISTRY)


def check_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def create(name: str) -> Check:
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown check {name!r}; known checks: {', '.join(_REGISTRY)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()
