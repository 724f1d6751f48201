"""The CLI end to end, in a subprocess, as scripts use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(args: list[str], home: Path, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    return subprocess.run([sys.executable, "-m", "imgcheck.cli", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300, **kw)


def test_check_json_lines_with_a_bad_file_among_good(tmp_path, fixtures):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes((fixtures / "obama.jpg").read_bytes()[:5000])
    files = [str(REPO / "examples/photos/coffee.png"), str(bad), str(REPO / "examples/bank/astronaut.png")]
    p = run(["check", "--checks", "known_image", "--json", *files], tmp_path)
    assert p.returncode == 2, p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert [r["source"] for r in lines] == files
    assert [r["verdict"] for r in lines] == ["clear", "error", "flagged"]
    assert lines[1]["error"] and "damaged or truncated" in lines[1]["error"]
    assert lines[2]["matches"][0]["label"] == "Eileen Collins"
    assert lines[0]["schema"] == "imgcheck.report/2"
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("content", [b"", b"random bytes " * 50])
def test_bad_single_file_exit_2(tmp_path, content):
    f = tmp_path / "x.png"
    f.write_bytes(content)
    p = run(["check", str(f)], tmp_path)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr + p.stdout
    assert "x.png" in p.stderr


def test_unknown_check_is_usage_error(tmp_path, fixtures):
    p = run(["check", "--checks", "nope", str(fixtures / "coffee.png")], tmp_path)
    assert p.returncode == 2 and "unknown check" in p.stderr


def test_bank_commands(tmp_path, fixtures):
    bank = tmp_path / "b.sqlite"
    p = run(["bank", "add", "--bank", str(bank), "--label", "Grace Hopper", "--kind", "celebrity",
             str(fixtures / "grace_hopper.jpg")], tmp_path)
    assert p.returncode == 0, p.stderr
    p = run(["bank", "add", "--bank", str(bank), "--label", "Grace Hopper", str(fixtures / "grace_hopper.jpg")],
            tmp_path)
    assert "already in bank 1" in p.stderr
    listed = run(["bank", "list", "--bank", str(bank), "--json"], tmp_path)
    rows = [json.loads(x) for x in listed.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["Grace Hopper"]
    stats = json.loads(run(["bank", "stats", "--bank", str(bank)], tmp_path).stdout)
    assert stats["entries"] == 1 and stats["by_kind"] == {"celebrity": 1}
    csv_path = tmp_path / "out.csv"
    assert run(["bank", "export", "--bank", str(bank), "--out", str(csv_path)], tmp_path).returncode == 0
    bank2 = tmp_path / "b2.sqlite"
    assert run(["bank", "import", "--bank", str(bank2), str(csv_path)], tmp_path).returncode == 0
    p = run(["check", "--bank", str(bank2), "--json", str(fixtures / "grace_hopper.jpg")], tmp_path)
    assert json.loads(p.stdout)["flags"] == ["known_image"]
    assert run(["bank", "remove", "--bank", str(bank), str(rows[0]["id"])], tmp_path).returncode == 0
    assert run(["bank", "list", "--bank", str(bank), "--json"], tmp_path).stdout == ""


def test_default_is_example_bank(tmp_path):
    p = run(["check", "--json", "--checks", "known_image", str(REPO / "examples/bank/obama.jpg")], tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["matches"][0]["label"] == "Barack Obama"
    assert p.stderr == ""  # piped: the example-bank notice is for terminals only


def test_hash_command_json_lines(tmp_path, fixtures):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    files = [str(fixtures / "obama.jpg"), str(bad), str(fixtures / "coffee.png")]
    p = run(["hash", "--type", "phash,pdq", "--workers", "2", *files], tmp_path)
    assert p.returncode == 2, p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert [r["source"] for r in lines] == files
    assert set(lines[0]) == {"source", "sha256", "phash", "pdq", "pdq_quality"}
    assert len(lines[0]["pdq"]) == 64 and len(lines[0]["phash"]) == 16
    assert "error" in lines[1] and "notes.jpg" in p.stderr and "Traceback" not in p.stderr


def test_bank_add_on_threads_stores_what_one_thread_stores(tmp_path, fixtures):
    names = ["obama.jpg", "biden.jpg", "grace_hopper.jpg", "astronaut.png", "coffee.png"]
    stored = {}
    for workers in ("1", "2"):
        bank = tmp_path / f"b{workers}.sqlite"
        p = run(["bank", "add", "--bank", str(bank), "--label", "x", "--workers", workers,
                 *[str(fixtures / n) for n in names], str(tmp_path / "missing.jpg")], tmp_path)
        assert p.returncode == 0, p.stderr
        assert "added 5, already in bank 0, skipped 1" in p.stderr
        listed = run(["bank", "export", "--bank", str(bank), "--out", str(tmp_path / f"e{workers}.csv")], tmp_path)
        assert listed.returncode == 0, listed.stderr
        stored[workers] = sorted((tmp_path / f"e{workers}.csv").read_text().splitlines())
    assert stored["1"] == stored["2"] and len(stored["1"]) >= 5
