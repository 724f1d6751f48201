"""Strings from files and users are printed literally: no Rich markup, no emoji codes, no ANSI/OSC escapes.

A corpus of hostile strings in EXIF (Make, Model), XMP (CreatorTool, Make, Model), PNG text chunks, a
C2PA manifest (claim generator, software agent, title; signed here with the committed test signer) and
file names goes through ``check`` (text and JSON), ``profile``, ``scan`` (CSV and HTML reports and the
summary), ``bank add``/``bank list`` and the HTML report. Run with ``FORCE_COLOR`` so Rich writes
escapes as it would on a terminal: its own colour codes (SGR, ``ESC [ ... m``) may appear; nothing
else may (no OSC title or hyperlink, no cursor movement, no raw C1 or bidi controls).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from imgcheck.terminal import clean, json_line, line

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "examples" / "photos" / "coffee.png"

MARKUP = "Evil[/dim][/]"
LINK = "[link=https://evil.example]click me[/link]"
OSC8 = "\x1b]8;;https://evil.example\x07x\x1b]8;;\x07"
TITLE = "\x1b]0;pwned\x07"
CLEAR_SCREEN = "\x1b[2J"
C1_CSI = "\u009b2J"
BIDI = "\u202egpj.exe"
EMOJI = ":red_heart:"
#: file and folder names cannot hold "/": markup that opens styles and a link instead
NAME_MARKUP = "Evil[bold red]x[blink][link=https:evil.example]click"
HOSTILE = (MARKUP, LINK, OSC8, TITLE, CLEAR_SCREEN, C1_CSI, BIDI, EMOJI)

#: Rich's own styling (SGR) is the only escape sequence allowed in forced-colour output
SGR = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_inert(text: str) -> None:
    rest = SGR.sub("", text)
    bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(rest)})
    assert not bad, f"control characters reached the terminal: {bad}\n{rest[:2000]!r}"
    assert "Traceback" not in text and "MarkupError" not in text
    assert "\u2764" not in text  # :red_heart: was not turned into an emoji


def rgb():
    return Image.open(PHOTO).convert("RGB")


def xmp_packet(value: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/">'
        f"<tiff:Make>{value}</tiff:Make><tiff:Model>{value}</tiff:Model>"
        f"<xmp:CreatorTool>{value}</xmp:CreatorTool></rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def c2pa_signed(value: str) -> bytes:
    """A JPEG with Content Credentials whose claim generator, software agent and title are ``value``,
    signed with the committed test signer (tests/fixtures/provenance/certs) by c2pa-python."""
    import io

    import make_provenance_fixtures as mp

    signer = mp.TestSigner((mp.CERTS / "chain.pem").read_bytes(), (mp.CERTS / "signer.key").read_bytes())
    buf = io.BytesIO()
    rgb().save(buf, "JPEG", quality=85)
    manifest = mp._manifest(value, [{"action": "c2pa.created", "softwareAgent": {"name": value},
                                     "digitalSourceType": mp.IPTC_DST + "trainedAlgorithmicMedia"}])
    manifest["title"] = value
    return mp.c2pa_sign(buf.getvalue(), "image/jpeg", manifest, signer)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile_strings")
    files: dict[str, Path] = {}
    im = rgb()
    exif = Image.Exif()
    exif[0x010F] = MARKUP  # Make
    exif[0x0110] = f"{LINK} {OSC8} {TITLE}{CLEAR_SCREEN}"  # Model (EXIF ASCII: no C1 or bidi)
    files["exif"] = d / "exif.jpg"
    im.save(files["exif"], exif=exif.tobytes())
    files["xmp"] = d / "xmp.jpg"
    im.save(files["xmp"], xmp=xmp_packet(" ".join(HOSTILE).replace("&", "&amp;")))
    info = PngImagePlugin.PngInfo()
    for key in ("Software", "Description", "Comment"):
        info.add_itxt(key, " ".join(HOSTILE))
    files["png_text"] = d / "text.png"
    im.save(files["png_text"], pnginfo=info)
    files["name"] = d / f"{NAME_MARKUP} {TITLE}{CLEAR_SCREEN}{C1_CSI} {EMOJI} {BIDI}.png"
    im.save(files["name"])
    files["html_name"] = d / "<img src=x onerror=alert(1)>.png"
    im.save(files["html_name"])
    files["c2pa"] = d / "c2pa.jpg"
    files["c2pa"].write_bytes(c2pa_signed(" ".join(HOSTILE)))
    files["broken"] = d / f"broken {NAME_MARKUP} {TITLE}.jpg"
    files["broken"].write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    return files


def run(args: list[str], home: Path, color: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
               COLUMNS="400", PYTHONPATH=str(REPO))
    if color:
        env["FORCE_COLOR"] = "1"
        env.pop("NO_COLOR", None)
    p = subprocess.run([sys.executable, "-m", "imgcheck.cli", *args], capture_output=True, env=env, cwd=REPO,
                       timeout=300)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout.decode("utf-8", "replace"),
                                       p.stderr.decode("utf-8", "replace"))


CHECKS = "ai_provenance,known_image"
#: the end of a verdict line of the human output (English)
VERDICT_LINE = r": (NO WARNING SIGNS|FLAGGED|SUSPICIOUS|INCOMPLETE|ERROR)$"


def test_check_prints_every_file_literally(corpus, tmp_path):
    good = [corpus[k] for k in ("exif", "xmp", "png_text", "c2pa", "name", "html_name")]
    files = [str(PHOTO), *map(str, good), str(corpus["broken"]), str(PHOTO)]
    p = run(["check", "--checks", CHECKS, *files], tmp_path)
    assert p.returncode == 2, p.stderr  # the broken file
    out = p.stdout + p.stderr
    assert_inert(out)
    plain = SGR.sub("", p.stdout)
    # one verdict line per file, the last file too (a markup error used to stop the run)
    assert len(re.findall(VERDICT_LINE, plain, re.M)) == len(files)
    assert plain.rstrip().splitlines()[-3].startswith(str(PHOTO))
    assert MARKUP in plain and LINK in plain and NAME_MARKUP in plain  # shown as the text it is
    assert "\\x1b]0;pwned\\x07" in plain and "\\u202egpj.exe" in plain and "\\x9b2J" in plain
    assert EMOJI in plain
    # the C2PA claim generator and software agent reach the reason, literally
    c2pa_line = next(x for x in plain.splitlines() if "C2PA manifest" in x)
    assert MARKUP in c2pa_line and "\\x1b]8;;" in c2pa_line


def test_check_json_escapes_controls(corpus, tmp_path):
    files = [corpus["xmp"], corpus["name"], corpus["exif"], corpus["png_text"]]
    p = run(["check", "--json", "--checks", CHECKS, *map(str, files)], tmp_path)
    assert p.returncode == 0, p.stderr
    assert_inert(p.stdout + p.stderr)
    recs = [json.loads(x) for x in p.stdout.splitlines()]
    assert [r["source"] for r in recs] == list(map(str, files))  # the JSON values are the exact names
    assert any(MARKUP in json.dumps(r, ensure_ascii=False) for r in recs)


def test_profile_prints_literally(corpus, tmp_path):
    files = [corpus["exif"], corpus["name"], corpus["broken"]]
    p = run(["profile", *map(str, files)], tmp_path)
    assert p.returncode == 2
    assert_inert(p.stdout + p.stderr)
    plain = SGR.sub("", p.stdout)
    assert plain.startswith("profile: INCOMPLETE")
    assert len(re.findall(VERDICT_LINE, plain, re.M)) == 1 + len(files)


def test_scan_reports_and_summary(corpus, tmp_path):
    folder = tmp_path / f"in {NAME_MARKUP} {TITLE}"
    folder.mkdir()
    for f in corpus.values():
        (folder / f.name).write_bytes(f.read_bytes())
    for fmt in ("csv", "html"):
        out = tmp_path / f"report {NAME_MARKUP}.{fmt}"
        # not a terminal: the plain progress lines (a live bar writes its own cursor controls)
        p = run(["scan", "--checks", CHECKS, "--overwrite", "--out", str(out), str(folder)], tmp_path, color=False)
        assert p.returncode == 0, p.stderr
        assert_inert(p.stdout + p.stderr)
        assert "scanned 7" in SGR.sub("", p.stdout)
    html = (tmp_path / f"report {NAME_MARKUP}.html").read_text(encoding="utf-8")
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert NAME_MARKUP in html  # literal text
    assert "\x1b" not in html and "\\x1b]0;pwned\\x07" in html  # controls shown as visible escapes
    rows = list(csv.DictReader((tmp_path / f"report {NAME_MARKUP}.csv").open(encoding="utf-8")))
    assert len(rows) == 7 and not any(r["source"][:1] in "=+-@" for r in rows)


def test_bank_add_and_list_print_labels_literally(corpus, tmp_path):
    bank = tmp_path / "b.sqlite"
    label = f"{MARKUP} {LINK} {TITLE}{C1_CSI}{BIDI}"
    p = run(["bank", "add", "--bank", str(bank), "--label", label, "--source", OSC8, str(corpus["exif"])],
            tmp_path)
    assert p.returncode == 0, p.stderr
    sub = tmp_path / f"folder {NAME_MARKUP} {CLEAR_SCREEN}"
    sub.mkdir()
    (sub / "a.png").write_bytes(corpus["png_text"].read_bytes())
    p = run(["bank", "add", "--bank", str(bank), "--label-from-folder", str(sub)], tmp_path)
    assert p.returncode == 0, p.stderr
    listed = run(["bank", "list", "--bank", str(bank)], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert_inert(listed.stdout + listed.stderr)
    plain = SGR.sub("", listed.stdout)
    assert MARKUP in plain and LINK in plain and NAME_MARKUP in plain and "\\x1b]8;;" in plain and "\\x1b[2J" in plain
    as_json = run(["bank", "list", "--bank", str(bank), "--json"], tmp_path)
    assert_inert(as_json.stdout)
    labels = {json.loads(x)["label"] for x in as_json.stdout.splitlines()}
    assert label in labels  # stored and returned exactly


def test_helpers():
    assert clean("a\x1b[2Jb\u202e\n") == "a\\x1b[2Jb\\u202e\\x0a"
    assert line("[bold]x[/]", ("[/]", "red")).plain == "[bold]x[/][/]"
    assert json.loads(json_line({"k": "\u009b\u202e\x1b"})) == {"k": "\u009b\u202e\x1b"}
    assert "\u009b" not in json_line({"k": "\u009b"}) and "é" in json_line({"k": "é"})
