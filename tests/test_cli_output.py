"""Human CLI output as people and scripts see it: plain and unwrapped in pipes, styled on a terminal,
notices once and only on a terminal, one error line per failure, French or English."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
ANSI = re.compile(r"\x1b\[")
MARKUP = re.compile(r"\[/?(dim|bold|red|green|yellow|magenta|link)[^\]]*\]")


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
               OMP_NUM_THREADS="1", COLUMNS="60", LANG="C.UTF-8")
    env.pop("LANGUAGE", None), env.pop("LC_ALL", None), env.pop("LC_MESSAGES", None)
    env.update(extra)
    return env


def run(args: list[str], home: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "imgcheck.cli", *args], capture_output=True, text=True,
                          env=env_for(home, **extra), cwd=REPO, timeout=300, check=False)


def run_on_terminal(args: list[str], home: Path) -> str:
    """Run with stdout and stderr on a pseudo-terminal; everything it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "imgcheck.cli", *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=env_for(home, TERM="xterm"), cwd=REPO)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 300)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_piped_output_is_plain_one_line_per_reason(tmp_path):
    """COLUMNS=60 and long reasons: nothing is wrapped, no markup or escape codes leak."""
    photos = [str(REPO / "examples/photos/stolen_astronaut.jpg"), str(FIXTURES / "coffee.png")]
    p = run(["check", *photos], tmp_path)
    assert p.returncode == 0, p.stderr
    assert not ANSI.search(p.stdout + p.stderr) and not MARKUP.search(p.stdout + p.stderr)
    lines = p.stdout.splitlines()
    assert lines[0] == f"{photos[0]}: FLAGGED"
    assert any(len(x) > 60 for x in lines)  # long lines stay whole
    reasons = [x for x in lines if x.startswith("  - ")]
    assert reasons and reasons[0].startswith("  - Matches a known image of 'Eileen Collins'")
    assert reasons[0].endswith(" of 256)")  # the whole reason on its line
    # every line is a verdict, a reason or a check line: nothing continues a wrapped line
    assert all(re.match(r"^(\S.*: [A-Z ]+|  - .+|  [a-z_]+: .+ - .+)$", x) for x in lines), lines
    assert p.stderr == ""  # no notice in a pipe


