"""The app's handler functions and renderers, called directly (no server, no Gradio)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from imgcheck import Engine
from imgcheck.app import render
from imgcheck.app.handlers import AppHandlers, parse_ids, warm_up
from imgcheck.app.server import ServeOptions, launch_kwargs, parse_auth, read_auth_file
from imgcheck.app.uploads import Upload, UploadPolicy, as_uploads
from imgcheck.errors import InputError

IGNORED = {"source", "timings_ms"}


def same_report(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k not in IGNORED} == {
        k: v for k, v in b.items() if k not in IGNORED
    }


@pytest.fixture()
def handlers(celeb_engine, tmp_path) -> AppHandlers:
    return AppHandlers(celeb_engine, UploadPolicy(root=tmp_path / "uploads"), work_dir=tmp_path / "work")


def uploaded(fixtures: Path, name: str, root: Path, as_name: str | None = None) -> dict:
    """A file placed the way Gradio stores uploads (own folder under the upload root), as FileData."""
    folder = (
        root / "uploads" / f"u{len(list((root / 'uploads').glob('*'))) if (root / 'uploads').exists() else 0}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (as_name or name)
    shutil.copy(fixtures / name, target)
    return {"path": str(target), "orig_name": as_name or name, "meta": {"_type": "gradio.FileData"}}


# -- one photo ------------------------------------------------------------------------------------
def test_check_returns_the_engine_report_and_deletes_the_upload(handlers, celeb_engine, fixtures, tmp_path):
    up = uploaded(fixtures, "astronaut.png", tmp_path)
    report = handlers.check(up)
    direct = celeb_engine.check(fixtures / "astronaut.png").to_dict()
    assert same_report(report, direct)
    assert report["source"] == "astronaut.png"
    assert report["verdict"] == "flagged" and report["matches"][0]["label"] == "Eileen Collins"
    assert not Path(up["path"]).exists() and not Path(up["path"]).parent.exists()


def test_check_view_shows_verdict_advice_match_and_every_check(handlers, fixtures, tmp_path):
    v = handlers.check_view(uploaded(fixtures, "astronaut.png", tmp_path))
    assert 'data-verdict="flagged"' in v.banner
    for step in ("Do not send money", "live video call", "Report the profile"):
        assert step in v.advice
    assert "Matches a known image of 'Eileen Collins'" in v.advice
    # the bank's thumbnail beside the upload, with the distance
    assert v.evidence.count("data:image/jpeg;base64,") >= 2  # the upload and the bank thumbnail(s)
    assert 'aria-label="1 face found"' in v.evidence  # the photo with its face box
    assert "Bank: Eileen Collins" in v.evidence and "0 of 256 bits differ" in v.evidence
    assert "Banque : Eileen Collins" in v.evidence  # the French rendering rides along (shown by the switch)
    cards = re.findall(r'class="ic-card [^"]*" data-check="([^"]+)"', v.evidence)
    assert cards == [ev["check"] for ev in v.report["evidence"]]


def test_clean_photo_is_clear_with_honest_wording(handlers, fixtures, tmp_path):
    v = handlers.check_view(uploaded(fixtures, "coffee.png", tmp_path))
    assert v.report["verdict"] == "clear" and 'data-verdict="clear"' in v.banner
    assert "not a guarantee" in v.advice
    assert "Do not send money" not in v.advice


def test_bad_file_is_an_error_report_not_an_exception(handlers, tmp_path):
    folder = tmp_path / "uploads" / "x"
    folder.mkdir(parents=True)
    bad = folder / "notes.jpg"
    bad.write_bytes(b"%PDF-1.7 not a photo")
    v = handlers.check_view({"path": str(bad), "orig_name": "notes.jpg"})
    assert v.report["verdict"] == "error" and "PDF" in v.report["error"]
    assert 'data-verdict="error"' in v.banner and "PDF" in v.banner
    assert not bad.exists()


def test_no_photo_and_several_photos_are_input_errors(handlers, fixtures, tmp_path):
    with pytest.raises(InputError, match="choose a photo"):
        handlers.check(None)
    ups = [uploaded(fixtures, "coffee.png", tmp_path), uploaded(fixtures, "obama.jpg", tmp_path)]
    with pytest.raises(InputError, match="one photo at a time"):
        handlers.check(ups)
    assert not any(Path(u["path"]).exists() for u in ups)


def test_file_names_and_labels_are_escaped(celeb_engine, fixtures, tmp_path):
    celeb_engine.add_to_bank(fixtures / "rocket.jpg", "<script>alert('label')</script>", "known_scam")
    h = AppHandlers(celeb_engine, UploadPolicy(root=tmp_path / "uploads"))
    evil = "<img src=x onerror=alert(1)>.jpg"
    folder = tmp_path / "uploads" / "e"
    folder.mkdir(parents=True)
    shutil.copy(fixtures / "rocket.jpg", folder / "rocket.jpg")
    v = h.check_view({"path": str(folder / "rocket.jpg"), "orig_name": evil})
    assert v.report["source"] == evil
    html_out = v.banner + v.evidence
    assert "<script>" not in html_out and "<img src=x" not in html_out
    assert "&lt;script&gt;alert('label')&lt;/script&gt;" in v.evidence and "<script>" not in v.evidence
    assert "<script>" not in v.advice


# -- uploads ----------------------------------------------------------------------------------------
def test_upload_policy_deletes_only_under_root_and_not_kept_files(tmp_path, fixtures):
    root = tmp_path / "uploads"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    inside, kept = root / "a" / "x.png", root / "b" / "example.png"
    outside = tmp_path / "mine.png"
    for p in (inside, kept, outside):
        shutil.copy(fixtures / "coffee.png", p)
    policy = UploadPolicy(root=root, keep=lambda: {str(kept)})
    assert policy.discard(as_uploads([str(inside), str(kept), str(outside)])) == 1
    assert not inside.exists() and not (root / "a").exists()
    assert kept.exists() and outside.exists()
    assert UploadPolicy(root=None).discard(as_uploads(str(outside))) == 0 and outside.exists()


def test_as_uploads_reads_paths_filedata_and_lists(tmp_path):
    assert as_uploads(None) == []
    assert as_uploads("/tmp/a/b.jpg") == [Upload("/tmp/a/b.jpg", "b.jpg")]
    assert as_uploads([{"path": "/u/1/x", "orig_name": "me.jpg"}]) == [Upload("/u/1/x", "me.jpg")]
    with pytest.raises(InputError):
        as_uploads({"url": "http://example.invalid/x.jpg"})


# -- rendering of checks the app does not know yet ---------------------------------------------------
def _report(**kw) -> dict:
    base = {
        "schema": "imgcheck.report/2",
        "source": "p.jpg",
        "verdict": "suspicious",
        "flags": ["ai_generated"],
        "reasons": ["looks generated"],
        "matches": [],
        "faces": [],
        "evidence": [],
        "error": None,
    }
    base.update(kw)
    return base


def test_unknown_checks_render_generically_with_their_details():
    ev = {
        "check": "future_check",
        "status": "inconclusive",
        "score": None,
        "threshold": None,
        "flags": [],
        "reason": "Nothing to see <here>",
        "model": "m1",
        "model_sha256": "ab" * 32,
        "details": {"camera_make": "Acme", "fields": ["a", "b"]},
    }
    out = render.report_html(_report(evidence=[ev]))
    assert 'data-check="future_check"' in out and "Future check" in out
    assert "Nothing to see &lt;here&gt;" in out
    assert "Camera make" in out and "Acme" in out and "could not tell" in out
    assert '<details class="ic-more"><summary><span class="ic-t" lang="en">Details</span>' in out  # closed
    assert "m1 (abababababab)" in out


def test_nested_details_render_as_lists_and_tables():
    """The shape provenance evidence has: records, nested dicts, empty values."""
    ev = {
        "check": "ai_provenance",
        "status": "flag",
        "score": 1.0,
        "threshold": None,
        "flags": ["ai_provenance"],
        "reason": "AI-generation metadata: made with Midjourney",
        "details": {
            "findings": [
                {
                    "generator": "Midjourney",
                    "where": "XMP CreatorTool",
                    "rule": "name",
                    "model": "",
                    "excerpt": "Midjourney <v6>",
                }
            ],
            "camera_context": {"exif_camera": "Acme X"},
            "c2pa": None,
            "notes": [],
        },
    }
    out = render.evidence_card(ev)
    assert (
        '<table class="ic-rows"><tr><th>Generator</th><th>Where</th><th>Rule</th><th>Excerpt</th></tr>' in out
    )
    assert "<td>Midjourney &lt;v6&gt;</td>" in out
    assert "<dt>Camera context</dt><dd><dl" in out and "Acme X" in out
    assert "C2pa" not in out and "Notes" not in out  # empty values are left out


def test_ai_score_has_a_meter_and_says_signal_not_proof():
    ev = {
        "check": "pixel_ai",
        "status": "flag",
        "strength": 0.91,
        "measure": {"name": "probability", "value": 0.97, "unit": "probability", "flag_at": 0.9,
                    "flags_when": ">="},
        "flags": ["ai_generated"],
        "reason": "The detector scores 0.97",
        "details": {},
    }
    out = render.report_html(_report(evidence=[ev]))
    # the bar shows strength (0.5 is the decision line), the numbers show the raw measure
    assert 'class="ic-meter-fill" style="width:91.0%"' in out and "left:50.0%" in out
    assert "probability 0.97" in out and "0.9" in out
    assert "signal, not proof" in out
    # a clear result of a known AI check still gets the meter (its flags list is empty then)
    clear = dict(ev, status="clear", flags=[], strength=0.1)
    assert "ic-meter" in render.report_html(
        _report(evidence=[clear]), known_ai_checks=frozenset({"pixel_ai"})
    )
    assert "ic-meter" not in render.report_html(_report(evidence=[clear]))
    assert "not proof" in render.advice_markdown("suspicious", ["ai_generated"], [])


def test_v1_ai_score_is_read_as_strength():
    """An old report (schema 1: score and threshold only) still gets a meter on the v2 scale."""
    ev = {"check": "ai_pixels", "status": "flag", "score": 0.95, "threshold": 0.9, "flags": ["ai_generated"],
          "reason": "old", "details": {}}
    out = render.report_html(_report(schema="imgcheck.report/1", evidence=[ev]))
    assert 'class="ic-meter-fill" style="width:75.0%"' in out


def test_faces_are_drawn_in_report_coordinates(fixtures, celeb_engine):
    img = celeb_engine.load(fixtures / "obama.jpg")
    preview = render.preview_of(img.rgb(256), img.width, img.height)
    faces = [{"box": [10, 20, 100, 120], "score": 0.99}, {"box": [200, 40, 80, 90], "score": 0.9}]
    out = render.report_html(_report(faces=faces), preview)
    assert f'viewBox="0 0 {img.width} {img.height}"' in out
    assert out.count('class="ic-face"') == 2 and "2 faces found" in out
    assert '<rect x="10" y="20" width="100" height="120"' in out


def test_face_match_shows_the_face_crop_beside_the_bank_thumbnail(fixtures, celeb_engine):
    img = celeb_engine.load(fixtures / "obama2.jpg")
    preview = render.preview_of(img.rgb(256), img.width, img.height)
    entry = next(e for e in celeb_engine.bank.store.entries() if e.label == "Barack Obama")
    match = {
        "kind": "face",
        "label": "Barack Obama",
        "entry_id": entry.id,
        "method": "sface",
        "distance": None,
        "similarity": 0.71,
        "bank_kind": "celebrity",
        "source": "",
        "face_index": 0,
    }
    out = render.match_view(match, preview, [{"box": [100, 200, 300, 300]}], celeb_engine.bank.store.thumb)
    assert "Same face as 'Barack Obama' (face 1)" in out
    uris = re.findall(r'src="(data:image/jpeg;base64,[^"]+)"', out)
    assert len(uris) == 2 and uris[0] != preview.data_uri  # the crop, not the whole photo


def test_profile_level_rows_are_shown_on_their_photo_tiles():
    """Profile evidence whose details list photos (face consistency) annotates each photo's tile."""
    ev = {
        "check": "face_consistency",
        "status": "flag",
        "flags": ["inconsistent_faces"],
        "reason": "different",
        "details": {
            "photos": [
                {"photo": "a.jpg", "distance": 0.31, "face_index": 0, "status": "agrees"},
                {"photo": "b.jpg", "distance": 0.83, "face_index": 1, "status": "disagrees"},
            ]
        },
    }
    photos = [
        _report(source="a.jpg", verdict="clear", flags=[], reasons=[]),
        _report(source="b.jpg", verdict="clear", flags=[], reasons=[]),
    ]
    out = render.profile_html({"verdict": "flagged", "evidence": [ev], "photos": photos}, [None, None])
    tiles = out.split('class="ic-tile ic-')[1:]
    # plain words, faces numbered from 1 as on the photo
    assert "same person as the profile: yes</span>" in tiles[0] and "(distance 0.31, face 1)" in tiles[0]
    assert "same person as the profile: no</span>" in tiles[1] and "(distance 0.83, face 2)" in tiles[1]


