"""imgcheck: catch fake profile photos (stolen/known images, known faces, AI-generation evidence)."""

# first of all: the offline switches must be in the environment before any library reads them
from imgcheck import offline as _offline

_offline.apply()

from imgcheck.engine import Engine  # noqa: E402
from imgcheck.errors import BankError, ImgcheckError, InputError, ModelError  # noqa: E402
from imgcheck.load import LoadedImage, load_image  # noqa: E402
from imgcheck.types import Evidence, Match, ProfileReport, Report  # noqa: E402

__version__ = "0.1.0"

__all__ = ["BankError", "Engine", "Evidence", "ImgcheckError", "InputError", "LoadedImage", "Match",
           "ModelError", "ProfileReport", "Report", "load_image", "__version__"]
