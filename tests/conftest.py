from __future__ import annotations

import atexit
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import configuration as hypothesis_configuration

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent

# Hypothesis keeps its example database and constants cache in ./.hypothesis, i.e. the repository:
# tests write into temp dirs only
_HYPOTHESIS_HOME = Path(tempfile.mkdtemp(prefix="imgcheck-hypothesis-"))
hypothesis_configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)

#: what a test run may leave in the checkout: Python's and pytest's own caches
_RUN_CACHES = ("__pycache__", ".pytest_cache")


def _virtual_envs() -> list[str]:
    """Virtual environments inside the checkout (CI makes ``.venv`` there): installed packages
    write their own files into them (Gradio keeps a hash seed in its package folder), which is
    not a test writing into the repository."""
    roots = {p for p in REPO.iterdir() if (p / "pyvenv.cfg").is_file()}
    prefix = Path(sys.prefix).resolve()
    if prefix.is_relative_to(REPO) and prefix != REPO:
        roots.add(prefix)
    return sorted(p.relative_to(REPO).as_posix() for p in roots)


def _untracked_files() -> set[str]:
    """Untracked files of the checkout, ignored ones included, virtual environments left out
    (empty outside a git checkout)."""
    excluded = [f":(exclude){venv}" for venv in _virtual_envs()]
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all",
                              "--", ".", *excluded],
                             cwd=REPO, capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line[3:] for line in out.splitlines()
            if line[:2] in ("??", "!!") and not any(part in _RUN_CACHES for part in Path(line[3:]).parts)}


@pytest.fixture(scope="session", autouse=True)
def _nothing_written_into_the_repository():
    """After the whole run (a teardown, not a test that must run last): no file appeared in the
    checkout; tests write into temp dirs only."""
    before = _untracked_files()
    yield
    new = sorted(_untracked_files() - before)
    assert new == [], f"tests wrote into the repository: {new[:20]}"


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
