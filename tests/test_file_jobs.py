"""bank add, imgcheck hash and the default bank live in the library and walk folders like a scan:
hidden entries and symlinked folders skipped, zips read in place, non-images skipped and counted."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from imgcheck import user_bank
from imgcheck.batch.file_jobs import add_paths, hash_inputs
from imgcheck.batch.inputs import iter_items
from imgcheck.errors import BankError, InputError


@pytest.fixture()
def tree(tmp_path, fixtures) -> Path:
    root = tmp_path / "photos"
    (root / "alice").mkdir(parents=True)
    (root / "alice" / "a.jpg").write_bytes((fixtures / "obama.jpg").read_bytes())
    (root / "alice" / ".hidden.jpg").write_bytes((fixtures / "biden.jpg").read_bytes())
    (root / "alice" / "NOTES.md").write_text("not a photo")
    with zipfile.ZipFile(root / "bob.zip", "w") as z:
        z.writestr("bob/b.png", (fixtures / "astronaut.png").read_bytes())
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "c.jpg").write_bytes((fixtures / "grace_hopper.jpg").read_bytes())
    os.symlink(outside, root / "linked")
    return root


def test_bank_add_walks_folders_as_a_scan_does(tree, engine):
    refused: list[str] = []
    s = add_paths(engine, [tree, tree.parent / "missing.jpg"], label=None, kind="other",
                  label_from_folder=True, workers=2, on_refused=refused.append)
    assert (s.added, s.same, s.bad) == (2, 0, 1) and "missing.jpg" in refused[0]
    assert [Path(p).name for p in s.not_images] == ["NOTES.md"]
    entries = sorted((e.label, e.source) for e in engine.bank.store.entries())
    assert entries == [("alice", str(tree / "alice" / "a.jpg")), ("bob", f"{tree / 'bob.zip'}!bob/b.png")]
    again = add_paths(engine, [tree], label="x", kind="other", workers=1)
    assert (again.added, again.same, again.bad) == (0, 2, 0)


def test_bank_add_needs_a_label(tree, engine):
    with pytest.raises(InputError, match="label"):
        add_paths(engine, [tree], label=None, kind="other")


def test_hash_walks_the_same_files_as_a_scan(tree):
    got = list(hash_inputs([tree], workers=2))
    assert [r.source for r in got] == [i.source for i in iter_items([tree])]
    assert all(r.error is None and len(str(r.hashes["pdq"])) == 64 for r in got) and len(got) == 2
    with pytest.raises(InputError, match="unknown hash type"):
        list(hash_inputs([tree], ["nope"]))


def test_the_default_bank_is_the_users_else_the_example_one(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mine = tmp_path / "data" / "imgcheck" / "bank.sqlite"
    assert user_bank.choose_bank(None, for_writing=True) == user_bank.BankChoice(mine)
    example = user_bank.choose_bank(None)
    assert example.example and example.path.parent == tmp_path / "cache" / "imgcheck" and example.path.is_file()
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"")
    assert user_bank.choose_bank(None) == user_bank.BankChoice(mine)
    with pytest.raises(BankError, match="no bank at"):
        user_bank.choose_bank(tmp_path / "nope.sqlite")
    assert user_bank.choose_bank(tmp_path / "new.sqlite", for_writing=True).path == tmp_path / "new.sqlite"
