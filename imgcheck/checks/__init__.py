"""The Check protocols and the per-image context checks share (the registry is ``checks/registry.py``,
above the check modules: they import this package, so it cannot import them).

A check is a small class with a ``name`` and ``run(img, ctx) -> Evidence``. It never raises for a
content reason (no face, no metadata): that is Evidence with status ``inconclusive`` or ``clear``.
An exception escaping ``run`` becomes Evidence with status ``error`` and the other checks still run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


class ProfileCheck(Protocol):
    """A check over all photos of one profile. ``collect`` runs on each readable photo right after
    that photo's own checks (same context, so their memo is reused); ``run`` judges what was
    collected. An exception in ``collect`` makes the profile check an error, never "clear"."""

    name: ClassVar[str]
    flags: ClassVar[tuple[str, ...]]

    def collect(self, img: LoadedImage, ctx: CheckContext, report: Any) -> Any: ...

    def run(self, collected: Sequence[Any], services: CheckServices) -> Evidence: ...