def test_bank_list_piped_has_no_markup(tmp_path):
    p = run(["bank", "list"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "[dim]" not in p.stdout and not ANSI.search(p.stdout)
    assert re.search(r"^\s+1\s+celebrity\s+Eileen Collins\s+scikit-image", p.stdout, re.M)


def test_one_error_line_per_failure_and_folders_point_to_scan(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes((FIXTURES / "obama.jpg").read_bytes()[:3000])
    p = run(["check", "--checks", "known_image", str(bad), str(REPO / "examples"), str(FIXTURES / "coffee.png")],
            tmp_path)
    assert p.returncode == 2
    errors = p.stderr.splitlines()
    assert len(errors) == 2 and all(x.startswith("error: ") for x in errors), p.stderr
    assert "broken.jpg" in errors[0] and "imgcheck scan" in errors[1] and "is a folder" in errors[1]
    assert p.stdout.count("damaged") == 0  # the message is not repeated on stdout
    assert f"{bad}: ERROR" in p.stdout and str(FIXTURES / "coffee.png") in p.stdout
    j = run(["check", "--json", "--checks", "known_image", str(REPO / "examples")], tmp_path)
    doc = json.loads(j.stdout)
    assert doc["verdict"] == "error" and "imgcheck scan" in doc["error"]
    assert len(j.stderr.splitlines()) == 1


def test_french_from_lang_option_and_environment(tmp_path):
    photo = str(REPO / "examples/photos/stolen_astronaut.jpg")
    by_opt = run(["check", "--lang", "fr", "--checks", "known_image", photo], tmp_path)
    by_env = run(["check", "--checks", "known_image", photo], tmp_path, LANG="fr_FR.UTF-8")
    assert by_opt.stdout == by_env.stdout
    assert f"{photo}: SIGNALÉE" in by_opt.stdout and "Correspond à une image connue de « Eileen Collins »" in \
        by_opt.stdout
    english = run(["check", "--lang", "en", "--checks", "known_image", photo], tmp_path, LANG="fr_FR.UTF-8")
    assert f"{photo}: FLAGGED" in english.stdout
    # the JSON is the same whatever the language: codes plus English text
    j_fr = json.loads(run(["check", "--json", "--checks", "known_image", photo], tmp_path, LANG="fr_FR.UTF-8").stdout)
    j_en = json.loads(run(["check", "--json", "--checks", "known_image", photo], tmp_path).stdout)
    assert j_fr["evidence"] == j_en["evidence"] and j_fr["reasons"][0].startswith("Matches a known image")
    assert j_fr["evidence"][0]["code"] == "known_image.match_aligned"


def test_notice_once_and_only_on_a_terminal(tmp_path):
    photo = str(FIXTURES / "coffee.png")
    first = run_on_terminal(["check", "--checks", "known_image", photo], tmp_path)
    assert "bundled example bank" in first and "NO WARNING SIGNS" in first
    assert ANSI.search(first)  # a terminal gets colours
    second = run_on_terminal(["check", "--checks", "known_image", photo], tmp_path)
    assert "bundled example bank" not in second and "NO WARNING SIGNS" in second
    quiet = run_on_terminal(["--quiet", "check", "--checks", "known_image", photo], tmp_path / "other")
    assert "bundled example bank" not in quiet


def test_scan_skips_files_that_are_not_images(tmp_path):
    import shutil
    import zipfile

    folder = tmp_path / "in"
    shutil.copytree(REPO / "examples", folder)
    (folder / "noext").write_bytes((FIXTURES / "coffee.png").read_bytes())  # an image without a suffix
    (folder / "fake.jpg").write_text("not an image")  # says it is one: an error, not a skip
    with zipfile.ZipFile(folder / "pack.zip", "w") as zf:
        zf.write(FIXTURES / "rocket.jpg", "a/rocket.jpg")
        zf.writestr("a/readme.txt", "hello")
    out = tmp_path / "scan.jsonl"
    p = run(["scan", str(folder), "--out", str(out), "--checks", "known_image"], tmp_path)
    assert p.returncode == 0, p.stderr
    sources = [Path(json.loads(x)["source"]).name for x in out.read_text().splitlines()]
    assert "SOURCES.md" not in sources and "bank.json" not in sources and "readme.txt" not in sources
    assert "noext" in sources and "fake.jpg" in sources and "rocket.jpg" in sources
    assert len(sources) == 8 + 3
    assert "errors 1" in p.stdout
    assert "skipped 3 file(s) that are not images" in p.stdout
    # the summary in French, and --quiet silences the progress lines (a finished scan resumed: 0 new)
    fr = run(["scan", str(folder), "--out", str(out), "--checks", "known_image", "--resume", "--lang", "fr",
              "--quiet"], tmp_path)
    assert fr.returncode == 0, fr.stderr
    assert "analysées : 11 (0 dans cette passe)" in fr.stdout and "erreurs 1" in fr.stdout
    assert "3 fichier(s) ignoré(s)" in fr.stdout and fr.stderr == ""


def test_warm_up_raises_no_warning():
    """The serve warm-up checks a flat synthetic photo: no divide-by-zero RuntimeWarning on the way."""
    import warnings

    from imgcheck import Engine
    from imgcheck.app.handlers import warm_up

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warm_up(Engine())


def test_serve_starts_cleanly(tmp_path):
    """No RuntimeWarning from the warm-up and no Gradio share hint in the first lines."""
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "imgcheck.cli", "serve", "--port", str(port)],
                                stdout=fh, stderr=subprocess.STDOUT, env=env_for(tmp_path, TMPDIR=str(tmp_path)),
                                cwd=REPO)
        try:
            deadline = time.monotonic() + 180
            # the warm-up check runs in the background after start: wait for it to say it is done
            while (not ("running at" in (t := log.read_text()) and "models loaded in" in t)
                   and time.monotonic() < deadline and proc.poll() is None):
                time.sleep(0.2)
            time.sleep(0.5)  # anything the warm-up thread prints after its line
        finally:
            proc.terminate()
            proc.wait(30)
    text = log.read_text()
    assert "running at http://127.0.0.1:" in text and "models loaded in" in text, text
    assert "Warning" not in text and "share=True" not in text and "Traceback" not in text, text


def test_serve_on_a_taken_port_says_so_without_a_traceback(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "imgcheck.cli", "serve", "--port", str(port)],
                           capture_output=True, text=True, timeout=180, env=env_for(tmp_path), cwd=REPO)
    assert r.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr, r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_serve_refuses_a_port_out_of_range(tmp_path):
    for port in ("0", "65536"):
        r = subprocess.run([sys.executable, "-m", "imgcheck.cli", "serve", "--port", port],
                           capture_output=True, text=True, timeout=120, env=env_for(tmp_path), cwd=REPO)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stdout + r.stderr and "--port" in r.stderr, r.stderr
