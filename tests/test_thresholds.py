"""One home per threshold (issue #18): the numbers below live in one place and are read from there.
The grep tests fail when a copy of one of them comes back as a literal elsewhere in imgcheck/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imgcheck import verdict
from imgcheck.app import render
from imgcheck.hashing.pdq import PdqHash
from imgcheck.hashing.phash import PHash
from imgcheck.settings import PDQ_RADIUS, PHASH_RADIUS, Settings

PACKAGE = Path(__file__).resolve().parent.parent / "imgcheck"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sources(*, besides: str) -> list[tuple[Path, str]]:
    return [(p, p.read_text()) for p in sorted(PACKAGE.rglob("*.py")) if p.relative_to(PACKAGE).as_posix() != besides]


def test_hash_radii_have_one_home():
    assert PdqHash.threshold == Settings().pdq_radius == PDQ_RADIUS
    assert PHash.threshold == Settings().phash_radius == PHASH_RADIUS


def test_no_stray_radius_literal():
    """A radius (or a hash type's threshold) is given a number only in settings.py."""
    pattern = re.compile(r"\w*radius\w*\s*(:\s*[\w|\s\[\]]+)?=\s*\d+\b|threshold:\s*ClassVar\[int\]\s*=\s*\d")
    found = [f"{p.name}:{i}: {line.strip()}" for p, text in sources(besides="settings.py")
             for i, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert found == []


def test_ai_score_flags_have_one_home():
    assert render.AI_SCORE_FLAGS is verdict.AI_SCORE_FLAGS
    assert verdict.AI_SCORE_FLAGS < verdict.WEAK_FLAGS
    pattern = re.compile(r'\{\s*"(ai_generated|gan_face_geometry)",\s*"(ai_generated|gan_face_geometry)"\s*\}')
    found = [p.name for p, text in sources(besides="verdict.py") if pattern.search(text)]
    assert found == []


def test_no_falsy_override_of_a_threshold():
    """``setting or default`` would ignore an override of 0 (or 0.0): overrides are tested against None."""
    pattern = re.compile(r"settings\.\w*(flag_at|threshold|radius|distance)\w*\s+or\s+")
    found = [f"{p.name}:{i}" for p, text in sources(besides="") for i, line in enumerate(text.splitlines(), 1)
             if pattern.search(line)]
    assert found == []


@pytest.mark.parametrize("override", [0.0, 0.999999])
def test_ai_pixels_flag_at_override_is_used_even_when_zero(override):
    from imgcheck import Engine

    eng = Engine(bank=":memory:", settings=Settings(ai_pixels_flag_at=override))
    ev = eng.check(FIXTURES / "coffee.png", checks=["ai_pixels"]).evidence[0]
    assert ev.details["flag_at"] == override
    assert ev.status == ("flag" if override == 0.0 else "clear"), ev.reason
