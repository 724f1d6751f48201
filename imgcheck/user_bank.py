"""Which bank an Engine opens when the caller names none: the user's bank, or the bundled example
bank while the user has none (read-only use). The CLI and the app only say which was chosen.

Where things live (XDG base directories): the user's bank is ``$XDG_DATA_HOME/imgcheck/bank.sqlite``
(``~/.local/share``), the example bank and other caches under ``$XDG_CACHE_HOME/imgcheck``
(``~/.cache``). The environment is read here, when a front end asks, never deep inside the checks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from imgcheck.errors import BankError
from imgcheck.settings import Settings


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "imgcheck"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imgcheck"


def default_bank_path() -> Path:
    return data_dir() / "bank.sqlite"


@dataclass(frozen=True)
class BankChoice:
    """The bank file an Engine opens, and whether it is the example bank standing in for a missing one."""

    path: Path
    example: bool = False


def choose_bank(bank: Path | None, *, for_writing: bool = False, settings: Settings | None = None) -> BankChoice:
    """``bank`` when given (it must exist unless it is to be written); else the user's bank; else, for
    reading, the example bank (built into the cache on first use). BankError for a named bank that
    does not exist when reading."""
    if bank is None:
        path = default_bank_path()
        if not path.exists() and not for_writing:
            from imgcheck.examples import example_bank_path

            return BankChoice(example_bank_path(cache_dir(), settings), example=True)
        return BankChoice(path)
    if not for_writing and not bank.exists():
        raise BankError(f"no bank at {bank}")
    return BankChoice(bank)


def open_engine(bank: Path | None, settings: Settings | None = None, *, for_writing: bool = False):
    """(Engine on the chosen bank, the choice)."""
    from imgcheck.engine import Engine

    choice = choose_bank(bank, for_writing=for_writing, settings=settings)
    return Engine(bank=choice.path, settings=settings), choice
