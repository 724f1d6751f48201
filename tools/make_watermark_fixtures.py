"""Mark test photos with the reference invisible-watermark encoder at the generators' own output sizes.

    # tools venv (the reference encoder imports torch, kept out of the project's dependencies):
    python -m venv /work/data/wmvenv && . /work/data/wmvenv/bin/activate
    pip install torch==2.13.0 invisible-watermark==0.2.0 pillow
    python tools/make_watermark_fixtures.py tests/fixtures/provenance/wm_sizes

Writes one lossless WebP per case plus ``cases.json`` (file -> payload, channel order, size, source);
tests/test_watermark.py decodes them with the project's own decoder. The photos are the public-domain /
CC0 test images of tests/fixtures (SOURCES.md), cropped to the aspect ratio, resized with Lanczos and
lightly blurred (generator outputs are smooth; the files stay small), then marked as each pipeline marks
its output. What each pipeline does:

- CompVis/Stability SD v1 and v2 scripts: RGB -> BGR, ``WatermarkEncoder().encode(bgr, "dwtDct")``, back;
- diffusers' SDXL watermarker hands the RGB array to the (BGR) encoder unchanged.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent
FIX = HERE.parent / "tests" / "fixtures"

SDV1 = [int(b) for b in "".join(f"{c:08b}" for c in b"StableDiffusionV1")]
SDV2 = [int(b) for b in "".join(f"{c:08b}" for c in b"SDV2")]
SDXL = [int(b) for b in f"{0xB3EC907BB19E:048b}"]
BLUR = 1.6
PAYLOADS = {"sdv1": (SDV1, "bgr"), "sdv2": (SDV2, "bgr"), "sdxl": (SDXL, "rgb")}

#: (name, payload, width, height, source photo): SD 1.x at 512, SD 2.x at 768, SDXL at 1024 and its
#: 832x1216 portrait bucket (the usual portrait size)
CASES = [
    ("sdv1_512x512", "sdv1", 512, 512, "astronaut.png"),
    ("sdv2_768x768", "sdv2", 768, 768, "group_photo_2.jpg"),
    ("sdxl_1024x1024", "sdxl", 1024, 1024, "group_photo_1.jpg"),
    ("sdxl_832x1216", "sdxl", 832, 1216, "obama3.jpg"),
]


def fit(src: Path, w: int, h: int) -> np.ndarray:
    im = Image.open(src).convert("RGB")
    sw, sh = im.size
    scale = max(w / sw, h / sh)
    im = im.resize((max(w, round(sw * scale)), max(h, round(sh * scale))), Image.Resampling.LANCZOS)
    x, y = (im.width - w) // 2, (im.height - h) // 2
    # a light blur: generator outputs are smoother than camera photos, and the files stay small
    return np.asarray(im.crop((x, y, x + w, y + h)).filter(ImageFilter.GaussianBlur(BLUR)))


def mark(rgb: np.ndarray, payload: str) -> np.ndarray:
    from imwatermark import WatermarkEncoder

    bits, order = PAYLOADS[payload]
    enc = WatermarkEncoder()
    enc.set_watermark("bits", bits)
    if order == "bgr":
        return np.ascontiguousarray(enc.encode(np.ascontiguousarray(rgb[:, :, ::-1]), "dwtDct")[:, :, ::-1])
    return np.ascontiguousarray(enc.encode(rgb.copy(), "dwtDct"))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cases = {}
    for name, payload, w, h, src in CASES:
        marked = mark(fit(FIX / src, w, h), payload)
        buf = io.BytesIO()
        Image.fromarray(marked).save(buf, "WEBP", lossless=True, quality=100, method=6)
        (out / f"{name}.webp").write_bytes(buf.getvalue())
        cases[f"{name}.webp"] = {"payload": payload, "order": PAYLOADS[payload][1], "size": [w, h], "source": src}
        print(f"{name}.webp {len(buf.getvalue()) // 1024} KiB", file=sys.stderr)
    (out / "cases.json").write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else FIX / "provenance" / "wm_sizes")
