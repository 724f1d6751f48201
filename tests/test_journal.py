"""The scan journal (``batch.journal``): an interrupted scan keeps every record made, resuming drops a
torn last line and checks only what is missing, and a used journal is never overwritten by accident."""

from __future__ import annotations

import pytest

from imgcheck.batch.journal import Journal, journal_in_use
from imgcheck.errors import InputError


def test_interrupt_resume_and_render(tmp_path, fixtures, celeb_engine):
    photos = tmp_path / "photos"
    photos.mkdir()
    for n in ("obama.jpg", "biden.jpg", "coffee.png", "rocket.jpg"):
        (photos / n).write_bytes((fixtures / n).read_bytes())
    path = tmp_path / "scan.jsonl"
    assert journal_in_use(path, resume=False, overwrite=False) is False
    first = Journal.start(path, resume=False)
    records = first.scan([photos], celeb_engine, checks=["known_image"])
    got = [next(records), next(records)]
    records.close()  # as on Ctrl-C: the two records made are on disk
    assert [r["source"] for r in first.records()] == [r["source"] for r in got]
    with path.open("a") as fh:
        fh.write('{"source": "torn')  # a kill mid-line
    with pytest.raises(InputError, match="--resume"):
        journal_in_use(path, resume=False, overwrite=False)
    with pytest.raises(InputError, match="cannot be used together"):
        journal_in_use(path, resume=True, overwrite=True)
    again = Journal.start(path, resume=True)
    assert again.append and again.dropped == len('{"source": "torn') and len(again.done) == 2
    rest = list(again.scan([photos], celeb_engine, checks=["known_image"]))
    assert len(rest) == 2 and {r["source"] for r in rest}.isdisjoint(r["source"] for r in got)
    sources = [r["source"] for r in again.records()]
    assert sorted(sources) == sorted(str(p) for p in photos.iterdir())
    again.render("csv", tmp_path / "scan.csv", celeb_engine)
    assert len((tmp_path / "scan.csv").read_text().splitlines()) == 5  # header + one row per photo
