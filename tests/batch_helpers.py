"""Builders of scan inputs on disk for the batch tests (real photos, re-encoded so bytes differ)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image

FIXTURES = Path(__file__).parent / "fixtures"
PHOTOS = ("obama.jpg", "biden.jpg", "grace_hopper.jpg", "rocket.jpg", "coffee.png", "chelsea.png")


def variant_bytes(name: str, i: int) -> bytes:
    """A distinct JPEG re-encoding of a fixture photo (size and quality vary with ``i``)."""
    im = Image.open(FIXTURES / name).convert("RGB")
    side = 200 + (i * 37) % 300
    im.thumbnail((side, side))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=60 + i % 35)
    return buf.getvalue()


def write_variants(dest: Path, n: int) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = dest / f"img{i:04d}.jpg"
        p.write_bytes(variant_bytes(PHOTOS[i % len(PHOTOS)], i))
        out.append(p)
    return out


def write_zip(path: Path, entries: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compress)
    return path
