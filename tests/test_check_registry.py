"""Checks are registered by name with a plain import each (no "module:Class" strings), per-image and
profile-level checks alike, and a check module is imported only when its check is used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from imgcheck.checks import registry

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", [*registry.IMAGE_CHECKS, *registry.PROFILE_CHECKS])
def test_each_registered_check_loads_a_class_of_that_name(name):
    cls = registry.check_class(name)
    assert isinstance(cls, type) and cls.name == name and isinstance(cls.flags, tuple) and cls.flags
    check = registry.create(name)
    assert callable(check.run)
    if name in registry.PROFILE_CHECKS:
        assert callable(check.collect)


def test_image_and_profile_checks_are_apart_and_unknown_names_fail():
    assert set(registry.check_names()).isdisjoint(registry.profile_check_names())
    assert registry.profile_check_names() == ("face_consistency",)
    with pytest.raises(KeyError, match="known checks: known_image"):
        registry.check_class("nope")


def test_the_registry_imports_every_check_module_where_the_layer_test_sees_it():
    import import_graph as ig

    graph = ig.import_graph(REPO / "imgcheck", "imgcheck")
    modules = {f"imgcheck.checks.{n}" for n in (*registry.IMAGE_CHECKS, *registry.PROFILE_CHECKS)}
    assert modules <= graph["imgcheck.checks.registry"]
    assert modules == {m for m in graph if m.startswith("imgcheck.checks.") and m != "imgcheck.checks.registry"}


def test_using_one_check_imports_only_its_module():
    code = ("import sys; from imgcheck.checks import registry; registry.create('known_image'); "
            "print(sorted(m for m in sys.modules if m.startswith(('imgcheck.checks.', 'imgcheck.ai_pixels'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}).stdout
    assert eval(out) == ["imgcheck.checks.known_image", "imgcheck.checks.registry"]
