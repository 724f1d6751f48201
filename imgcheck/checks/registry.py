"""The registry of checks: per-image checks and profile-level checks, each by name.

Each check class is imported only when its check is used (``check --checks known_image`` never
imports face or pixel-detector code), by a plain import in a small function, not by a
"module:Class" string: a rename breaks an import the layer test and every tool can see.
"""

from __future__ import annotations

from collections.abc import Callable

from imgcheck.checks import Check, ProfileCheck


def _known_image() -> type[Check]:
    from imgcheck.checks.known_image import KnownImageCheck
    return KnownImageCheck


def _ai_provenance() -> type[Check]:
    from imgcheck.checks.ai_provenance import AiProvenanceCheck
    return AiProvenanceCheck


def _ai_watermark() -> type[Check]:
    from imgcheck.checks.ai_watermark import AiWatermarkCheck
    return AiWatermarkCheck


def _known_face() -> type[Check]:
    from imgcheck.checks.known_face import KnownFaceCheck
    return KnownFaceCheck


def _ai_pixels() -> type[Check]:
    from imgcheck.checks.ai_pixels import AiPixelsCheck
    return AiPixelsCheck


def _gan_face_geometry() -> type[Check]:
    from imgcheck.checks.gan_face_geometry import GanFaceGeometryCheck
    return GanFaceGeometryCheck


def _face_consistency() -> type[ProfileCheck]:
    from imgcheck.checks.face_consistency import FaceConsistencyCheck
    return FaceConsistencyCheck


#: per-image checks, in report order: name -> the function that imports its class
IMAGE_CHECKS: dict[str, Callable[[], type[Check]]] = {
    "known_image": _known_image,
    "ai_provenance": _ai_provenance,
    "ai_watermark": _ai_watermark,
    "known_face": _known_face,
    "ai_pixels": _ai_pixels,
    "gan_face_geometry": _gan_face_geometry,
}
#: profile-level checks (``Engine.check_profile``), registered the same way
PROFILE_CHECKS: dict[str, Callable[[], type[ProfileCheck]]] = {
    "face_consistency": _face_consistency,
}


def check_names() -> tuple[str, ...]:
    """The per-image checks."""
    return tuple(IMAGE_CHECKS)


def profile_check_names() -> tuple[str, ...]:
    return tuple(PROFILE_CHECKS)


def check_class(name: str) -> type[Check] | type[ProfileCheck]:
    """The class of a registered check (imports its module); KeyError naming the known ones."""
    loader = IMAGE_CHECKS.get(name) or PROFILE_CHECKS.get(name)
    if loader is None:
        known = ", ".join([*IMAGE_CHECKS, *PROFILE_CHECKS])
        raise KeyError(f"unknown check {name!r}; known checks: {known}")
    return loader()


def create(name: str) -> Check | ProfileCheck:
    return check_class(name)()
