"""The message catalog: id -> {language: template}, read from ``messages.toml`` beside this file.
Rendering rules are in ``imgcheck.i18n``.

Ids name where a sentence is used (``known_face.match``; ``verdict.flagged``; ``cli.*`` and ``app.*``
for interface text). Every id has every language of ``imgcheck.i18n.LANGS`` with the same placeholders
(``tests/test_i18n.py``). Why a data file: the catalog is text for translators, one table per id,
not code (as a Python dict it was several hundred lines of the same shape).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

CATALOG = Path(__file__).with_name("messages.toml")


def load_catalog(path: Path = CATALOG) -> dict[str, dict[str, str]]:
    """The catalog in file order: id -> {language: template}."""
    with path.open("rb") as fh:
        return {code: dict(entry) for code, entry in tomllib.load(fh).items()}


MESSAGES: dict[str, dict[str, str]] = load_catalog()