# -- profile -----------------------------------------------------------------------------------------
def test_profile_matches_the_engine_and_shows_each_photo(handlers, celeb_engine, fixtures, tmp_path):
    names = ["astronaut.png", "coffee.png", "obama2.jpg"]
    ups = [uploaded(fixtures, n, tmp_path) for n in names]
    v = handlers.profile_view(ups)
    direct = celeb_engine.check_profile([fixtures / n for n in names], names=names).to_dict()
    assert v.report["verdict"] == direct["verdict"] == "flagged"
    assert [p["source"] for p in v.report["photos"]] == names
    assert all(same_report(a, b) for a, b in zip(v.report["photos"], direct["photos"]))
    assert v.evidence.count('class="ic-tile ic-') == 3 and 'data-verdict="flagged"' in v.banner
    assert not any(Path(u["path"]).exists() for u in ups)
    # the API form returns the same document
    again = handlers.profile([uploaded(fixtures, n, tmp_path) for n in names])
    assert again["verdict"] == v.report["verdict"] and again["flags"] == v.report["flags"]


# -- batch -------------------------------------------------------------------------------------------
def test_batch_over_files_and_a_zip_writes_three_reports(handlers, fixtures, tmp_path):
    zpath = tmp_path / "uploads" / "z" / "photos.zip"
    zpath.parent.mkdir(parents=True)
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(fixtures / "astronaut.png", "a/astronaut.png")
        zf.writestr("readme.txt", "not a photo")
    single = uploaded(fixtures, "coffee.png", tmp_path)
    seen: list[float] = []
    r = handlers.batch(
        [{"path": str(zpath), "orig_name": "photos.zip"}, single], progress=lambda f, desc: seen.append(f)
    )
    # readme.txt is not an image by name nor by its bytes: skipped and counted, not an error
    assert [row[0] for row in r.rows] == ["photos.zip!a/astronaut.png", "coffee.png"]
    assert [row[1] for row in r.rows] == ["flagged", "clear"]
    assert r.counts == {"flagged": 1, "clear": 1} and r.skipped == ["photos.zip!readme.txt"]
    assert r.summary == "Checked 2 files: 1 flagged, 1 clear. Skipped 1 that are not images (photos.zip!readme.txt)."
    assert seen == sorted(seen) and seen[-1] == 1.0
    jsonl, csv_path, html_path = map(Path, r.files)
    lines = [json.loads(x) for x in jsonl.read_text().splitlines()]
    assert [x["verdict"] for x in lines] == ["flagged", "clear"]
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [(x["source"], x["verdict"]) for x in rows] == [(row[0], row[1]) for row in r.rows]
    page = html_path.read_text()
    assert "data:image/jpeg;base64," in page  # thumbnails read from the uploads before they went
    for text in (jsonl.read_text(), csv_path.read_text(), page):
        assert str(tmp_path) not in text  # reports name files as the user did, not by server path
    assert "Eileen Collins" in html_path.read_text()
    assert not zpath.exists() and not Path(single["path"]).exists()


