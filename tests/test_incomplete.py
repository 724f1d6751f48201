"""A report whose requested checks did not all run is never "clear" (verdict ``incomplete``), and a
profile with no readable photo is ``error``: in the report contract, the CLI, the app and batch reports."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imgcheck import Engine
from imgcheck.app import render
from imgcheck.batch import Summary, write_csv, write_html
from imgcheck.settings import Settings

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
PHOTO = REPO / "examples" / "photos" / "coffee.png"


@pytest.fixture(scope="module")
def no_face_models(tmp_path_factory) -> Path:
    """A models folder with every model except the face detector and recogniser."""
    d = tmp_path_factory.mktemp("models")
    manifest = json.loads((MODELS / "manifest.json").read_text())
    kept = {k: v for k, v in manifest["models"].items() if k not in ("blazeface_full", "dlib_resnet_v1")}
    assert len(kept) == len(manifest["models"]) - 2
    for spec in kept.values():
        os.symlink(MODELS / spec["file"], d / spec["file"])
    (d / "manifest.json").write_text(json.dumps({**manifest, "models": kept}))
    return d


def run_cli(args: list[str], home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    return subprocess.run([sys.executable, "-m", "imgcheck.cli", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)


def test_missing_face_models_make_the_report_incomplete(no_face_models, tmp_path):
    eng = Engine(bank=tmp_path / "b.sqlite", settings=Settings(models_dir=no_face_models))
    report = eng.check(PHOTO, checks=["known_image", "known_face"])
    statuses = {e.check: e.status for e in report.evidence}
    assert statuses == {"known_image": "inconclusive", "known_face": "error"}  # empty bank: nothing to compare
    assert report.verdict == "incomplete"
    d = report.to_dict()
    assert [f["check"] for f in d["failed_checks"]] == ["known_face"]
    assert "blazeface_full" in d["failed_checks"][0]["reason"] or "model" in d["failed_checks"][0]["reason"]
    # the same checks with every model: clear, nothing failed
    full = Engine(bank=tmp_path / "b.sqlite").check(PHOTO, checks=["known_image", "known_face"])
    assert full.verdict == "clear" and full.to_dict()["failed_checks"] == []


def test_profile_without_face_models_is_incomplete_not_a_crash(no_face_models, tmp_path):
    """Face consistency cannot run without the face models: its evidence is an error and the profile
    incomplete (it used to raise UnboundLocalError on that path)."""
    eng = Engine(bank=tmp_path / "b.sqlite", settings=Settings(models_dir=no_face_models,
                                                               checks=("known_image",)))
    prof = eng.check_profile([PHOTO, REPO / "tests" / "fixtures" / "obama2.jpg"])
    assert [(e.check, e.status) for e in prof.evidence] == [("face_consistency", "error")]
    assert prof.verdict == "incomplete" and prof.error is None



def test_a_profile_of_named_checks_runs_only_those(no_face_models, tmp_path, fixtures):
    """``checks=("known_image",)`` names no face check, so no face model is needed: the profile is
    judged on known_image alone (a match flags it), with no profile-level evidence."""
    eng = Engine(bank=tmp_path / "b.sqlite", settings=Settings(models_dir=no_face_models))
    eng.add_to_bank(fixtures / "obama.jpg", "Barack Obama", "celebrity")
    prof = eng.check_profile([PHOTO, fixtures / "obama.jpg"], checks=("known_image",))
    assert [[e.check for e in r.evidence] for r in prof.reports] == [["known_image"], ["known_image"]]
    assert prof.evidence == () and prof.failed == ()
    assert prof.verdict == "flagged" and prof.flags == ("known_image",)
    clear = eng.check_profile([PHOTO], checks=("known_image",))
    assert clear.verdict == "clear"
    # naming the profile check asks for the face models again: an error, never "clear"
    both = eng.check_profile([PHOTO, fixtures / "obama2.jpg"], checks=("known_image", "face_consistency"))
    assert [(e.check, e.status) for e in both.evidence] == [("face_consistency", "error")]
    assert both.verdict == "incomplete"
    with pytest.raises(Exception, match="unknown check"):
        eng.check_profile([PHOTO], checks=("nope",))


def test_a_check_that_raises_makes_the_report_incomplete(tmp_path, monkeypatch, caplog):
    from imgcheck.checks import known_image

    def boom(self, img, ctx):
        raise ValueError("simulated crash inside a check")

    monkeypatch.setattr(known_image.KnownImageCheck, "run", boom)
    eng = Engine(bank=tmp_path / "b.sqlite")
    report = eng.check(PHOTO, checks=["known_image", "ai_provenance"])
    assert report.verdict == "incomplete"
    assert report.failed[0].check == "known_image" and "ValueError" in report.failed[0].reason
    # one log line, no traceback text in the record
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is None


def test_a_flag_outranks_a_failed_check():
    from imgcheck import verdict
    from imgcheck.types import FailedCheck

    failed = [FailedCheck("known_face", "model missing")]
    assert verdict.decide(["known_image"], failed) == "flagged"
    assert verdict.decide(["ai_generated"], failed) == "suspicious"
    assert verdict.decide([], failed) == "incomplete"
    assert verdict.decide([], []) == "clear"


def test_profile_of_unreadable_files_is_error_and_a_partial_one_incomplete(tmp_path):
    bad1, bad2 = tmp_path / "a.jpg", tmp_path / "b.png"
    bad1.write_bytes(b"not an image at all" * 20)
    bad2.write_bytes(PHOTO.read_bytes()[:300])
    eng = Engine(bank=tmp_path / "b.sqlite")
    none = eng.check_profile([bad1, bad2])
    assert none.verdict == "error" and none.error
    assert [f.check for f in none.failed] == ["read", "read"]
    assert none.to_dict()["verdict"] == "error"
    some = eng.check_profile([bad1, PHOTO])
    assert some.verdict == "incomplete"
    assert some.failed[0].photo == str(bad1)
    assert eng.check_profile([]).verdict == "error"


def test_cli_check_and_profile_print_incomplete_and_error(tmp_path, no_face_models):
    p = run_cli(["check", "--models", str(no_face_models), "--checks", "known_image,known_face", str(PHOTO)],
                tmp_path)
    assert p.returncode == 0, p.stderr
    assert "INCOMPLETE" in p.stdout and "NO WARNING SIGNS" not in p.stdout and "CLEAR" not in p.stdout
    assert "known_face" in p.stdout
    j = run_cli(["check", "--json", "--models", str(no_face_models), "--checks", "known_face", str(PHOTO)],
                tmp_path)
    rec = json.loads(j.stdout)
    assert rec["verdict"] == "incomplete" and rec["failed_checks"][0]["check"] == "known_face"
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"garbage" * 100)
    prof = run_cli(["profile", "--json", str(bad), str(bad)], tmp_path)
    assert prof.returncode == 2
    assert json.loads(prof.stdout)["verdict"] == "error"
    assert "Traceback" not in prof.stderr


def test_app_banner_for_incomplete_is_not_the_clear_banner():
    failed = [{"check": "known_face", "reason": "model file is missing"}]
    html = render.banner_html("incomplete", failed=failed)
    assert 'data-verdict="incomplete"' in html and "ic-clear" not in html
    assert "No warning signs found" not in html and "Known face (model file is missing)" in html
    prof = render.banner_html("error", subject="profile", error="No photo of this profile could be read.")
    assert "Could not check this profile" in prof and "No photo" in prof
    advice = render.advice_markdown("incomplete", [], [])
    assert "not a clean result" in advice


def test_app_check_view_of_an_incomplete_report(tmp_path, no_face_models):
    from imgcheck.app.handlers import AppHandlers
    from imgcheck.app.uploads import UploadPolicy

    eng = Engine(bank=tmp_path / "b.sqlite", settings=Settings(models_dir=no_face_models))
    h = AppHandlers(eng, UploadPolicy(root=tmp_path / "uploads"), work_dir=tmp_path / "work")
    folder = tmp_path / "uploads" / "u0"
    folder.mkdir(parents=True)
    shutil.copy(PHOTO, folder / "coffee.png")
    view = h.check_view({"path": str(folder / "coffee.png"), "orig_name": "coffee.png"})
    assert view.report["verdict"] == "incomplete"
    assert 'data-verdict="incomplete"' in view.banner and "No warning signs" not in view.banner


def test_batch_summary_csv_and_html_count_incomplete(tmp_path):
    recs = [
        {"source": "a.png", "verdict": "incomplete", "flags": [], "reasons": [], "evidence": [],
         "failed_checks": [{"check": "known_face", "reason": "model missing"}]},
        {"source": "b.png", "verdict": "clear", "flags": [], "reasons": [], "evidence": [], "failed_checks": []},
    ]
    s = Summary.of(recs)
    assert s.incomplete == 1 and s.to_dict()["incomplete"] == 1
    rows = list(csv.DictReader(write_csv(recs, tmp_path / "r.csv").open(encoding="utf-8")))
    assert rows[0]["verdict"] == "incomplete" and rows[0]["failed_checks"] == "known_face: model missing"
    html = write_html(recs, tmp_path / "r.html", thumbnails=False).read_text(encoding="utf-8")
    assert "1 incomplete" in html and 'value="incomplete"' in html and "v-incomplete" in html
