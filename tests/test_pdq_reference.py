"""``imgcheck hash --type pdq`` against Meta's reference PDQ hasher (pdq/cpp in facebook/ThreatExchange).

Reference values: ``pdq-photo-hasher`` built from facebook/ThreatExchange@baefb4ed67b6cdc1d4c82dbaef858d50866ac424
(pdq/cpp, decoding JPEG and PNG with the system libjpeg-turbo 2.1.5 and libpng 1.6.39), run on the
registry photos of ``../shared/data`` (scikit-image, scikit-learn, matplotlib, face_recognition and
@vladmandic/face-api packages; see its SOURCES.md) and on the synthetic PNGs made below. The build is a
local tool, not part of the project; docs/exchange.md has the figures for Meta's own test images.

Meta's rule for a correct PDQ port: within 10 bits of the reference for images of quality >= 80.
Qualities must fall on the same side of 50 (PDQ's "usable" line) and 80.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = (ROOT / "tests" / "fixtures", ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data")


def image(name: str) -> Path:
    """A registry photo: tests/fixtures holds most, ../shared/data (beside the checkout) the rest."""
    for folder in FOLDERS:
        if (folder / name).exists():
            return folder / name
    raise AssertionError(f"{name} is in none of {', '.join(map(str, FOLDERS))}")

#: (file in ../shared/data, reference PDQ, reference quality)
REFERENCE = [
    ("biden.jpg", "b2d79aa799d6d5d8fee822a6212a5b595d48086cdfeaeaf4245405f7d002d155", 100),
    ("china.jpg", "3f18cef3407e8f78e683bb1937d14067988e58d20c6eac5d781103f157a3f50e", 100),
    ("flower.jpg", "673966dcb772a66499a69a66619ea9472599a21b9649a659596624b3e58ea693", 100),
    ("grace_hopper.jpg", "cc6c7db9f377c44f31837672900273f2ffd9d012223ccdf56160630ddd97c020", 100),
    ("group_photo_1.jpg", "55bac9cbe685c6a568d63132ad438f584e76727ed189d481776d9cbe222c4952", 100),
    ("group_photo_2.jpg", "1fe0eaad7b92c2fb43a1165748d792d7d8c92dc0ac5e3dc9247a8c2c86215b1f", 100),
    ("group_photo_3.jpg", "7ed8852e598797646c05d7389c7b832afe8c41138bdc914276c73e9144ef3bc8", 100),
    ("group_photo_4.jpg", "79a646491eb8ae74d62b7a045e8ccd6e38813988c737cb699dc9892f2484f7d3", 100),
    ("group_photo_5.jpg", "59a393e4de09f29a620449928e36b26624c341bbd5894e3dc8f6ebd637561d3e", 100),
    ("group_photo_6.jpg", "e23986ba96d9b0f150cb1ecf0cc3a866497ec3346b785f34371cf714d091d8f0", 100),
    ("hubble_deep_field.jpg", "1ce735e66266630f729429a232cad397e70e86be9c60dc59a42ec39c3379b919", 100),
    ("obama.jpg", "aeac10c9fe8a41ff004bff147be9035be937db288a1c35f42a0be9b64d604b4c", 100),
    ("obama2.jpg", "0407e1a793f69cd2bf936fc1dbc396c82c9cc92d96653cd3b9a6c66c118781a4", 100),
    ("obama3.jpg", "c3311373bc7116c2c4cb4dca484eebb7b735b03c4ad7ac7ce0aa3741d221f435", 100),
    ("obama_partial_face.jpg", "e2ab8dc7174e3c19e87382fd4f33fe86aa38417252a5abd535aa35385111d331", 100),
    ("rocket.jpg", "8793786c8f9370e4af1bc0e43f1fc0e03f1cc2633da482537cac821b2cecf376", 100),
    ("astronaut.png", "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724", 100),
    ("camera.png", "dc9c9d3b746978f888f40ce6e5c3f70f7266623e8d989cb99f21f2010841e1c7", 100),
    ("chelsea.png", "5feb5321f01da156898e2bf629a5d3438412cdbd23f48942464526315db33ffd", 100),
    ("coffee.png", "88629e779a663698f9833866c027727c21a679f61eb6e1f8c79b27e27c0299e0", 100),
    ("motorcycle_left.png", "e0c9cfdb78d338d68a58ec54e94ba55937525b67508a0b87ad64fc6b4631c470", 100),
]
#: synthetic PNGs (``synth``), lossless so their pixels are the same wherever they are written
SYNTHETIC = [
    ("checks", "40ffaf0040ffaf00af00bf00af00bf0040ff40ff40ff40ff40ff40ff40ff40ff", 100),
    ("gradient", "154d9695cd1daa5e4af1b5aa15991455b6a071d8b75456a9aaab54b55699556c", 44),
    ("soft_blobs", "40a35ffca283fdfcb803bffca0039ffca083fffc8003fffc8003fffc00030003", 15),
    ("faint_stripes", "02772a7f085d55000000554b57027f082a7f085d02772077085d2875005f82dd", 4),
]
#: photos given an EXIF orientation tag without touching their pixels: the reference (like every
#: other implementation) hashes the stored pixels, so its value is the untagged file's
EXIF_ROTATED = [("obama.jpg", 6), ("rocket.jpg", 3), ("group_photo_2.jpg", 8)]


def synth(name: str) -> np.ndarray:
    y, x = np.mgrid[0:240, 0:320].astype(np.float64)
    if name == "gradient":
        a = x / 319 * 255
        rgb = np.stack([a, a, a], -1)
    elif name == "soft_blobs":
        a = 128 + 40 * np.sin(x / 45.0) * np.cos(y / 60.0)
        rgb = np.stack([a, a * 0.9, a * 0.8], -1)
    elif name == "faint_stripes":
        a = 120 + 3 * ((x // 40) % 2)
        rgb = np.stack([a, a, a], -1)
    else:  # checks
        a = 60 + 140 * (((x // 37) + (y // 29)) % 2)
        rgb = np.stack([a, 255 - a, (a + 80) % 256], -1)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The same JPEG (same pixels, byte for byte) with an EXIF APP1 segment naming ``orientation``."""
    assert jpeg[:2] == b"\xff\xd8"
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1,
                                                                                  orientation, 0) + b"\0\0\0\0"
    body = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> list[tuple[Path, str, int]]:
    folder = tmp_path_factory.mktemp("pdqref")
    out = [(image(name), ref, q) for name, ref, q in REFERENCE]
    for name, ref, q in SYNTHETIC:
        path = folder / f"{name}.png"
        Image.fromarray(synth(name)).save(path)
        out.append((path, ref, q))
    refs = {name: (ref, q) for name, ref, q in REFERENCE}
    for name, orientation in EXIF_ROTATED:
        path = folder / f"rot{orientation}-{name}"
        path.write_bytes(with_orientation(image(name).read_bytes(), orientation))
        out.append((path, *refs[name]))
    return out