def test_batch_refuses_path_listings(handlers, fixtures, tmp_path):
    """``imgcheck scan`` reads .txt files as lists of paths; an upload must not name server files."""
    folder = tmp_path / "uploads" / "l"
    folder.mkdir(parents=True)
    (folder / "paths.txt").write_text(str(fixtures / "astronaut.png") + "\n")
    r = handlers.batch([{"path": str(folder / "paths.txt"), "orig_name": "paths.txt"}])
    assert [row[:2] for row in r.rows] == [["paths.txt", "error"]]
    assert "not an image or a zip" in r.rows[0][4]


# -- bank ----------------------------------------------------------------------------------------------
def test_bank_add_list_remove_export_import(handlers, fixtures, tmp_path):
    before = len(handlers.bank_table())
    msg = handlers.bank_add(
        [uploaded(fixtures, "rocket.jpg", tmp_path), uploaded(fixtures, "chelsea.png", tmp_path)],
        "Scam set 7",
        "known_scam",
    )
    assert msg.startswith("Added 2 to the bank as 'Scam set 7' (known_scam)")
    rows = handlers.bank_table()
    assert len(rows) == before + 2 and {r[1] for r in rows[-2:]} == {"Scam set 7"}
    assert "known_scam" in handlers.bank_summary()
    exported = Path(handlers.bank_export())  # default: python-threatexchange's `pdq <hash>` lines
    assert len(exported.read_text().splitlines()) == len(rows)
    assert all(ln.startswith("pdq ") for ln in exported.read_text().splitlines())
    full = Path(handlers.bank_export("imgcheck"))
    assert len(full.read_text().splitlines()) == len(rows) + 1 and "Scam set 7" in full.read_text()
    with pytest.raises(InputError, match="choose a format"):
        handlers.bank_export("xml")
    assert handlers.bank_remove(f"{rows[-1][0]}, {rows[-2][0]}") == "Removed 2 of 2 entries."
    assert len(handlers.bank_table()) == before

    fresh = Engine(bank=tmp_path / "other.sqlite")
    try:
        other = AppHandlers(fresh, UploadPolicy(root=tmp_path / "uploads"), work_dir=tmp_path / "work")
        folder = tmp_path / "uploads" / "csv"
        folder.mkdir(parents=True)
        shutil.copy(full, folder / "h.csv")
        assert other.bank_import({"path": str(folder / "h.csv"), "orig_name": "h.csv"}, "other").startswith(
            f"Imported h.csv: added {len(rows)}, updated 0, unchanged 0, deleted 0"
        )
        assert "Scam set 7" in {e.label for e in fresh.bank.store.entries()}
        assert fresh.check(fixtures / "rocket.jpg").verdict == "flagged"  # hashes alone match
    finally:
        fresh.bank.close()


