from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture()
def bank_path(tmp_path: Path) -> Path:
    return tmp_path / "bank.sqlite"


@pytest.fixture()
def engine(bank_path: Path):
    from imgcheck import Engine

    eng = Engine(bank=bank_path)
    yield eng
    eng.bank.close()


@pytest.fixture()
def celeb_engine(engine):
    """An engine whose bank holds four public-domain portraits, one per person."""
    for f, label in [("obama.jpg", "Barack Obama"), ("biden.jpg", "Joe Biden"),
                     ("grace_hopper.jpg", "Grace Hopper"), ("astronaut.png", "Eileen Collins")]:
        engine.add_to_bank(FIXTURES / f, label, "celebrity", f"tests/fixtures/{f}")
    return engine


@pytest.fixture()
def isolated_home(tmp_path: Path, monkeypatch) -> Path:
    """Point the user data and cache folders at a temp dir (the CLI's default bank lives there)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copy(FIXTURES / name, target)
    return target
