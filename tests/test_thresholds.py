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


#: (what, pattern): a known threshold given a number outside settings.py. Each names its home there.
STRAY = (
    ("Settings.ai_pixels_min_side", r"(?i)\bmin_side\b\s*(:[\w.|\[\] ]+)?=\s*224\b"),
    ("Settings.gan_min_eye_span / gan_eye_tolerance", r"(?i)\b\w*(eye_span|eye_tolerance)\w*\s*(:[\w.|\[\] ]+)?=\s*\d"),
    ("Settings.watermark_agreement", r"\b\w*agreement\w*\s*(:[\w.|\[\] ]+)?=\s*0?\.\d"),
    ("settings.SERVE_CONCURRENCY / BATCH_CONCURRENCY", r"(?i)concurrency(_limit)?\W{0,2}\s*(:\s*int\s*)?[:=]\s*\d"),
    ("Limits.max_bytes", r"MAX_FILE_SIZE\s*=\s*64\s*\*"),
    # a zero default (a pass switched off) is not a score line
    ("Settings.face_min_score / face_tile_min_score / face_short_min_score",
     r"\b\w*min_score\s*(:[\w.|\[\] ]+)?=\s*0?\.(0*[1-9])"),
)


@pytest.mark.parametrize("what,pattern", STRAY, ids=[w for w, _ in STRAY])
def test_no_stray_threshold_literal(what, pattern):
    rx = re.compile(pattern)
    found = [f"{p.relative_to(PACKAGE)}:{i}: {line.strip()}" for p, text in sources(besides="settings.py")
             for i, line in enumerate(text.splitlines(), 1) if rx.search(line.split("#", 1)[0])]
    assert found == [], f"give {what} its number in imgcheck/settings.py and read it from there"


def test_stray_patterns_catch_the_old_copies():
    """The patterns above find the literals this issue removed (so the grep can fail)."""
    old = {"Settings.ai_pixels_min_side": "MIN_SIDE = 224",
           "Settings.gan_min_eye_span / gan_eye_tolerance": "MIN_EYE_SPAN = 0.15",
           "Settings.watermark_agreement": "    agreement: float = 0.85",
           "settings.SERVE_CONCURRENCY / BATCH_CONCURRENCY": 'engine_lane = {"concurrency_id": "engine", "concurrency_limit": 2}',
           "Limits.max_bytes": "PRIVATE_MAX_FILE_SIZE = 64 * 1024 * 1024",
           "Settings.face_min_score / face_tile_min_score / face_short_min_score":
               "    def __init__(self, session, *, short_session=None, min_score: float = 0.6, tile_min_score: float = 0.75,"}
    for what, pattern in STRAY:
        assert re.search(pattern, old[what]), what
    assert re.search(STRAY[3][1], "    concurrency: int = 2")
    assert re.search(STRAY[3][1], "concurrency_limit=1,")
    assert not re.search(STRAY[5][1], "pad_fraction: float = 0.0, verify_min_score: float = 0.0,")  # off, not a line


@pytest.mark.parametrize("concurrency", [1, 3])
def test_serve_concurrency_limits_every_engine_event(tmp_path, concurrency):
    """``ServeOptions.concurrency`` is the limit of the queue and of every event that uses the engine
    (the events' own lane used to say 2 whatever the option said)."""
    from imgcheck import Engine
    from imgcheck.app.server import ServeOptions, build_served_app
    from imgcheck.settings import BATCH_CONCURRENCY, SERVE_CONCURRENCY

    assert ServeOptions().concurrency == SERVE_CONCURRENCY
    eng = Engine(bank=tmp_path / "bank.sqlite")
    try:
        blocks = build_served_app(eng, ServeOptions(concurrency=concurrency), tmp_path)
        lanes: dict[str, set] = {}
        for fn in blocks.fns.values():
            lanes.setdefault(fn.concurrency_id, set()).add(fn.concurrency_limit)
        assert lanes["engine"] == {concurrency}
        assert lanes["batch"] == {BATCH_CONCURRENCY}
        assert blocks._queue.default_concurrency_limit == concurrency
    finally:
        eng.bank.close()
