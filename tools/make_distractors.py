"""Build the real distractor photos for the bank-scale benchmark (benchmarks/bank_scale.py).

None of them comes from the re-upload set (tests/fixtures/reupload/, tests/robustness.py): the
sources are different repositories and packages. Sources, unpacked by hand first (nothing is
fetched here), pinned:

- BSDS500, the Berkeley segmentation data set's 500 natural photos (481x321), GitHub
  ``BIDS/BSDS500`` @ a04b7c6 (the search tool's snapshot), ``BSDS500/data/images/{train,val,test}``.
  Licence: research and education use, no redistribution: used for evaluation only, never committed.
- Debian bookworm packages (``apt-get download``): ``plasma-workspace-wallpapers`` 4:5.27.5-2
  (GPL-2+), ``ukui-wallpapers`` 20.04.3-1.1 (GPL), ``gnome-backgrounds`` 43.1-1 (CC-BY-SA):
  the largest raster of every wallpaper (photos and graphics).

Each distinct picture gives ``--variants`` files: the whole picture and crops of 55-90% of each side
at random places, some mirrored, at 320-640 px (distinct crops of one photo are what a real bank
holds when several accounts stole the same picture). Commands:

    git --git-dir=<snapshot of BIDS/BSDS500> archive HEAD BSDS500/data/images | tar -x -C bsds
    apt-get download plasma-workspace-wallpapers ukui-wallpapers gnome-backgrounds
    for d in *.deb; do mkdir -p x/${d%%_*}; dpkg-deb -x $d x/${d%%_*}; done
    python tools/make_distractors.py --bsds bsds --debs x --out /work/data/bankscale/distractors

``--list`` prints the sha256 of every source picture (what docs/bank_scale.md pins).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

Image.MAX_IMAGE_PIXELS = 40_000_000

WALLPAPERS = ("plasma-workspace-wallpapers/usr/share/wallpapers", "ukui-wallpapers/usr/share/backgrounds",
              "gnome-backgrounds/usr/share/backgrounds/gnome")
RASTER = (".jpg", ".jpeg", ".png", ".webp")


def sources(bsds: Path, debs: Path) -> list[Path]:
    out = sorted(p for p in bsds.rglob("*.jpg"))
    plasma = debs / WALLPAPERS[0]
    for folder in sorted(plasma.iterdir()) if plasma.is_dir() else []:
        imgs = [p for p in (folder / "contents" / "images").glob("*") if p.suffix.lower() in RASTER]
        if imgs:
            out.append(max(imgs, key=lambda p: p.stat().st_size))
    for rel in WALLPAPERS[1:]:
        out += sorted(p for p in (debs / rel).glob("*") if p.suffix.lower() in RASTER)
    return out


def variants(im: Image.Image, n: int, rng: np.random.Generator) -> list[Image.Image]:
    w, h = im.size
    out = [im]
    for _ in range(n - 1):
        fx, fy = rng.uniform(0.55, 0.9, 2)
        cw, ch = round(w * fx), round(h * fy)
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        v = im.crop((x0, y0, x0 + cw, y0 + ch))
        if rng.random() < 0.3:
            v = ImageOps.mirror(v)
        out.append(v)
    sized = []
    for v in out:
        v = v.copy()
        side = int(rng.integers(320, 641))
        v.thumbnail((side, side), Image.Resampling.LANCZOS)
        sized.append(v)
    return sized


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bsds", type=Path, required=True)
    ap.add_argument("--debs", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--variants", type=int, default=19)
    ap.add_argument("--list", action="store_true", help="print source sha256s and exit")
    args = ap.parse_args()
    srcs = sources(args.bsds, args.debs)
    if args.list:
        for p in srcs:
            print(hashlib.sha256(p.read_bytes()).hexdigest(), p.relative_to(p.parents[2]))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(srcs):
        rng = np.random.default_rng([7, i])
        im = ImageOps.exif_transpose(Image.open(p))
        im = im.convert("RGB")
        im.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
        for j, v in enumerate(variants(im, args.variants, rng)):
            v.save(args.out / f"d{i:04d}_{j:02d}.jpg", "JPEG", quality=88)
    print(f"{len(srcs)} pictures, {len(srcs) * args.variants} files in {args.out}")


if __name__ == "__main__":
    main()
