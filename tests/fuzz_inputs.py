"""Bounded, coverage-free fuzzing (hypothesis) of the loader, the container walkers, the metadata
parsers and the cheap checks, on mutated real images of every supported format.

Properties (a failure is a bug):
- ``load``: ``load_image`` returns a LoadedImage whose pixels decode, or raises ``InputError``;
- ``walkers``: the header walkers in load.py return small non-negative ints and never raise;
- ``metadata``: the provenance parsers (``imgcheck/provenance``, when present) never raise;
- ``engine``: ``Engine.check`` on the bytes never raises, and no check ends with status ``error``
  (a check must turn content problems into ``inconclusive``/``clear``, see STYLE).

Usage:  python tests/fuzz_inputs.py --seconds 60 [--targets load,walkers,metadata,engine] [--out DIR]
        python tests/fuzz_inputs.py --examples 150 --seed 0   (by count, reproducible)
The default test run fuzzes by count with a fixed seed (tests/test_fuzz.py); the long run is ``--seconds 3600``. The input that breaks a
property is written to --out (default: fuzz-failures/) and the script exits 1; without one it prints
the number of examples per target and exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
import hostile_corpus as hc  # noqa: E402

# small caps keep every example fast: fuzzing looks for crashes, not throughput
FUZZ_LIMITS_KW = {"max_bytes": 4 * 2**20, "max_pixels": 4_000_000, "max_side": 8192, "max_frames": 64}
INTERESTING_INTS = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def seeds() -> list[tuple[str, bytes]]:
    """Small valid files of every supported container, some carrying metadata worth mutating."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    pic = hc.picture(40)
    out: list[tuple[str, bytes]] = []
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0131] = "Stable Diffusion"
    out.append(("jpeg", hc.encode(pic, "JPEG", quality=80, exif=exif.tobytes())))
    out.append(("jpeg_prog", hc.encode(pic, "JPEG", progressive=True)))
    xmp = (
        b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf="
        b"'http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description xmlns:xmp='http://ns.adobe.com/"
        b"xap/1.0/' xmp:CreatorTool='Midjourney'/></rdf:RDF></x:xmpmeta>"
    )
    jumbf = hc.isobmff_box(
        b"jumb",
        hc.isobmff_box(b"jumd", b"c2pa" + bytes(12) + b"\x03c2pa\x00")
        + hc.isobmff_box(b"cbor", b"\xa1\x61a\x01"),
    )
    out.append(
        (
            "jpeg_meta",
            hc.jpeg_insert(
                hc.encode(pic, "JPEG"),
                hc.jpeg_segment(0xE1, xmp) + hc.jumbf_app11(jumbf) + hc.jpeg_segment(0xFE, b"parameters: x"),
            ),
        )
    )
    out.append(("png", hc.encode(pic, "PNG")))
    out.append(
        (
            "png_meta",
            hc.png_insert(
                hc.encode(pic, "PNG"),
                hc.png_chunk(b"tEXt", b"parameters\x00a cat, Steps: 20")
                + hc.png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp[29:])
                + hc.png_chunk(b"caBX", jumbf)
                + hc.png_chunk(b"eXIf", exif.tobytes()[6:]),
            ),
        )
    )
    pal = Image.fromarray(pic).quantize(16)
    out.append(("png_pal", hc.encode(pal, "PNG", transparency=3)))
    out.append(
        (
            "png16",
            hc.encode(Image.fromarray(np.asarray(Image.fromarray(pic).convert("L"), np.uint16) * 257), "PNG"),
        )
    )
    frames = [Image.fromarray(np.roll(pic, i * 5, axis=1)) for i in range(3)]
    apng = io.BytesIO()
    frames[0].save(apng, "PNG", save_all=True, append_images=frames[1:])
    out.append(("apng", apng.getvalue()))
    out.append(("webp", hc.encode(pic, "WEBP", quality=70, exif=exif.tobytes())))
    out.append(("webp_ll", hc.encode(Image.fromarray(pic).convert("RGBA"), "WEBP", lossless=True)))
    awebp = io.BytesIO()
    frames[0].save(awebp, "WEBP", save_all=True, append_images=frames[1:])
    out.append(("webp_anim", awebp.getvalue()))
    agif = io.BytesIO()
    frames[0].save(agif, "GIF", save_all=True, append_images=frames[1:])
    out.append(("gif_anim", agif.getvalue()))
    out.append(("tiff", hc.encode(pic, "TIFF", compression="tiff_deflate")))
    out.append(("tiff_pages", hc.tiff_raw([hc.tiff_grey_tags(8, 8)] * 3, [bytes(64)])))
    out.append(
        (
            "tiff_float",
            hc.tiff_raw(
                [hc.tiff_grey_tags(8, 8, bps=64, spp=3, photometric=2, sample_format=3)],
                [np.linspace(0, 1, 192).astype("<f8").tobytes()],
            ),
        )
    )
    out.append(("bmp", hc.encode(pic, "BMP")))
    out.append(("heic", hc.encode(pic, "HEIF", quality=50)))
    out.append(("avif", hc.encode(pic, "AVIF", quality=50)))
    # real provenance fixtures (signed C2PA manifests, generator text) once that package exists
    prov = hc.FIXTURES / "provenance"
    if prov.is_dir():
        for f in sorted(prov.iterdir()):
            if f.is_file() and f.suffix in (".jpg", ".png", ".webp") and f.stat().st_size < 200_000:
                out.append((f"prov_{f.stem}", f.read_bytes()))
    return out


