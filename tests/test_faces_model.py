"""The face pipeline with the real ONNX models on real photos."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgcheck.faces import EMBEDDER_ID, eye_centres

REPO = Path(__file__).resolve().parent.parent
GROUPS = {"group_photo_1.jpg": 3, "group_photo_2.jpg": 3, "group_photo_3.jpg": 3, "group_photo_4.jpg": 4,
          "group_photo_5.jpg": 5, "group_photo_6.jpg": 4}


@pytest.fixture(scope="module")
def plain_engine():
    from imgcheck import Engine

    return Engine()


@pytest.mark.parametrize("name,count", sorted(GROUPS.items()))
def test_group_photos_every_visible_face_no_false_positive(plain_engine, fixtures, name, count):
    img = plain_engine.load(fixtures / name)
    faces = plain_engine.faces.detect(img)
    assert len(faces) == count
    # faces are separate people: no two boxes overlap
    for i, a in enumerate(faces):
        for b in faces[i + 1:]:
            ix = min(a.box[0] + a.box[2], b.box[0] + b.box[2]) - max(a.box[0], b.box[0])
            iy = min(a.box[1] + a.box[3], b.box[1] + b.box[3]) - max(a.box[1], b.box[1])
            assert ix <= 0 or iy <= 0


@pytest.mark.parametrize("name", ["astronaut.png", "grace_hopper.jpg", "obama.jpg", "obama2.jpg", "obama3.jpg",
                                  "biden.jpg"])
def test_portraits_have_one_face_with_eyes_inside_the_box(plain_engine, fixtures, name):
    img = plain_engine.load(fixtures / name)
    faces = plain_engine.faces.detect(img)
    assert len(faces) == 1
    f = faces[0]
    x, y, w, h = f.box
    assert 0 <= x and 0 <= y and x + w <= img.width and y + h <= img.height
    right, left = eye_centres(f)
    for ex, ey in (right, left):
        assert x <= ex <= x + w and y <= ey <= y + h * 0.6
    assert right[0] < left[0]  # the person's right eye is on the image's left in a frontal photo


@pytest.mark.parametrize("name", ["coffee.png", "chelsea.png", "rocket.jpg"])
def test_no_face_in_objects_and_animals(plain_engine, fixtures, name):
    assert plain_engine.faces.detect(plain_engine.load(fixtures / name)) == ()


def test_faces_survive_downscaling_and_map_back(plain_engine, fixtures):
    from PIL import Image

    big = plain_engine.load(fixtures / "obama.jpg")
    (f_big,) = plain_engine.faces.detect(big)
    small = Image.open(fixtures / "obama.jpg").resize((big.width // 4, big.height // 4))
    import io

    buf = io.BytesIO()
    small.save(buf, "PNG")
    (f_small,) = plain_engine.faces.detect(plain_engine.load(buf.getvalue()))
    assert np.allclose(np.array(f_small.box) * 4, f_big.box, atol=0.05 * f_big.box[2])


def test_small_faces_found_in_a_large_canvas(plain_engine, fixtures):
    """A group photo pasted small into a big empty canvas: the tile pass still finds its faces."""
    import io

    from PIL import Image

    group = Image.open(fixtures / "group_photo_6.jpg").convert("RGB")
    group.thumbnail((700, 700))
    canvas = Image.new("RGB", (3000, 2000), (128, 128, 128))
    canvas.paste(group, (1900, 1200))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    faces = plain_engine.faces.detect(plain_engine.load(buf.getvalue()))
    assert len(faces) == 4
    assert all(f.box[0] >= 1900 and f.box[1] >= 1200 for f in faces)


def test_same_person_close_different_people_far(plain_engine, fixtures):
    from imgcheck.faces import main_face

    def emb(name):
        img = plain_engine.load(fixtures / name)
        return main_face(plain_engine.faces.observe(img, plain_engine.faces.detect(img))).embedding

    e = {n: emb(n) for n in ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "grace_hopper.jpg"]}
    def d(a: str, b: str) -> float:
        return float(np.linalg.norm(e[a] - e[b]))
    assert d("obama.jpg", "obama2.jpg") < 0.42 and d("obama.jpg", "obama3.jpg") < 0.42
    assert d("obama.jpg", "biden.jpg") > 0.65 and d("obama2.jpg", "grace_hopper.jpg") > 0.65


def test_known_face_names_obama_and_nobody_else(celeb_engine, fixtures):
    for name in ["obama2.jpg", "obama3.jpg"]:
        report = celeb_engine.check(fixtures / name, checks=["known_face"])
        ev = report.evidence[0]
        assert ev.status == "flag" and report.flags == ("known_face",), ev.reason
        assert [m.label for m in report.matches] == ["Barack Obama"]
        assert report.matches[0].kind == "face" and report.matches[0].distance < 0.42
        assert ev.model == EMBEDDER_ID and len(ev.model_sha256) == 64
    for name in sorted(GROUPS):
        report = celeb_engine.check(fixtures / name, checks=["known_face"])
        assert report.evidence[0].status == "clear" and not report.matches
        assert len(report.faces) == GROUPS[name]


def test_known_face_inconclusive_without_face_or_bank_faces(celeb_engine, fixtures, tmp_path):
    from imgcheck import Engine

    ev = celeb_engine.check(fixtures / "coffee.png", checks=["known_face"]).evidence[0]
    assert ev.status == "inconclusive" and "No face" in ev.reason
    empty = Engine(bank=tmp_path / "empty.sqlite")
    ev = empty.check(fixtures / "obama2.jpg", checks=["known_face"]).evidence[0]
    assert ev.status == "inconclusive" and "no known faces" in ev.reason
    empty.bank.close()


def test_bank_stores_the_main_face_of_each_entry(celeb_engine):
    stats = celeb_engine.bank.store.stats()
    assert stats["faces"] == {EMBEDDER_ID: 4}
    rows = celeb_engine.bank.store.face_rows(EMBEDDER_ID)
    assert all(r.embedding.shape == (128,) for r in rows)


def test_report_lists_faces_with_landmarks(celeb_engine, fixtures):
    d = celeb_engine.check(fixtures / "group_photo_5.jpg").to_dict()
    assert len(d["faces"]) == 5
    assert all(len(f["landmarks"]) == 6 and f["score"] >= 0.5 for f in d["faces"])


def test_profile_consistent_and_inconsistent(celeb_engine, fixtures):
    same = celeb_engine.check_profile([fixtures / n for n in ["obama.jpg", "obama2.jpg", "obama3.jpg"]])
    ev = {e.check: e for e in same.evidence}["face_consistency"]
    assert ev.status == "clear" and "inconsistent_faces" not in same.flags, ev.reason
    mixed = celeb_engine.check_profile([fixtures / n for n in ["obama.jpg", "biden.jpg", "grace_hopper.jpg"]])
    ev = {e.check: e for e in mixed.evidence}["face_consistency"]
    assert ev.status == "flag" and "inconsistent_faces" in mixed.flags
    disagree = {p["photo"] for p in ev.details["photos"] if p["status"] == "disagrees"}
    assert len(disagree) == 2 and ev.details["reference_photo"] not in disagree


def test_profile_with_a_group_photo_stays_consistent(engine, fixtures, tmp_path):
    """The woman of group_photo_1 (face 1) is also in group_photo_3 (face 0): one profile, no flag."""
    res = engine.check_profile([fixtures / "group_photo_1.jpg", fixtures / "group_photo_3.jpg"])
    ev = res.evidence[0]
    assert ev.status != "flag", ev.reason


def test_cli_bank_add_from_folders_stores_faces(fixtures, tmp_path, isolated_home):
    gallery = tmp_path / "gallery"
    for person, files in {"Barack Obama": ["obama.jpg"], "Joe Biden": ["biden.jpg"]}.items():
        (gallery / person).mkdir(parents=True)
        for f in files:
            shutil.copy(fixtures / f, gallery / person / f)
    bank = tmp_path / "b.sqlite"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "imgcheck.cli", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=300, check=False)

    p = run("bank", "add", "--bank", str(bank), "--kind", "celebrity", "--label-from-folder", str(gallery))
    assert p.returncode == 0, p.stderr
    stats = json.loads(run("bank", "stats", "--bank", str(bank)).stdout)
    assert stats["faces"] == {EMBEDDER_ID: 2}
    p = run("check", "--bank", str(bank), "--json", "--checks", "known_face", str(fixtures / "obama3.jpg"))
    out = json.loads(p.stdout)
    assert out["flags"] == ["known_face"] and out["matches"][0]["label"] == "Barack Obama"


def test_example_photo_obama2_is_a_known_face(tmp_path, isolated_home):
    p = subprocess.run([sys.executable, "-m", "imgcheck.cli", "check", "--json", "--checks", "known_face",
                        str(REPO / "examples/photos/obama2.jpg")], capture_output=True, text=True, timeout=300,
                       check=False)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert "known_face" in out["flags"] and out["matches"][0]["label"] == "Barack Obama"
