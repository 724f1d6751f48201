"""known_image's second keypoint round for app screenshots (settings.PhotoBand): when the whole
screenshot's keypoints find nothing, the picture between the app's bars is looked up on its own.
Real photos of the re-upload set (tests/fixtures/reupload/), edited by tests/robustness.py."""

from __future__ import annotations

import numpy as np
import pytest
import robustness as R

from imgcheck import Engine
from imgcheck.hashing import views
from imgcheck.settings import PhotoBand, Settings

BANK = ("lomiri_bridge", "mate_storm", "rocket")
#: (original, edit, split): copies the whole screenshot's keypoints do not verify (aligned PDQ too
#: far with the bars in the picture, or too few votes) and the picture between the bars does
RESCUED = (("lomiri_bridge", "screenshot", "dev"), ("lomiri_bridge", "crop+screenshot", "dev"),
           ("mate_storm", "screenshot+mirror", "dev"), ("rocket", "screenshot+mirror", "dev"))


def _edit(name: str) -> R.EditSpec:
    return next(e for e in R.EDITS if e.name == name)


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    path = tmp_path_factory.mktemp("band") / "bank.sqlite"
    with_band = Engine(bank=path)
    for name in BANK:
        with_band.add_to_bank(R.FIXTURES / f"{name}.jpg", label=name)
    without = Engine(bank=path, settings=Settings(photo_band=PhotoBand(candidates=0)))
    yield with_band, without
    with_band.bank.close()
    without.bank.close()


def _top(engine: Engine, data: bytes) -> str | None:
    report = engine.check(data, checks=["known_image"])
    assert report.verdict != "error", report.error
    return report.matches[0].label if report.matches else None


@pytest.mark.parametrize("original,edit,split", RESCUED, ids=[f"{o}-{e}" for o, e, _ in RESCUED])
def test_screenshot_copy_is_found_by_the_band_round_only(engines, original, edit, split):
    with_band, without = engines
    data = next(R.positive_queries((original,), split, (_edit(edit),))).data
    assert without.check(data, checks=["known_image"]).matches == ()
    report = with_band.check(data, checks=["known_image"])
    assert report.matches and report.matches[0].label == original
    assert report.matches[0].method == "pdq+orb"
    accepted = [v for v in report.evidence[0].details["verified"] if v["accepted"]]
    assert accepted and accepted[0].get("view") == "band"


@pytest.mark.parametrize("name", ("obama2", "group_photo_4", "lomiri_wine", "mate_wood", "opencv_aero1"))
def test_screenshots_of_unrelated_photos_match_nothing(engines, name):
    with_band, _ = engines
    for split in ("dev", "heldout"):
        q = next(R.negative_queries((name,), split, (_edit("screenshot"),)))
        assert _top(with_band, q.data) is None, f"{split} screenshot of {name} matched"


def test_photo_band_finds_the_picture_between_app_bars():
    rgb = R.load("rocket")
    shot = R.screenshot(rgb, np.random.default_rng(3))
    rows = views.photo_band(shot, PhotoBand())
    assert rows is not None
    y0, y1 = rows
    # the picture rows (scaled to the screenshot's width), bars above and below
    assert 0 < y0 and y1 < shot.shape[0]
    assert abs((y1 - y0) - round(rgb.shape[0] * shot.shape[1] / rgb.shape[1])) <= 0.1 * (y1 - y0)
    assert views.photo_band(rgb, PhotoBand()) is None  # a plain photo is not a screenshot
    assert views.photo_band(np.full((200, 120, 3), 255, np.uint8), PhotoBand()) is None  # nor a blank page
