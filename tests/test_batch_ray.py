"""The Ray engine on a local Ray instance gives the same records as the local engine."""

from __future__ import annotations

import json
import os

import pytest
from batch_helpers import FIXTURES, write_variants, write_zip

from imgcheck.batch import scan_iter

import ray  # noqa: E402 - test extra (ray[data]): a missing one fails, never skips


@pytest.fixture(scope="module")
def local_ray():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def strip(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k != "timings_ms"}


def test_ray_engine_matches_local_engine(tmp_path, celeb_engine, local_ray):
    write_variants(tmp_path / "photos", 12)
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff" + b"\0" * 100)
    (tmp_path / "photos" / "dup.jpg").write_bytes((FIXTURES / "obama.jpg").read_bytes())
    z = write_zip(tmp_path / "q.zip", {"obama.jpg": (FIXTURES / "obama.jpg").read_bytes(),
                                       "../evil.png": b"x", "bomb.jpg": b"\0" * (4 * 1024 * 1024)})
    listing = tmp_path / "list.txt"
    listing.write_text("photos/img0001.jpg\nmissing.jpg\n" + str(FIXTURES / "astronaut.png") + "\n")
    inputs = [str(tmp_path / "photos"), str(z), str(listing)]
    local = sorted((strip(r) for r in scan_iter(inputs, celeb_engine, checks=["known_image"])), key=json.dumps)
    on_ray = sorted((strip(r) for r in scan_iter(inputs, celeb_engine, checks=["known_image"], backend="ray",
                                                 workers=2, batch_size=4)), key=json.dumps)
    assert len(local) == 12 + 2 + 3 + 2  # img0001 listed again is the same input; astronaut and missing are new
    assert on_ray == local
    flagged = {r["source"] for r in on_ray if r["verdict"] == "flagged"}
    assert {str(tmp_path / "photos" / "dup.jpg"), f"{z}!obama.jpg", str(FIXTURES / "astronaut.png")} <= flagged


def test_the_actor_reuses_records_of_identical_files_through_the_record_cache(tmp_path, celeb_engine, monkeypatch):
    """Called directly (no Ray needed): the second copy of a file is not checked again, its record is
    the first one's under its own source, and an unreadable item is an error record."""
    from imgcheck.batch.inputs import ScanItem
    from imgcheck.batch.pool import EngineSpec
    from imgcheck.batch.ray_engine import CheckActor
    from imgcheck.batch.records import RecordCache

    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes((FIXTURES / "obama.jpg").read_bytes())
    b.write_bytes(a.read_bytes())
    actor = CheckActor(EngineSpec.of(celeb_engine), ("known_image",), 0, 1 << 20,
                       celeb_engine.settings.limits)
    assert isinstance(actor._cache, RecordCache)
    calls = []
    real = actor.engine.check
    monkeypatch.setattr(actor.engine, "check", lambda *a, **k: calls.append(1) or real(*a, **k))
    rows = [ScanItem(str(p), str(p)).to_row() for p in (a, b, tmp_path / "gone.jpg")]
    out = actor({k: [r[k] for r in rows] for k in ("source", "path", "member", "error")})
    recs = [json.loads(t) for t in out["record"]]
    assert len(calls) == 1
    assert [r["source"] for r in recs] == [str(a), str(b), str(tmp_path / "gone.jpg")]
    assert strip(recs[1]) == {**strip(recs[0]), "source": str(b)} and recs[0]["verdict"] == "flagged"
    assert recs[2]["verdict"] == "error"
    actor.engine.bank.close()