@st.composite
def mutated(draw, pool: list[tuple[str, bytes]]) -> bytes:
    _, data = draw(st.sampled_from(pool))
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not buf:
            break
        op = draw(st.sampled_from(("flip", "set", "int32", "int16", "truncate", "insert", "delete", "dup")))
        pos = draw(st.integers(0, len(buf) - 1))
        if op == "flip":
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            buf[pos] = draw(st.sampled_from((0, 1, 0x7F, 0x80, 0xFF)) | st.integers(0, 255))
        elif op in ("int32", "int16"):
            width = 4 if op == "int32" else 2
            value = draw(st.sampled_from(INTERESTING_INTS)) & (2 ** (8 * width) - 1)
            order = draw(st.sampled_from(("big", "little")))
            buf[pos : pos + width] = value.to_bytes(width, order)
        elif op == "truncate":
            del buf[pos:]
        elif op == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del buf[pos : pos + draw(st.integers(1, 256))]
        elif op == "dup":
            n = draw(st.integers(1, 512))
            buf[pos:pos] = buf[pos : pos + n] * draw(st.integers(1, 8))
    return bytes(buf)


class Failure(Exception):
    """A property broke; carries the input for the report."""

    def __init__(self, target: str, data: bytes, detail: str) -> None:
        super().__init__(f"{target}: {detail}")
        self.target, self.data, self.detail = target, data, detail


def target_load(data: bytes) -> None:
    from imgcheck.errors import InputError
    from imgcheck.load import Limits, load_image

    try:
        img = load_image(data, limits=Limits(**FUZZ_LIMITS_KW), verify_side=64)
    except InputError as exc:
        if not str(exc).strip():
            raise Failure("load", data, "InputError without a message") from exc
        return
    arr = img.rgb(48)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3 or max(arr.shape[:2]) > 48:
        raise Failure("load", data, f"bad pixel array {arr.dtype} {arr.shape}")
    if img.width <= 0 or img.height <= 0 or img.frames < 1:
        raise Failure("load", data, f"bad info {img.info}")


def target_walkers(data: bytes) -> None:
    from imgcheck import load

    results = [
        load.gif_frame_count(data, 100),
        load.tiff_page_count(data, 100),
        load.png_chunk_count(data, 100),
        *load.jpeg_marker_counts(data, 100, 100),
        load.orientation_from_exif(data),
    ]
    if data[:6] == b"Exif\x00\x00" or data[:2] in (b"II", b"MM"):
        results.append(load.orientation_from_exif(data))
    if any(not isinstance(r, int) or r < 0 or r > 2**32 for r in results):
        raise Failure("walkers", data, f"odd counts {results}")


def metadata_parsers() -> list[tuple[str, Callable[[bytes], object]]]:
    """The provenance parsers that exist in this checkout (none before that package lands)."""
    found: list[tuple[str, Callable[[bytes], object]]] = []
    try:
        from imgcheck.provenance import containers, exif, xmp

        from imgcheck.load import sniff_format
    except ImportError:
        return found

    def walk(data: bytes) -> object:
        blocks = containers.extract(data, sniff_format(data[:32]) or "JPEG")
        for blob in blocks.exif:
            exif.read_fields(blob)
        for packet in blocks.xmp:
            xmp.read_fields(packet)
        return blocks

    found.append(("containers+exif+xmp", walk))
    found.append(("exif.read_fields", lambda d: exif.read_fields(d)))
    found.append(("xmp.read_fields", lambda d: xmp.read_fields(d.decode("utf-8", "replace"))))
    return found