@pytest.mark.parametrize(
    ("label", "kind", "match"), [("", "celebrity", "give a label"), ("x", "friend", "kind must be one of")]
)
def test_bank_add_rejects_bad_input(handlers, fixtures, tmp_path, label, kind, match):
    up = uploaded(fixtures, "rocket.jpg", tmp_path)
    with pytest.raises(InputError, match=match):
        handlers.bank_add([up], label, kind)
    assert not Path(up["path"]).exists()


def test_parse_ids():
    assert parse_ids("3, 5 ;8") == [3, 5, 8]
    assert parse_ids("") == []
    with pytest.raises(InputError):
        parse_ids("3, five")


def test_warm_up_runs_the_checks(celeb_engine):
    assert warm_up(celeb_engine) > 0


# -- server settings -------------------------------------------------------------------------------------
def test_auth_parsing(tmp_path):
    assert parse_auth("mod:s3cr:et") == ("mod", "s3cr:et")
    with pytest.raises(InputError):
        parse_auth("nopassword")
    f = tmp_path / "users"
    f.write_text("# moderators\nana:pw1\n\nbo:pw2\n")
    assert read_auth_file(f) == (("ana", "pw1"), ("bo", "pw2"))
    f.write_text("# none\n")
    with pytest.raises(InputError, match="no user"):
        read_auth_file(f)


