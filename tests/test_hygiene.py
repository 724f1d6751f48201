"""The test suite's own rules (issue #18): no skip hides a break, nothing lands in the checkout."""

from __future__ import annotations

import re
import shutil
import tomllib
import uuid
from pathlib import Path

import conftest

TESTS = Path(__file__).parent
REPO = TESTS.parent


def _installed_requirements() -> set[str]:
    """Import names of what pyproject installs for the tests (core dependencies and the test extra)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in reqs}
    aliases = {"pillow": "PIL", "opencv-python-headless": "cv2", "pywavelets": "pywt", "faiss-cpu": "faiss",
               "pillow-heif": "pillow_heif", "c2pa-python": "c2pa", "av": "av", "gradio_client": "gradio_client"}
    return {aliases.get(n, n).lower().replace("-", "_") for n in names} | {"imgcheck", "onnxruntime"}


def test_no_skip_of_our_modules_or_installed_dependencies() -> None:
    """``importorskip`` of imgcheck itself or of a package pyproject installs would turn a broken
    install into a quiet skip; optional extras (the reference watermark encoder, dlib) may skip."""
    hard = _installed_requirements()
    found = []
    for path in sorted(TESTS.glob("*.py")):
        for name in re.findall(r"importorskip\(\s*[\"']([\w.]+)", path.read_text()):
            if name.split(".")[0].lower() in hard:
                found.append(f"{path.name}: {name}")
    assert found == []
    assert "onnxruntime" in hard and "pil" in hard and "imgcheck" in hard


def test_no_skip_that_depends_on_being_in_ci() -> None:
    pattern = re.compile(r"skip\w*\([^)]*(environ|getenv)[^)]*(CI|GITHUB_ACTIONS)", re.S)
    assert [p.name for p in sorted(TESTS.glob("*.py")) if pattern.search(p.read_text())] == []


def test_a_file_written_into_the_checkout_is_seen() -> None:
    """The session teardown in conftest.py fails the run on a file a test left in the checkout."""
    stray = TESTS / f"stray-{uuid.uuid4().hex}.tmp"
    before = conftest._untracked_files()
    try:
        stray.write_text("left behind")
        assert conftest._untracked_files() - before == {str(stray.relative_to(REPO))}
    finally:
        stray.unlink()
    assert conftest._untracked_files() - before == set()


def test_a_virtual_env_in_the_checkout_is_left_out() -> None:
    """CI installs into ``.venv`` inside the checkout, and installed packages write their own files
    there (Gradio's hash seed): that is not a test writing into the repository. A stray file beside
    the virtual environment is still seen."""
    venv = REPO / f"venv-{uuid.uuid4().hex}"
    stray = TESTS / f"stray-{uuid.uuid4().hex}.tmp"
    before = conftest._untracked_files()
    try:
        (venv / "lib").mkdir(parents=True)
        (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
        (venv / "lib" / "hash_seed.txt").write_text("1")
        stray.write_text("left behind")
        assert conftest._untracked_files() - before == {str(stray.relative_to(REPO))}
    finally:
        stray.unlink(missing_ok=True)
        shutil.rmtree(venv, ignore_errors=True)
