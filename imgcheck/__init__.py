"""imgcheck: catch fake profile photos (stolen/known images, known faces, AI-generation evidence)."""

from imgcheck.engine import Engine
from imgcheck.errors import BankError, ImgcheckError, InputError, ModelError
from imgcheck.load import LoadedImage, load_image
from imgcheck.types import Evidence, Match, ProfileReport, Report

__version__ = "0.1.0"

__all__ = ["BankError", "Engine", "Evidence", "ImgcheckError", "InputError", "LoadedImage", "Match",
           "ModelError", "ProfileReport", "Report", "load_image", "__version__"]