def test_launch_settings_are_safe_by_default():
    kw = launch_kwargs(ServeOptions())
    assert kw["server_name"] == "127.0.0.1" and kw["share"] is False and kw["allowed_paths"] is None
    assert kw["enable_monitoring"] is False and kw["mcp_server"] is False and kw["auth"] is None
    assert kw["max_file_size"] == 64 * 1024 * 1024
    assert launch_kwargs(ServeOptions(public=True))["max_file_size"] == 20 * 1024 * 1024
    assert launch_kwargs(ServeOptions(auth=(("a", "b"),)))["auth"] == [("a", "b")]


def test_check_and_field_names_read_as_labels():
    from imgcheck.app.render import humanize

    assert humanize("ai_provenance") == "AI provenance"
    assert humanize("gan_face_geometry") == "GAN face geometry"
    assert humanize("known_image") == "Known image"
    assert humanize("bank_kind") == "Bank kind"
    assert humanize("c2pa_manifest") == "C2PA manifest"
    assert humanize("") == ""


def test_batch_and_bank_tabs_answer_in_french(handlers, fixtures, tmp_path):
    """The batch and bank tabs speak the page's language (the #17 leftover): their results come from the
    catalog; the API (no language) keeps the English of the tests above."""
    seen: list[str] = []
    r = handlers.batch([uploaded(fixtures, "coffee.png", tmp_path)], progress=lambda f, desc: seen.append(desc),
                       lang="fr")
    assert r.summary == "1 fichier(s) vérifié(s) : 1 sans alerte." and seen == ["1 sur 1 vérifiées"]
    page = Path(r.files[2]).read_text()
    assert '<html lang="fr">' in page and "par risque" in page
    msg = handlers.bank_add([uploaded(fixtures, "rocket.jpg", tmp_path)], "Arnaque 7", "known_scam", "fr")
    assert msg == "1 ajoutée(s) à la banque sous « Arnaque 7 » (known_scam) ; 0 y étaient déjà."
    assert "entrée(s)" in handlers.bank_summary("fr") and "entries" in handlers.bank_summary()
    new_id = handlers.bank_table()[-1][0]
    assert handlers.bank_remove(str(new_id), "fr") == "1 entrée(s) supprimée(s) sur 1."


def test_page_events_take_the_language_and_the_api_keeps_its_inputs(celeb_engine, tmp_path):
    """Each batch/bank button's event has the language switch as its last input and no API name; the
    endpoint of the same name (hidden button) has the old inputs."""
    from imgcheck.app import build_app

    blocks = build_app(celeb_engine, upload_root=tmp_path)
    lang = next(c for c in blocks.blocks.values() if getattr(c, "elem_id", None) == "lang-switch")
    api = {fn.api_name: fn for fn in blocks.fns.values() if fn.api_visibility == "public" and fn.api_name}
    for name, n_inputs in (("batch", 1), ("bank_list", 0), ("bank_add", 3), ("bank_remove", 1),
                           ("bank_import", 2)):
        assert len(api[name].inputs) == n_inputs and lang not in api[name].inputs, name
        page = [fn for fn in blocks.fns.values() if fn.api_visibility == "private"
                and fn.outputs == api[name].outputs and fn.inputs[-1:] == [lang]]
        # (bank_list twice: the refresh button and the language switch, which re-lists in the new language)
        assert len(page) == (2 if name == "bank_list" else 1), name
        assert all(p.inputs[:-1] == api[name].inputs for p in page), name
