"""Messages by id in English and French: complete catalog, reasons rendered per language from the
report's language-neutral code and parameters, English text unchanged in the JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgcheck import i18n
from imgcheck.messages import MESSAGES

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_message_has_every_language_with_the_same_placeholders():
    assert i18n.missing() == []
    assert len(MESSAGES) > 30


@pytest.mark.parametrize("spec,lang", [
    ("fr_FR.UTF-8", "fr"), ("fr-CA", "fr"), ("en_GB.UTF-8", "en"), ("de-DE,fr;q=0.8,en;q=0.5", "fr"),
    ("de_DE.UTF-8", "en"), ("", "en"), (None, "en"), ("FR", "fr"), ("fr-FR,fr,en-US,en", "fr"),
])
def test_pick_lang(spec, lang):
    assert i18n.pick_lang(spec) == lang


def test_env_lang_follows_the_posix_order():
    assert i18n.env_lang({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert i18n.env_lang({"LC_ALL": "en_US.UTF-8", "LANG": "fr_FR.UTF-8"}) == "en"
    assert i18n.env_lang({"LANGUAGE": "fr:en", "LANG": "C.UTF-8"}) == "fr"
    assert i18n.env_lang({"LANG": "C"}) == "en" and i18n.env_lang({}) == "en"


def test_french_numbers_and_quotes():
    p = {"p": 0.935, "flag_at": 0.9}
    assert "94%" in i18n.text("ai_pixels.flag", p, "en") and "94\u202f%" in i18n.text("ai_pixels.flag", p, "fr")
    fr = i18n.text("known_face.match", {"labels": ["Jane Doe"], "face": 1, "distance": 0.31,
                                        "threshold": 0.45}, "fr")
    assert "« Jane Doe »" in fr and "0,31" in fr and "0,45" in fr
    assert "'Jane Doe'" in i18n.text("known_face.match", {"labels": ["Jane Doe"], "face": 1, "distance": 0.31,
                                                          "threshold": 0.45}, "en")


def test_reports_carry_codes_and_render_in_both_languages(celeb_engine):
    report = celeb_engine.check(FIXTURES / "obama2.jpg").to_dict()
    for ev in report["evidence"]:
        assert ev["code"] in MESSAGES, ev
        assert ev["reason"] == i18n.reason_text(ev, "en")  # the JSON keeps the English text
        fr = i18n.reason_text(ev, "fr")
        assert fr and fr != ev["reason"], ev["code"]
    face = next(e for e in report["evidence"] if e["check"] == "known_face")
    assert face["status"] == "flag" and "Visage de « Barack Obama »" in i18n.reason_text(face, "fr")
    assert face["params"]["labels"] == ["Barack Obama"]  # parameters stay language-neutral


def test_unknown_codes_and_old_reports_fall_back_to_the_stored_reason():
    assert i18n.reason_text({"reason": "Old text"}, "fr") == "Old text"
    assert i18n.reason_text({"code": "future.check", "reason": "Future"}, "fr") == "Future"
    assert i18n.reason_text({"code": "known_face.match", "params": {}, "reason": "Broken"}, "fr") == "Broken"


def test_the_catalog_file_ships_with_the_package():
    """The catalog is a data file (imgcheck/messages.toml): an installed wheel must carry it."""
    import tomllib

    from imgcheck.messages import CATALOG

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    assert "messages.toml" in pyproject["tool"]["setuptools"]["package-data"]["imgcheck"]
    assert CATALOG.name == "messages.toml" and CATALOG.parent.name == "imgcheck" and CATALOG.is_file()
