"""The registry of checks: per-image checks and profile-level checks, each by name.

Each check class is imported only when its check is used (``check --checks known_image`` never
imports face or pixel-detector code), by a plain import statement in ``check_class``, not by a
"module:Class" string: a rename breaks an import that the layer test and every tool can see. A new
check adds its name to a tuple below and one branch there.
"""

from __future__ import annotations

from imgcheck.checks import Check, ProfileCheck


#: per-image checks, in report order
IMAGE_CHECKS: tuple[str, ...] = ("known_image", "ai_provenance", "ai_watermark", "known_face", "ai_pixels",
                                 "gan_face_geometry")
#: profile-level checks (``Engine.check_profile``), registered the same way
PROFILE_CHECKS: tuple[str, ...] = ("face_consistency",)


def check_class(name: str) -> type[Check] | type[ProfileCheck]:
    """The class of a registered check, imported now (KeyError naming the known ones)."""
    if name == "known_image":
        from imgcheck.checks.known_image import KnownImageCheck as found
    elif name == "ai_provenance":
        from imgcheck.checks.ai_provenance import AiProvenanceCheck as found
    elif name == "ai_watermark":
        from imgcheck.checks.ai_watermark import AiWatermarkCheck as found
    elif name == "known_face":
        from imgcheck.checks.known_face import KnownFaceCheck as found
    elif name == "ai_pixels":
        from imgcheck.checks.ai_pixels import AiPixelsCheck as found
    elif name == "gan_face_geometry":
        from imgcheck.checks.gan_face_geometry import GanFaceGeometryCheck as found
    elif name == "face_consistency":
        from imgcheck.checks.face_consistency import FaceConsistencyCheck as found
    else:
        raise KeyError(f"unknown check {name!r}; known checks: {', '.join(IMAGE_CHECKS + PROFILE_CHECKS)}")
    return found


def check_names() -> tuple[str, ...]:
    """The per-image checks."""
    return IMAGE_CHECKS


def profile_check_names() -> tuple[str, ...]:
    return PROFILE_CHECKS


def create(name: str) -> Check | ProfileCheck:
    return check_class(name)()
