"""Report contract v2: every evidence item of every check carries ``strength`` (0..1, higher is more
suspicious, None when the check could not run) and its raw ``measure``; the direction holds on real
photos; v1 documents are read with the same strengths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgcheck.checks import registry as check_registry
from imgcheck.batch import read_jsonl, risk, write_csv, write_html
from imgcheck.contract import evidence_strength, upgrade_report
from imgcheck.strength import SCALES, grade
from imgcheck.types import PROFILE_SCHEMA, REPORT_SCHEMA

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent
PHOTOS = ["astronaut.png", "coffee.png", "obama2.jpg", "ai_z_image_turbo.webp", "provenance/midjourney.png",
          "provenance/wm_sdv1.png"]
NAMES = {"distance", "similarity", "probability", "count"}


@pytest.fixture(scope="module")
def bank_engine(tmp_path_factory):
    from imgcheck import Engine

    eng = Engine(bank=tmp_path_factory.mktemp("contract") / "bank.sqlite")
    for f, label in [("obama.jpg", "Barack Obama"), ("biden.jpg", "Joe Biden"),
                     ("astronaut.png", "Eileen Collins")]:
        eng.add_to_bank(FIXTURES / f, label, "celebrity", f"tests/fixtures/{f}")
    yield eng
    eng.bank.close()


@pytest.fixture(scope="module")
def reports(bank_engine):
    return {name: bank_engine.check(FIXTURES / name).to_dict() for name in PHOTOS}


def ev_of(report: dict, check: str) -> dict:
    return next(e for e in report["evidence"] if e["check"] == check)


def assert_v2_evidence(ev: dict) -> None:
    assert "strength" in ev and "measure" in ev, ev
    s, m = ev["strength"], ev["measure"]
    assert s is None or (isinstance(s, float | int) and 0.0 <= s <= 1.0), ev
    if ev["status"] == "error":
        assert s is None
    if ev["status"] == "flag":
        assert s is not None and s >= 0.5, ev  # a flag is past the check's own decision line
    if ev["status"] in ("clear", "inconclusive") and s is not None:
        assert ev["status"] == "inconclusive" or s < 0.5 or ev["check"] == "known_face", ev
    if m is not None:
        assert m["name"] in NAMES and isinstance(m["value"], float | int) and m["unit"]
        assert m["flags_when"] in ("<=", ">=") and isinstance(m["flag_at"], float | int)
        crossed = m["value"] <= m["flag_at"] if m["flags_when"] == "<=" else m["value"] >= m["flag_at"]
        assert crossed == (s >= 0.5), ev  # strength 0.5 is exactly the measure's decision line
        assert s is not None


def test_every_check_reports_strength_and_measure(reports):
    assert set(check_registry.check_names()) <= {e["check"] for r in reports.values() for e in r["evidence"]}
    for name, r in reports.items():
        assert r["schema"] == REPORT_SCHEMA == "imgcheck.report/2"
        assert len(r["evidence"]) == len(check_registry.check_names()), name
        for ev in r["evidence"]:
            assert_v2_evidence(ev)
    # each check measured something on at least one photo (no check is all None)
    for check in check_registry.check_names():
        assert any(ev_of(r, check)["strength"] is not None for r in reports.values()), check


def test_stolen_copy_is_stronger_than_an_unrelated_photo(bank_engine, reports):
    stolen = bank_engine.check(REPO / "examples" / "photos" / "stolen_astronaut.jpg").to_dict()
    copy, unrelated = ev_of(stolen, "known_image"), ev_of(reports["coffee.png"], "known_image")
    assert copy["status"] == "flag" and unrelated["status"] == "clear"
    assert copy["strength"] > 0.5 > unrelated["strength"]
    assert copy["measure"]["name"] == "distance" and copy["measure"]["unit"].startswith("bits of")
    # the bank's own picture is closer still than the edited copy
    exact = ev_of(reports["astronaut.png"], "known_image")
    assert exact["measure"]["value"] <= copy["measure"]["value"] and exact["strength"] >= copy["strength"]
    assert risk(stolen) > risk(reports["coffee.png"])


def test_closer_face_is_stronger_than_a_farther_one(bank_engine, reports):
    same = ev_of(reports["obama2.jpg"], "known_face")  # another photo of a person in the bank
    other = ev_of(bank_engine.check(FIXTURES / "grace_hopper.jpg").to_dict(), "known_face")  # not in the bank
    assert same["measure"]["name"] == other["measure"]["name"] == "distance"
    assert same["measure"]["value"] < other["measure"]["value"]
    assert same["strength"] > other["strength"]
    assert same["status"] == "flag" and other["status"] == "clear"


def test_ai_evidence_is_stronger_on_ai_images(reports):
    assert ev_of(reports["ai_z_image_turbo.webp"], "ai_pixels")["strength"] > \
        ev_of(reports["coffee.png"], "ai_pixels")["strength"]
    assert ev_of(reports["ai_z_image_turbo.webp"], "ai_pixels")["measure"]["name"] == "probability"
    wm, plain = ev_of(reports["provenance/wm_sdv1.png"], "ai_watermark"), ev_of(reports["coffee.png"], "ai_watermark")
    assert wm["status"] == "flag" and wm["strength"] > plain["strength"]
    meta, none = ev_of(reports["provenance/midjourney.png"], "ai_provenance"), ev_of(reports["coffee.png"],
                                                                                      "ai_provenance")
    assert meta["strength"] > none["strength"] == 0.0


def test_gan_geometry_strength_follows_the_eye_distance():
    from imgcheck.checks.gan_face_geometry import GanFaceGeometryCheck
    from tests.test_gan_geometry import _Ctx, _face, _Img

    chk = GanFaceGeometryCheck()
    on = chk.run(_Img(1024, 1024), _Ctx([_face((386.0, 488.0), (641.0, 485.0))]))
    near = chk.run(_Img(1024, 1024), _Ctx([_face((370.0, 470.0), (625.0, 470.0))]))
    off = chk.run(_Img(1024, 1024), _Ctx([_face((300.0, 350.0), (520.0, 350.0))]))
    assert on.measure.value < near.measure.value < off.measure.value
    assert on.strength > near.strength > off.strength
    assert on.status == "flag" and on.strength >= 0.5 > off.strength
    none = chk.run(_Img(1024, 1024), _Ctx([]))
    assert none.status == "inconclusive" and none.strength is None and none.measure is None


def test_profile_consistency_strength(bank_engine):
    one = bank_engine.check_profile([FIXTURES / "obama.jpg", FIXTURES / "obama2.jpg"]).to_dict()
    two = bank_engine.check_profile([FIXTURES / "obama.jpg", FIXTURES / "biden.jpg"]).to_dict()
    assert one["schema"] == PROFILE_SCHEMA == "imgcheck.profile/2"
    a, b = one["evidence"][0], two["evidence"][0]
    assert_v2_evidence(a)
    assert_v2_evidence(b)
    assert b["status"] == "flag" and a["status"] == "clear" and b["strength"] > a["strength"]


def test_grade_puts_the_decision_line_at_one_half():
    for key, scale in SCALES.items():
        line = (scale.innocent + scale.extreme) / 3 + scale.innocent / 3
        assert grade(scale.innocent, line, scale) == 0.0, key
        assert grade(scale.extreme, line, scale) == 1.0, key
        assert grade(line, line, scale) == 0.5, key
    pdq = SCALES["known_image.pdq"]
    assert grade(0, 31, pdq) > grade(16, 31, pdq) > grade(31, 31, pdq) > grade(60, 31, pdq) > grade(200, 31, pdq)


def to_v1(doc: dict) -> dict:
    """What imgcheck wrote before contract v2: no strength, no measure."""
    out = json.loads(json.dumps(doc))
    out["schema"] = "imgcheck.report/1"
    for ev in out["evidence"]:
        ev.pop("strength")
        ev.pop("measure")
    return out


def test_v1_reports_upgrade_to_the_same_strengths(reports):
    for name, r in reports.items():
        old = to_v1(r)
        up = upgrade_report(old)
        assert up["schema"] == REPORT_SCHEMA and up["upgraded_from"] == "imgcheck.report/1"
        for new_ev, up_ev, old_ev in zip(r["evidence"], up["evidence"], old["evidence"]):
            assert_v2_evidence(up_ev)
            assert evidence_strength(old_ev, old["matches"]) == up_ev["strength"]
            if new_ev["check"] == "known_image" and new_ev["status"] == "clear":
                continue  # v1 kept no near-miss distance: an unmatched photo reads as 0
            assert up_ev["strength"] == pytest.approx(new_ev["strength"], abs=0.02), (name, new_ev["check"])
        assert risk(old) == pytest.approx(risk(r), abs=0.02), name
    assert upgrade_report(reports["coffee.png"]) is reports["coffee.png"]  # v2 passes through


def test_v1_profile_report_upgrades(bank_engine):
    doc = bank_engine.check_profile([FIXTURES / "obama.jpg", FIXTURES / "biden.jpg"]).to_dict()
    old = json.loads(json.dumps(doc))
    old["schema"] = "imgcheck.profile/1"
    for ev in old["evidence"]:
        ev.pop("strength"), ev.pop("measure")
    old["photos"] = [to_v1(p) for p in old["photos"]]
    up = upgrade_report(old)
    assert up["schema"] == PROFILE_SCHEMA and up["evidence"][0]["strength"] == doc["evidence"][0]["strength"]
    assert all(p["schema"] == REPORT_SCHEMA for p in up["photos"])


def test_reports_read_a_mixed_v1_and_v2_journal(tmp_path, bank_engine, reports):
    stolen = bank_engine.check(REPO / "examples" / "photos" / "stolen_astronaut.jpg").to_dict()
    journal = tmp_path / "scan.jsonl"
    with journal.open("w") as fh:
        fh.write(json.dumps(to_v1(stolen)) + "\n")
        fh.write(json.dumps(reports["coffee.png"]) + "\n")
        fh.write(json.dumps(to_v1(reports["obama2.jpg"])) + "\n")
    import csv

    rows = list(csv.DictReader(write_csv(read_jsonl(journal), tmp_path / "r.csv").open()))
    by = {Path(r["source"]).name: r for r in rows}
    assert float(by["stolen_astronaut.jpg"]["strength"]) > 0.5 > float(by["coffee.png"]["strength"])
    assert by["stolen_astronaut.jpg"]["strength_check"] == "known_image"
    assert by["stolen_astronaut.jpg"]["measure"].startswith("distance ")
    html = write_html(read_jsonl(journal), tmp_path / "r.html").read_text()
    assert html.index("stolen_astronaut.jpg") < html.index("coffee.png")  # riskiest first
    assert "strongest evidence: known_image" in html


def test_scan_resume_over_a_v1_journal(tmp_path, bank_engine):
    """``scan --resume`` continues a JSON Lines file an older imgcheck (schema 1) began."""
    import csv
    import os
    import shutil
    import subprocess
    import sys

    photos = tmp_path / "photos"
    photos.mkdir()
    for n in ("astronaut.png", "coffee.png", "rocket.jpg"):
        shutil.copy(FIXTURES / n, photos / n)
    journal = tmp_path / "r.jsonl"  # the journal beside r.csv
    old = to_v1(bank_engine.check(photos / "astronaut.png", checks=["known_image"]).to_dict())
    journal.write_text(json.dumps(old) + "\n")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "d"), XDG_CACHE_HOME=str(tmp_path / "c"),
               OMP_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-m", "imgcheck.cli", "scan", str(photos), "--out", str(tmp_path / "r.csv"),
                        "--resume", "--checks", "known_image", "--bank", str(bank_engine.bank.path)],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False)
    assert p.returncode == 0, p.stderr
    assert "resuming: 1 records" in p.stderr
    schemas = {Path(r["source"]).name: r["schema"] for r in read_jsonl(journal)}
    assert schemas == {"astronaut.png": "imgcheck.report/1", "coffee.png": "imgcheck.report/2",
                       "rocket.jpg": "imgcheck.report/2"}  # the old record kept, the rest added
    rows = {Path(r["source"]).name: r for r in csv.DictReader((tmp_path / "r.csv").open())}
    assert set(rows) == {"astronaut.png", "coffee.png", "rocket.jpg"}
    assert float(rows["astronaut.png"]["strength"]) > 0.5 > float(rows["coffee.png"]["strength"])