def target_metadata(data: bytes) -> None:
    for name, parse in metadata_parsers():
        try:
            parse(data)
        except Exception as exc:  # noqa: BLE001 - any exception is the finding
            raise Failure("metadata", data, f"{name} raised {type(exc).__name__}: {exc}") from exc


def make_engine_target() -> Callable[[bytes], None]:
    from imgcheck import Engine
    from imgcheck.load import Limits
    from imgcheck.settings import Settings

    engine = Engine(bank=":memory:", settings=Settings(limits=Limits(**FUZZ_LIMITS_KW)))
    engine.add_to_bank(hc.encode(hc.picture(64), "PNG"), "seed")
    cheap = [n for n in engine.available_checks() if n in ("known_image", "ai_provenance")]

    def target_engine(data: bytes) -> None:
        try:
            report = engine.check(data, checks=cheap)
        except Exception as exc:  # noqa: BLE001 - Engine.check must never raise for a bad image
            raise Failure("engine", data, f"Engine.check raised {type(exc).__name__}: {exc}") from exc
        broken = [f"{e.check}: {e.reason}" for e in report.evidence if e.status == "error"]
        if broken:
            raise Failure("engine", data, f"check error on a loadable image: {broken}")

    return target_engine


def run(seconds: float, targets: list[str], out_dir: Path, examples: int | None = None,
        fixed_seed: int | None = None) -> int:
    """Fuzz for ``seconds`` in all, or, with ``examples``, that many examples per target (with
    ``fixed_seed``: the same inputs every run)."""
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(out_dir / ".hypothesis")  # not ./.hypothesis in the caller's folder
    pool = seeds()
    funcs: dict[str, Callable[[bytes], None]] = {
        "load": target_load,
        "walkers": target_walkers,
        "metadata": target_metadata,
    }
    if "engine" in targets:
        funcs["engine"] = make_engine_target()
    counts = dict.fromkeys(targets, 0)
    out_dir.mkdir(parents=True, exist_ok=True)
    current = out_dir / "current_input.bin"
    deadline = time.monotonic() + seconds
    share = seconds / len(targets)
    for i, name in enumerate(targets):
        stop = min(deadline, time.monotonic() + share) if i < len(targets) - 1 else deadline
        prop = _property(funcs[name], name, pool, counts, current, examples or 100, fixed_seed)
        while (counts[name] < examples) if examples else (time.monotonic() < stop):
            try:
                prop()
            except Failure as exc:  # hypothesis re-raises the shrunk failing input
                return report_failure(exc, out_dir)
            except Exception:  # noqa: BLE001 - a bug in the harness itself, or several failures at once
                traceback.print_exc()
                return 1
            if examples:
                break  # one hypothesis run of ``examples`` examples
    current.unlink(missing_ok=True)
    print(
        " ".join(f"{k}={v}" for k, v in counts.items()),
        f"seeds={len(pool)}",
        f"metadata_parsers={len(metadata_parsers())}",
        "failures=0",
        flush=True,
    )
    return 0


def _property(
    func: Callable[[bytes], None],
    name: str,
    pool: list[tuple[str, bytes]],
    counts: dict[str, int],
    current: Path,
    max_examples: int = 100,
    fixed_seed: int | None = None,
) -> Callable[[], None]:
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(mutated(pool))
    def prop(data: bytes) -> None:
        counts[name] += 1
        current.write_bytes(data)  # survives a hard crash of a decoder (the parent test reports it)
        func(data)

    return seed(fixed_seed)(prop) if fixed_seed is not None else prop


def report_failure(exc: Failure, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{exc.target}_{hashlib.sha256(exc.data).hexdigest()[:16]}.bin"
    path.write_bytes(exc.data)
    print(f"FAILURE {exc.target}: {exc.detail}\ninput saved to {path}", flush=True)
    return 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--targets", default="load,walkers,metadata,engine")
    ap.add_argument("--out", type=Path, default=Path("fuzz-failures"))
    ap.add_argument("--examples", type=int, default=None, help="examples per target instead of --seconds")
    ap.add_argument("--seed", type=int, default=None, help="fixed hypothesis seed (reproducible inputs)")
    args = ap.parse_args()
    sys.exit(run(args.seconds, [t for t in args.targets.split(",") if t], args.out, args.examples, args.seed))


if __name__ == "__main__":
    main()
