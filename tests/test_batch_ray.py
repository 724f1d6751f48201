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
