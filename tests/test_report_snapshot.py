"""The before/after report comparison (tools/report_snapshot.py) sees a changed field."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("report_snapshot", ROOT / "tools" / "report_snapshot.py")
snap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(snap)


def test_differences_name_the_changed_paths() -> None:
    before = {"a.jpg": {"report": {"verdict": "clear", "evidence": [{"strength": 0.1}]}}}
    after = {"a.jpg": {"report": {"verdict": "clear", "evidence": [{"strength": 0.2}], "x": 1}}}
    diffs = list(snap.differences(before, after))
    assert diffs == ["/a.jpg/report/evidence/0/strength: 0.1 -> 0.2", "/a.jpg/report/x: missing before"]
    assert list(snap.differences(before, before)) == []


def test_parsed_bytes_of_a_jpeg_with_exif(fixtures: Path) -> None:
    out = snap.parsed_bytes((fixtures / "provenance" / "camera.jpg").read_bytes())
    assert out["format"] == "JPEG"
    segments, scans = out["jpeg_marker_counts"]
    assert segments > 3 and scans >= 1
    assert out["exif"] and out["exif"][0][0].get("Make")


def test_paths_are_relative_to_the_checkout() -> None:
    rep = {"source": str(snap.ROOT / "tests" / "fixtures" / "a.jpg"), "timings_ms": {"x": 1},
           "evidence": [{"params": {"file": str(snap.ROOT.parent / "shared" / "data" / "b.jpg")}}]}
    assert snap._clean(rep) == {"source": "tests/fixtures/a.jpg",
                                "evidence": [{"params": {"file": "../shared/data/b.jpg"}}]}
