"""ai_watermark: the dwtDct decoder against files marked by the reference encoder, and clean photos.

The marked fixtures were made with the reference ``invisible-watermark`` encoder by
tests/make_provenance_fixtures.py, so the default suite tests the decoder without torch. Tests that
call the reference package itself skip when it is not installed (tools venv:
``pip install invisible-watermark torch==2.13.0``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgcheck import watermark as wm

PROV = Path(__file__).parent / "fixtures" / "provenance"
EXPECTED = {k: v for k, v in json.loads((PROV / "expected.json").read_text()).items() if v[0] == "ai_watermark"}
REAL = sorted(p for p in (Path(__file__).parent / "fixtures").iterdir() if p.suffix.lower() in (".jpg", ".png"))


@pytest.fixture(scope="module")
def wm_engine():
    from imgcheck import Engine

    return Engine(bank=None)


def test_marked_fixtures_exist() -> None:
    assert {"wm_sdv1.png", "wm_sdxl.png"} <= set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_marked_fixtures_flag_with_payload_named(wm_engine, name: str) -> None:
    _, needle = EXPECTED[name]
    report = wm_engine.check(PROV / name, checks=["ai_watermark"])
    ev = report.evidence[0]
    assert report.flags == ("ai_watermark",) and report.verdict == "flagged", ev.reason
    assert needle in ev.reason and needle in ev.details["best"]["payload"]
    assert ev.score is not None and ev.score >= ev.threshold
    assert "bits agree" in ev.reason


def test_sdxl_fixture_needs_the_diffusers_channel_order() -> None:
    rgb = np.asarray(Image.open(PROV / "wm_sdxl.png").convert("RGB"))
    best = wm.read_marks(rgb)[0]
    assert best.channel_order == "rgb" and best.bits == 48


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_clean_photos_not_flagged(wm_engine, path: Path) -> None:
    report = wm_engine.check(path, checks=["ai_watermark"])
    ev = report.evidence[0]
    assert report.flags == () and ev.status in ("clear", "inconclusive")
    if ev.status == "clear":
        assert ev.score < ev.threshold - 0.1        # a margin, not a near miss


def test_flat_and_tiny_images(wm_engine) -> None:
    flat = io.BytesIO()
    Image.new("RGB", (512, 512), (200, 180, 160)).save(flat, "PNG")
    ev = wm_engine.check(flat.getvalue(), checks=["ai_watermark"]).evidence[0]
    assert ev.status == "clear"
    # a flat image reads all zeros: agreement with a payload is at most its share of zeros
    assert ev.details["best"]["reference_agreement"] <= 0.7
    tiny = io.BytesIO()
    Image.new("RGB", (200, 200)).save(tiny, "PNG")
    assert wm_engine.check(tiny.getvalue(), checks=["ai_watermark"]).evidence[0].status == "inconclusive"


def test_huge_image_is_not_decoded(wm_engine) -> None:
    big = io.BytesIO()
    Image.new("L", (5000, 4000)).save(big, "PNG")
    ev = wm_engine.check(big.getvalue(), checks=["ai_watermark"]).evidence[0]
    assert ev.status == "inconclusive" and "too large" in ev.reason


def test_mark_is_fragile_to_downscaling() -> None:
    rgb = np.asarray(Image.open(PROV / "wm_sdv1.png").convert("RGB"))
    small = np.asarray(Image.fromarray(rgb).resize((288, 288), Image.Resampling.BILINEAR))
    best = max(wm.read_marks(small), key=lambda m: m.agreement)
    assert best.agreement < 0.8


def test_haar_ll_equals_pywavelets() -> None:
    import pywt  # test extra (PyWavelets): a missing one is a broken install, not a skip

    rng = np.random.default_rng(3)
    u = rng.integers(0, 256, (64, 96), dtype=np.uint8)
    ll, _ = pywt.dwt2(u, "haar")
    assert np.array_equal(wm.haar_ll(u), ll)          # exact: bits at the 18.0 boundary depend on it


def test_payload_bits() -> None:
    assert wm.PAYLOADS[0].length == 136 and bytes(np.packbits(wm.PAYLOADS[0].bits)) == b"StableDiffusionV1"
    assert bytes(np.packbits(wm.PAYLOADS[1].bits)) == b"SDV2"
    assert int("".join(map(str, wm.PAYLOADS[2].bits)), 2) == 0xB3EC907BB19E


# -- against the reference package (tools venv only) ---------------------------------------------
def _reference():
    return pytest.importorskip("imwatermark", reason="invisible-watermark (and torch) not installed")


@pytest.mark.parametrize("src", ["astronaut.png", "coffee.png", "rocket.jpg"])
def test_decoder_matches_reference_bit_for_bit(src: str) -> None:
    ref = _reference()
    from imwatermark.maxDct import EmbedMaxDct

    rgb = np.asarray(Image.open(Path(__file__).parent / "fixtures" / src).convert("RGB"))
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    enc = ref.WatermarkEncoder()
    enc.set_watermark("bytes", b"StableDiffusionV1")
    for image in (bgr, enc.encode(bgr.copy(), "dwtDct")):
        for length in (32, 48, 136):
            theirs = EmbedMaxDct(watermarks=[], wmLen=length).decode(image).astype(np.uint8)
            ours, _ = wm.decode_bits(wm.block_bits(image), length)
            assert np.array_equal(theirs, ours)


def test_reference_roundtrip_on_noise_image() -> None:
    ref = _reference()
    rng = np.random.default_rng(1)
    rgb = (rng.random((320, 480, 3)) * 200 + 28).astype(np.uint8)
    enc = ref.WatermarkEncoder()
    enc.set_watermark("bits", list(wm.PAYLOADS[2].bits))
    marked = enc.encode(rgb.copy(), "dwtDct")         # diffusers: RGB handed over as BGR
    best = wm.read_marks(marked)[0]
    assert best.payload == wm.PAYLOADS[2].name and best.agreement == 1.0


# -- the reference encoder's marks at the generators' own sizes (tools/make_watermark_fixtures.py) ---
SIZES = PROV / "wm_sizes"
SIZE_CASES: dict[str, dict] = json.loads((SIZES / "cases.json").read_text())
PAYLOAD_NAMES = {"sdv1": wm.PAYLOADS[0].name, "sdv2": wm.PAYLOADS[1].name, "sdxl": wm.PAYLOADS[2].name}


def _tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_watermark_fixtures", Path(__file__).parents[1] / "tools" /
                                                  "make_watermark_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generator_size_cases_cover_each_payload() -> None:
    assert {c["payload"] for c in SIZE_CASES.values()} == {"sdv1", "sdv2", "sdxl"}
    assert {tuple(c["size"]) for c in SIZE_CASES.values()} >= {(512, 512), (768, 768), (1024, 1024), (832, 1216)}


@pytest.mark.parametrize("name", sorted(SIZE_CASES))
def test_reference_marks_at_generator_sizes(wm_engine, name: str) -> None:
    case = SIZE_CASES[name]
    report = wm_engine.check(SIZES / name, checks=["ai_watermark"])
    ev = report.evidence[0]
    assert [report.image.width, report.image.height] == case["size"]
    assert report.flags == ("ai_watermark",), ev.reason
    assert ev.details["best"]["payload"] == PAYLOAD_NAMES[case["payload"]]
    assert ev.details["best"]["channel_order"] == case["order"]
    assert ev.reason.startswith("Invisible Stable Diffusion watermark") and "bits agree" in ev.reason
    assert ev.details["best"]["reference_agreement"] >= 0.85     # the reference decoder's reading agrees too


def _resaves(rgb: np.ndarray) -> dict[str, bytes]:
    out = {}
    for label, mode, fmt, kw in (("png_optimized", "RGB", "PNG", {"optimize": True}),
                                 ("png_rgba", "RGBA", "PNG", {}), ("tiff", "RGB", "TIFF", {"compression": "tiff_lzw"}),
                                 ("bmp", "RGB", "BMP", {}), ("webp_lossless", "RGB", "WEBP", {"lossless": True})):
        buf = io.BytesIO()
        Image.fromarray(rgb).convert(mode).save(buf, fmt, **kw)
        out[label] = buf.getvalue()
    return out


@pytest.mark.parametrize("name", sorted(SIZE_CASES))
def test_reference_marks_survive_lossless_resaves(wm_engine, name: str) -> None:
    rgb = np.asarray(Image.open(SIZES / name).convert("RGB"))
    for label, data in _resaves(rgb).items():
        ev = wm_engine.check(data, checks=["ai_watermark"]).evidence[0]
        assert ev.status == "flag", (label, ev.reason)
        assert ev.details["best"]["payload"] == PAYLOAD_NAMES[SIZE_CASES[name]["payload"]], label


@pytest.mark.parametrize("name", sorted(SIZE_CASES))
def test_same_pixels_without_the_mark_are_clear(wm_engine, name: str) -> None:
    case = SIZE_CASES[name]
    clean = _tool().fit(Path(__file__).parent / "fixtures" / case["source"], *case["size"])
    buf = io.BytesIO()
    Image.fromarray(clean).save(buf, "PNG")
    ev = wm_engine.check(buf.getvalue(), checks=["ai_watermark"]).evidence[0]
    assert ev.status == "clear" and ev.score < ev.threshold - 0.1, ev.reason


@pytest.mark.parametrize("name", ["ai_z_image_turbo.webp", "ai_hidream_i1.webp"])
def test_ai_images_of_unmarked_generators_are_not_marked(wm_engine, name: str) -> None:
    ev = wm_engine.check(Path(__file__).parent / "fixtures" / name, checks=["ai_watermark"]).evidence[0]
    assert ev.status in ("clear", "inconclusive") and ev.flags == ()
    if ev.status == "clear":
        assert ev.score < ev.threshold - 0.1


def test_generator_size_fixtures_regenerate_identically() -> None:
    _reference()          # only the regeneration needs the reference encoder; decoding is tested above
    tool = _tool()
    name = "sdv1_512x512.webp"
    case = SIZE_CASES[name]
    marked = tool.mark(tool.fit(Path(__file__).parent / "fixtures" / case["source"], *case["size"]), case["payload"])
    committed = np.asarray(Image.open(SIZES / name).convert("RGB"))
    assert np.array_equal(marked, committed)
