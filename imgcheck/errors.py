"""Error types. The CLI maps them to exit codes and the app to user messages; users never see tracebacks."""

from __future__ import annotations


class ImgcheckError(Exception):
    """Base class for every error imgcheck raises on purpose."""

    exit_code = 1


class InputError(ImgcheckError):
    """The input cannot be used: not an image, too large, truncated, a disallowed format."""

    exit_code = 2


class ModelError(ImgcheckError):
    """A model file is missing, corrupt (sha256 mismatch) or cannot be loaded."""

    exit_code = 3


class BankError(ImgcheckError):
    """The bank cannot be opened, is corrupt, or an operation on it is invalid."""

    exit_code = 1
