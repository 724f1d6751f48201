"""known_image: every orientation of a bank photo is found; flat, nearly uniform and tiny pictures
never match on a hash alone (real fixtures, the engine at default settings)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import robustness as R
from PIL import Image

from imgcheck import Engine
from imgcheck.hashing import HASH_TYPES, views
from imgcheck.load import load_image

BANK = ("astronaut", "lomiri_bridge", "opencv_fruits", "mate_dune")
_ORIENT = 0x0112


def jpeg(rgb: np.ndarray, orientation: int | None = None, quality: int = 88) -> bytes:
    im = Image.fromarray(np.ascontiguousarray(rgb))
    buf = io.BytesIO()
    if orientation is None:
        im.save(buf, "JPEG", quality=quality)
    else:
        exif = Image.Exif()
        exif[_ORIENT] = orientation
        im.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    eng = Engine(bank=tmp_path_factory.mktemp("orient") / "bank.sqlite")
    for name in BANK:
        eng.add_to_bank(R.FIXTURES / f"{name}.jpg", label=name)
    yield eng
    eng.bank.close()


def check(eng: Engine, data: bytes):
    report = eng.check(data, checks=["known_image"])
    assert report.verdict != "error", report.error
    return report, report.evidence[0]


TURNS = {
    "rot90": lambda a: np.rot90(a, 1),
    "rot180": lambda a: np.rot90(a, 2),
    "rot270": lambda a: np.rot90(a, 3),
    "flip_vertical": lambda a: a[::-1],
    "transpose": lambda a: a.transpose(1, 0, 2),
    "transverse": lambda a: np.rot90(a, 2).transpose(1, 0, 2),
}


@pytest.mark.parametrize("name", ["astronaut", "lomiri_bridge"])
@pytest.mark.parametrize("turn", list(TURNS))
def test_turned_and_flipped_copies_are_found_by_hash(bank, name, turn):
    rgb = R.load(name)
    report, ev = check(bank, jpeg(TURNS[turn](rgb)))
    assert report.matches and report.matches[0].label == name
    assert report.matches[0].method == "pdq"
    assert ev.details["matched_view"] != "full"  # it was an oriented view of the upload that matched


@pytest.mark.parametrize("turn", ["rot90", "rot270", "flip_vertical"])
def test_turned_and_cropped_copy_is_verified_by_keypoints(bank, turn):
    rgb = R.load("opencv_fruits")
    h, w = rgb.shape[:2]
    cut = rgb[: round(h * 0.72), round(w * 0.25):]  # a corner crop: hashes alone lose it
    report, ev = check(bank, jpeg(TURNS[turn](cut)))
    assert report.matches and report.matches[0].label == "opencv_fruits", ev.details
    assert report.matches[0].method == "pdq+orb"


def test_exif_orientation_both_ways(tmp_path):
    upright = R.load("astronaut")
    sideways = np.ascontiguousarray(np.rot90(upright, -1))  # what a camera stores for orientation 6
    tagged = jpeg(sideways, orientation=6)   # displays upright
    untagged = jpeg(sideways)                # the tag lost: displays sideways

    eng = Engine(bank=tmp_path / "a.sqlite")
    eng.add_to_bank(jpeg(upright), label="plain")
    for data in (tagged, untagged):
        report, _ = check(eng, data)
        assert [m.label for m in report.matches] == ["plain"]
    eng.bank.close()

    eng = Engine(bank=tmp_path / "b.sqlite")
    eng.add_to_bank(tagged, label="tagged")
    for data in (jpeg(upright), untagged, jpeg(upright, orientation=3)):
        report, _ = check(eng, data)
        assert [m.label for m in report.matches] == ["tagged"]
    eng.bank.close()


# -- quality gates -------------------------------------------------------------------------------
def flat(colour: tuple[int, int, int], size: tuple[int, int]) -> np.ndarray:
    return np.tile(np.array(colour, np.uint8), (size[1], size[0], 1))


def test_flat_grey_bank_photo_never_matches_a_flat_blue_upload(tmp_path):
    grey, blue = flat((128, 128, 128), (640, 480)), flat((30, 60, 200), (500, 500))
    ph = HASH_TYPES["phash"]
    # what made the false accusation: the two pictures have the same pHash
    assert ph.compute(grey) - ph.compute(blue) <= 10
    eng = Engine(bank=tmp_path / "bank.sqlite")
    eng.add_to_bank(jpeg(grey), label="grey")
    eng.add_to_bank(R.FIXTURES / "astronaut.jpg", label="astronaut")
    for data in (jpeg(blue), jpeg(grey, quality=70), jpeg(flat((129, 127, 128), (300, 200)))):
        report, ev = check(eng, data)
        assert report.matches == () and ev.status == "clear"
        assert ev.details["pdq_quality"] < 50
        assert ev.details["hash_lookup"].startswith("skipped: PDQ quality")
    # the gate is on the bank side too: a textured photo never matches the flat bank entry
    report, _ = check(eng, R.FIXTURES.joinpath("astronaut.jpg").read_bytes())
    assert [m.label for m in report.matches] == ["astronaut"]
    eng.bank.close()


def test_nearly_uniform_and_tiny_pictures_never_match_on_a_hash(tmp_path):
    ramp = np.tile(np.linspace(40, 200, 640).astype(np.uint8)[None, :, None], (480, 1, 3))
    noisy = np.clip(flat((90, 90, 90), (640, 480)).astype(np.int16)
                    + np.random.default_rng(0).integers(-3, 4, (480, 640, 3)), 0, 255).astype(np.uint8)
    tiny = np.asarray(Image.fromarray(R.load("astronaut")).resize((24, 24)))
    eng = Engine(bank=tmp_path / "bank.sqlite")
    for label, rgb in (("ramp", ramp), ("noisy", noisy), ("tiny", tiny)):
        eng.add_to_bank(jpeg(rgb, quality=95), label=label)
    for rgb, why in ((ramp, "PDQ quality"), (noisy, "PDQ quality"), (tiny, "24x24 px")):
        report, ev = check(eng, jpeg(rgb, quality=80))
        assert report.matches == (), ev.details
        assert ev.details["hash_lookup"].startswith(f"skipped: {why}")
    # what the gate stops: the ramp and the tiny copy are within the hash radii of their entries
    for i, rgb in ((1, ramp), (3, tiny)):
        q = views.query_hashes(load_image(jpeg(rgb, quality=80)))
        assert min(h - b for _, h in q["phash"] for _, b in eng.bank.store.hashes_of(i) if b.kind == "phash") <= 10
    eng.bank.close()
