"""Reports of every test photo as one JSON file, and a field-by-field comparison of two such files.

A refactoring must not change what imgcheck says about a photo. Run ``snapshot`` on the code before
the change and on the code after, then ``compare``:

    PYTHONPATH=$PWD python tools/report_snapshot.py snapshot /tmp/before.json
    ... change the code ...
    PYTHONPATH=$PWD python tools/report_snapshot.py snapshot /tmp/after.json
    python tools/report_snapshot.py compare /tmp/before.json /tmp/after.json

The snapshot holds the report of every image under ``tests/fixtures`` and ``../shared/data`` (all
checks, a bank of two fixture portraits so that known-image and known-face matches occur), the
metadata blocks and EXIF fields the provenance parsers read from each file, and one profile report;
timings are left out (they differ from run to run). ``compare`` prints every path whose value
differs and exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".heic", ".avif")
BANK = (("obama.jpg", "Barack Obama"), ("astronaut.png", "Eileen Collins"))
PROFILE = ("obama.jpg", "obama2.jpg", "biden.jpg")
DROPPED = frozenset({"timings_ms"})


def photo_folders() -> list[Path]:
    shared = next((p for p in (ROOT.parent / "shared" / "data", Path("/work/shared/data")) if p.is_dir()), None)
    return [ROOT / "tests" / "fixtures"] + ([shared] if shared else [])


def photos() -> Iterator[tuple[str, Path]]:
    for folder in photo_folders():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                yield f"{folder.name}/{path.relative_to(folder)}", path


def _clean(value: Any) -> Any:
    """Timings dropped; paths made relative to the checkout, so two checkouts compare equal."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return value.replace(str(ROOT) + "/", "").replace(str(ROOT.parent) + "/", "../")
    return value


def parsed_bytes(data: bytes) -> dict[str, Any]:
    """What the byte-level parsers read from a file: sniffed format, frames, size, orientation,
    JPEG structure, metadata blocks and EXIF fields (so a change of parser shows even where no check
    turns it into a report field)."""
    from imgcheck import load
    from imgcheck.provenance import containers, exif

    fmt = load.sniff_format(data[:64])
    out: dict[str, Any] = {"format": fmt}
    if fmt == "JPEG":
        out["jpeg_marker_counts"] = load.jpeg_marker_counts(data, 10 ** 9, 10 ** 9)
    if fmt == "TIFF":
        out["tiff_pages"] = load.tiff_page_count(data, 10 ** 6)
        out["tiff_size"] = load.tiff_size(data)
    blocks = containers.extract(data, fmt or "")
    out["blocks"] = {"exif": [len(b) for b in blocks.exif], "xmp": [len(x) for x in blocks.xmp],
                     "texts": [[t.where, t.key, len(t.value)] for t in blocks.texts],
                     "c2pa": blocks.has_c2pa_marker, "notes": list(blocks.notes)}
    out["exif"] = [[exif.read_fields(b)[0], len(exif.read_fields(b)[1] or b"")] for b in blocks.exif]
    out["orientation"] = [load.orientation_from_exif(b) for b in blocks.exif]
    return out


def snapshot(out: Path) -> int:
    from imgcheck import Engine

    fixtures = ROOT / "tests" / "fixtures"
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(bank=Path(tmp) / "bank.sqlite")
        try:
            for name, label in BANK:
                engine.add_to_bank(fixtures / name, label, "celebrity", f"tests/fixtures/{name}")
            for key, path in photos():
                result[key] = {"report": _clean(engine.check(path).to_dict()),
                               "bytes": _clean(parsed_bytes(path.read_bytes()))}
            profile = engine.check_profile([fixtures / n for n in PROFILE])
            result["__profile__"] = _clean(profile.to_dict())
        finally:
            engine.bank.close()
    out.write_text(json.dumps(result, indent=1, sort_keys=True, default=str))
    return len(result)


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Paths (``photo.jpg/report/evidence/0/strength``) where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                yield f"{path}/{k}: {'missing before' if k not in a else 'missing after'}"
            else:
                yield from differences(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}/{i}")
    elif a != b:
        yield f"{path}: {json.dumps(a, default=str)[:200]} -> {json.dumps(b, default=str)[:200]}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot", help="write the reports of every test photo to a JSON file")
    s.add_argument("out", type=Path)
    c = sub.add_parser("compare", help="list the fields that differ between two snapshots")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "snapshot":
        n = snapshot(args.out)
        print(f"{n} reports written to {args.out}")
        return 0
    before = json.loads(args.before.read_text())
    after = json.loads(args.after.read_text())
    diffs = list(differences(before, after))
    for line in diffs:
        print(line)
    same = sum(1 for k in before if k in after and not list(differences(before[k], after[k])))
    print(f"{same} of {len(before)} reports equal field by field; {len(diffs)} differing field(s)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