def test_imgcheck_hash_is_within_10_bits_of_the_reference(cases, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "imgcheck.cli", "hash", "--type", "pdq",
                           *[str(p) for p, _, _ in cases]], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = {r["source"]: r for r in map(json.loads, proc.stdout.splitlines())}
    far, sides = [], []
    for path, ref, ref_q in cases:
        r = got[str(path)]
        if ref_q >= 80 and distance(r["pdq"], ref) > 10:
            far.append((path.name, distance(r["pdq"], ref)))
        if (r["pdq_quality"] >= 50) != (ref_q >= 50) or (r["pdq_quality"] >= 80) != (ref_q >= 80):
            sides.append((path.name, r["pdq_quality"], ref_q))
    assert not far and not sides, (far, sides)
    n_good = sum(1 for _, _, q in cases if q >= 80)
    assert n_good == len(REFERENCE) + 1 + len(EXIF_ROTATED)
    # the tagged photos: the exchange PDQ is the stored pixels' one, and the upright one is printed too
    for name, orientation in EXIF_ROTATED:
        r = next(v for k, v in got.items() if k.endswith(f"rot{orientation}-{name}"))
        assert distance(r["pdq"], r["pdq_upright"]) > 60


def test_exif_rotated_photo_matches_both_ways(cases, tmp_path):
    """A rotated phone photo in the bank matches its untagged copy and exports the reference PDQ of
    its file; a list made by other tools (stored-pixel hashes) catches the rotated upload."""
    from imgcheck import Engine
    from imgcheck.bank.exchange import export_list, import_list
    from imgcheck.hashing.files import hash_file

    rotated = next(p for p, _, _ in cases if p.name == "rot6-obama.jpg")
    plain = image("obama.jpg")
    engine = Engine(bank=tmp_path / "bank.sqlite")
    engine.add_to_bank(rotated, "Rotated Obama", "known_scam")
    for query in (rotated, plain):
        assert engine.check(query, checks=["known_image"]).verdict == "flagged", query
    listing = tmp_path / "list.txt"
    assert export_list(engine.bank.store, listing, "te").written == 1
    exported = listing.read_text().split()[1]
    assert distance(exported, dict((n, r) for n, r, _ in REFERENCE)["obama.jpg"]) == 0
    engine.bank.close()
    # a list made elsewhere (stored-pixel hashes) catches the rotated upload
    other = Engine(bank=tmp_path / "other.sqlite")
    theirs = tmp_path / "theirs.txt"
    theirs.write_text(f"pdq {hash_file(plain, ['pdq']).hashes['pdq']}\n")
    assert import_list(other.bank.store, theirs).added == 1
    report = other.check(rotated, checks=["known_image"])
    # found through the query's 8 orientations (the quarter turn of its 512 px upright copy)
    assert report.verdict == "flagged" and report.matches[0].distance <= other.settings.pdq_radius
    other.bank.close()


def test_decoder_sample_equals_the_full_decode_path(cases, tmp_path):
    """exchange_pdq samples the reference's 512x512 pixels straight from Pillow; the plain path
    (full RGB array, then numpy sampling) must give the same hash, palette and alpha images included."""
    from imgcheck.hashing import views
    from imgcheck.load import load_image

    chelsea = Image.open(image("chelsea.png")).convert("RGB").resize((900, 600))
    chelsea.quantize(64).save(tmp_path / "palette.png")
    rgba = chelsea.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(rgba.size))
    rgba.save(tmp_path / "alpha.png")
    picks = [p for p, _, _ in cases if p.name in ("obama.jpg", "rot6-obama.jpg", "coffee.png", "group_photo_1.jpg",
                                                  "camera.png")]
    for path in picks + [tmp_path / "palette.png", tmp_path / "alpha.png"]:
        img = load_image(path)
        plain = views._PDQ.compute(views.reference_resample(views.stored_pixels(img, None)))
        assert views.exchange_pdq(img) == plain, path.name
