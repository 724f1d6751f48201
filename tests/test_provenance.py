"""ai_provenance: crafted generator files flag with the generator named; camera files and real photos don't.

The crafted files are made by tests/make_provenance_fixtures.py; expected.json beside them says what
each must give.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import numpy as np
from PIL import Image

from imgcheck.provenance import containers, exif, generators, metadata, xmp
from imgcheck.provenance.c2pa_manifest import make_context, summarise
from imgcheck.settings import Settings
from imgcheck.verdict import WEAK_FLAGS

PROV = Path(__file__).parent / "fixtures" / "provenance"
EXPECTED: dict[str, list] = json.loads((PROV / "expected.json").read_text())
#: ../shared/data beside the repository (CI lays it there); a git worktree elsewhere falls back to /work
SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "data", Path("/work/shared/data"))
               if p.is_dir()), Path("/nonexistent"))
#: multipage_rgb.tif is left out: the loader refuses its layout (tests/test_load.py says why)
REAL_FIXTURES = sorted(p for p in (Path(__file__).parent / "fixtures").iterdir()
                       if p.suffix.lower() in (".jpg", ".png", ".gif", ".tif") and p.name != "multipage_rgb.tif")
META_CASES = sorted(k for k, v in EXPECTED.items() if v[0] != "ai_watermark")


@pytest.fixture(scope="module")
def prov_engine():
    from imgcheck import Engine

    return Engine(bank=None)


@pytest.mark.parametrize("name", META_CASES)
def test_crafted_files(prov_engine, name: str) -> None:
    flag, needle = EXPECTED[name]
    report = prov_engine.check(PROV / name, checks=["ai_provenance"])
    ev = report.evidence[0]
    assert ev.status != "error", ev.reason
    if flag:
        assert flag in report.flags, ev.reason
        assert report.verdict == ("suspicious" if flag in WEAK_FLAGS else "flagged")
        assert needle in ev.reason
        assert needle in " ".join(report.reasons)
    else:
        assert report.flags == ()
        assert ev.status == "clear"
        assert "not proof" in ev.reason           # camera evidence is context, never authenticity
        assert needle in ev.reason
    assert report.to_dict()["provenance"] == ev.details["provenance"]


def test_c2pa_untrusted_signer_is_reported(prov_engine) -> None:
    ev = prov_engine.check(PROV / "c2pa_trained.jpg", checks=["ai_provenance"]).evidence[0]
    c2pa = ev.details["c2pa"]
    assert c2pa["trusted"] is False and "not on the configured trust list" in ev.reason
    assert "trainedAlgorithmicMedia" in ev.reason
    assert c2pa["signer"].startswith("Example Imaging signer")
    assert "signingCredential.untrusted" not in c2pa["failures"]      # not on a list is not a failure


@pytest.fixture(scope="module")
def trusting_engine():
    from imgcheck import Engine

    return Engine(bank=None, settings=Settings(c2pa_trust_anchors=PROV / "certs" / "ca.pem"))


def test_c2pa_trusted_with_configured_anchor(trusting_engine) -> None:
    ev = trusting_engine.check(PROV / "c2pa_trained.jpg", checks=["ai_provenance"]).evidence[0]
    assert ev.details["c2pa"]["trusted"] is True and "(trusted)" in ev.reason
    summary = trusting_engine.check(PROV / "c2pa_valid.jpg", checks=["ai_provenance"]).evidence[0].details["provenance"]
    assert summary["validation"] == "trusted" and summary["signer_trusted"] is True and summary["problems"] == []


def _problem_codes(ev) -> list[str]:
    return [p["code"] for p in ev.details["provenance"]["problems"]]


#: fixture -> (credentials, validation outcome, problem codes, history or None), with ca.pem trusted
SUMMARIES = {
    "c2pa_valid.jpg": ("present", "trusted", [], "captured with Example Camera X100"),
    "c2pa_ai_declared.jpg": ("present", "trusted", [], "then edited in Adobe Firefly (declared trainedAlgorithmicMedia)"),
    "c2pa_edited_chain.jpg": ("present", "trusted", [], "captured with Example Phone 5, then cropped in Example Photo "
                                                          "Editor 2.1"),
    "c2pa_pixels_changed.jpg": ("present", "problems", ["assertion.dataHash.mismatch"], "captured with Example Phone 5"),
    "c2pa_expired_cert.jpg": ("present", "problems", ["signingCredential.expired"], "captured with Example Camera X100"),
    "c2pa_malformed_cbor.jpg": ("unreadable", "unreadable", ["claim.cbor.invalid"], None),
    "c2pa_identity_failure.jpg": ("present", "problems", ["cawg.x509.signature.outside_validity"], None),
    "c2pa_untrusted.jpg": ("present", "valid", [], "captured with Unlisted Phone"),
}


@pytest.mark.parametrize("name", sorted(SUMMARIES))
def test_c2pa_summary(trusting_engine, name: str) -> None:
    credentials, outcome, codes, history = SUMMARIES[name]
    ev = trusting_engine.check(PROV / name, checks=["ai_provenance"]).evidence[0]
    summary = ev.details["provenance"]
    assert summary["content_credentials"] == credentials and summary["validation"] == outcome
    assert _problem_codes(ev) == codes
    for code in codes:                                  # every problem is named, with its code, once
        assert ev.reason.count(code) == 1, ev.reason
    if history:
        assert history in summary["history"]
        assert history in ev.reason or "ai_provenance" in ev.flags
    if credentials == "present":
        assert summary["signer"] and summary["claim_generator"]
        assert summary["metadata_present"] is True


def test_outcome_by_kind(trusting_engine) -> None:
    def by_kind(name: str) -> dict[str, str]:
        ev = trusting_engine.check(PROV / name, checks=["ai_provenance"]).evidence[0]
        return {k: v["outcome"] for k, v in ev.details["provenance"]["by_kind"].items()}

    ok = {"content_hash": "ok", "signature": "ok", "certificate": "ok", "identity": "not present", "malformed": "ok"}
    assert by_kind("c2pa_valid.jpg") == ok
    assert by_kind("c2pa_pixels_changed.jpg") == {**ok, "content_hash": "failed"}
    assert by_kind("c2pa_untrusted.jpg") == {**ok, "certificate": "untrusted"}
    assert by_kind("c2pa_expired_cert.jpg")["certificate"] == "failed"
    assert by_kind("c2pa_identity_failure.jpg") == {**ok, "identity": "failed"}
    assert by_kind("c2pa_malformed_cbor.jpg") == {"content_hash": "not checked", "signature": "not checked",
                                                  "certificate": "not checked", "identity": "not checked",
                                                  "malformed": "failed"}


def test_pixels_changed_after_signing_is_its_own_weak_finding(prov_engine) -> None:
    report = prov_engine.check(PROV / "c2pa_pixels_changed.jpg", checks=["ai_provenance"])
    ev = report.evidence[0]
    assert report.flags == ("provenance_broken",) and report.verdict == "suspicious"
    assert ev.reason.startswith("Content Credentials: this photo was edited after it was signed")
    assert "assertion.dataHash.mismatch" in ev.reason and "captured with Example Phone 5" in ev.reason
    assert "AI" not in ev.reason and "generat" not in ev.reason
    problem = ev.details["provenance"]["problems"][0]
    assert problem["kind"] == "content_hash" and problem["failure"] is True


def test_signature_mismatch_is_broken(prov_engine) -> None:
    data = bytearray((PROV / "c2pa_valid.jpg").read_bytes())
    data[data.index(b"cbor", data.index(b"c2pa.signature")) + 34] ^= 0xFF    # inside the COSE signature
    report = prov_engine.check(bytes(data), checks=["ai_provenance"])
    ev = report.evidence[0]
    assert report.flags == ("provenance_broken",), ev.reason
    assert "edited after it was signed" in ev.reason and "signature does not validate (claimSignature.mismatch)" \
        in ev.reason


def test_c2pa_tampered_ai_file_flags_both(prov_engine) -> None:
    data = bytearray((PROV / "c2pa_trained.jpg").read_bytes())
    data[-200] ^= 0x55                                  # inside the entropy-coded data, after the manifest
    report = prov_engine.check(bytes(data), checks=["ai_provenance"])
    ev = report.evidence[0]
    assert report.flags == ("ai_provenance", "provenance_broken") and report.verdict == "flagged"
    assert ev.details["c2pa"]["validation_state"] == "Invalid"
    assert ev.reason.startswith("AI-generation metadata: made with Example Diffusion XL")
    assert "edited after it was signed" in ev.reason and "assertion.dataHash.mismatch" in ev.reason


def test_identity_failure_is_not_a_signature_failure(prov_engine) -> None:
    report = prov_engine.check(PROV / "c2pa_identity_failure.jpg", checks=["ai_provenance"])
    ev = report.evidence[0]
    assert report.flags == () and ev.status == "clear"
    assert "identity assertion (CAWG) does not validate" in ev.reason
    assert "cawg.x509.signature.outside_validity" in ev.reason
    assert "signature does not validate" not in ev.reason and "NOT validate" not in ev.reason
    assert "signingCredential.untrusted" not in ev.reason    # a trust state, worded, not listed as a failure
    kinds = {p["kind"] for p in ev.details["provenance"]["problems"]}
    assert kinds == {"identity"}


def test_untrusted_signer_is_not_a_failure(trusting_engine) -> None:
    ev = trusting_engine.check(PROV / "c2pa_untrusted.jpg", checks=["ai_provenance"]).evidence[0]
    summary = ev.details["provenance"]
    assert ev.status == "clear" and summary["problems"] == [] and summary["signer_trusted"] is False
    assert [s["code"] for s in summary["trust_states"]] == ["signingCredential.untrusted"]
    assert "Unlisted Apps signer" in ev.reason and "(not on the configured trust list)" in ev.reason


def test_ai_agent_named_before_the_editor_that_opened_the_file(prov_engine) -> None:
    ev = prov_engine.check(PROV / "c2pa_ai_declared.jpg", checks=["ai_provenance"]).evidence[0]
    assert ev.reason.startswith("AI-generation metadata: made with Adobe Firefly"), ev.reason
    assert ev.details["findings"][0]["where"] == "C2PA manifest action 'c2pa.edited'"
    assert ev.details["provenance"]["ai_declared"] is True


def test_clear_wording_separates_no_metadata_from_credentials(prov_engine) -> None:
    bare = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 40)).save(bare, "PNG")
    ev = prov_engine.check(bare.getvalue(), checks=["ai_provenance"]).evidence[0]
    assert ev.status == "clear" and ev.reason.startswith("No metadata at all")
    assert ev.details["provenance"]["metadata_present"] is False
    assert ev.details["provenance"]["content_credentials"] == "absent"
    ev = prov_engine.check(PROV / "c2pa_valid.jpg", checks=["ai_provenance"]).evidence[0]
    assert ev.reason.startswith("Content Credentials present, no AI declared")


def test_malformed_manifest_is_named(prov_engine) -> None:
    ev = prov_engine.check(PROV / "c2pa_malformed_cbor.jpg", checks=["ai_provenance"]).evidence[0]
    assert ev.status == "clear" and "cannot be read" in ev.reason and "claim.cbor.invalid" in ev.reason


def test_an_ingredients_old_failure_is_not_this_files() -> None:
    store = {"active_manifest": "m", "manifests": {"m": {"signature_info": {"common_name": "S"}}},
             "validation_state": "Valid", "validation_results": {
                 "activeManifest": {"failure": [{"code": "signingCredential.untrusted"}]},
                 "ingredientDeltas": [{"validationDeltas": {"failure": [{"code": "assertion.dataHash.mismatch"},
                                                                         {"code": "signingCredential.untrusted"}]}}]}}
    s = summarise(store)
    assert [p.code for p in s.problems] == ["assertion.dataHash.mismatch"] and s.problems[0].ingredient
    assert s.broken == () and "in an earlier manifest" in s.problems[0].text()
    assert [x.code for x in s.statuses].count("signingCredential.untrusted") == 1


def test_provenance_broken_is_weak() -> None:
    from imgcheck import verdict

    assert verdict.decide(["provenance_broken"]) == "suspicious"
    assert verdict.decide(["provenance_broken", "ai_provenance"]) == "flagged"
    assert "provenance_broken" in verdict.FLAG_ORDER


def test_history_words() -> None:
    from imgcheck.provenance.c2pa_manifest import C2paAction, C2paManifestInfo, history_text

    cam = C2paManifestInfo("a", "Cam App", "", (C2paAction("c2pa.created", "digitalCapture", "Phone 5", "a"),))
    ed = C2paManifestInfo("b", "Editor", "", (C2paAction("c2pa.opened", "", "Editor 1", "b"),
                                               C2paAction("c2pa.cropped", "", "Editor 1", "b"),
                                               C2paAction("c2pa.color_adjustments", "", "", "b", "Editor")))
    assert history_text((cam, ed)) == "captured with Phone 5, then cropped in Editor 1, then colour-adjusted in Editor"
    assert history_text(()) == ""


def test_c2pa_capture_is_context_only(prov_engine) -> None:
    ev = prov_engine.check(PROV / "c2pa_capture.jpg", checks=["ai_provenance"]).evidence[0]
    assert ev.status == "clear" and "c2pa_capture" in ev.details["camera_context"]
    assert ev.details["digital_source_types"] == ["digitalCapture"]


@pytest.mark.parametrize("path", REAL_FIXTURES, ids=lambda p: p.name)
def test_real_fixture_photos_not_flagged(prov_engine, path: Path) -> None:
    report = prov_engine.check(path, checks=["ai_provenance"])
    assert report.flags == () and report.evidence[0].status == "clear"


def test_shared_photos_not_flagged(prov_engine) -> None:
    assert SHARED.is_dir(), "../shared/data must lie beside the repository (CI lays it there)"
    photos = sorted(p for p in SHARED.iterdir() if p.suffix.lower() in (".jpg", ".png", ".gif", ".tif"))
    assert photos
    for p in photos:
        report = prov_engine.check(p, checks=["ai_provenance", "ai_watermark"])
        assert report.flags == (), (p.name, report.reasons)
        assert all(e.status != "error" for e in report.evidence), (p.name, report.evidence)


# -- rules -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("where,key,value,generator", [
    ("EXIF", "Software", "Adobe Firefly Image 3", "Adobe Firefly"),
    ("PNG tEXt", "Software", "DALL·E 3", "DALL-E"),
    ("XMP", "CreatorTool", "Leonardo.Ai", "Leonardo.Ai"),
    ("PNG tEXt", "parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512", "AUTOMATIC1111"),
    ("PNG tEXt", "prompt", json.dumps({"1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.sft"}}}),
     "ComfyUI"),
    ("PNG tEXt", "sui_image_params", "{}", "SwarmUI"),
    ("PNG tEXt", "Dream", '"a cat" -s 50 -S 42', "InvokeAI"),
    ("XMP", "Credit", "Made with Google AI", "Google AI"),
    ("EXIF", "ImageDescription", "a woman --ar 4:5 --v 6.1 --stylize 250", "Midjourney"),
    ("XMP", "description", json.dumps({"c": "a cat", "seed": 1, "steps": 8, "sampler": "DPM++ 2M", "scale": 5}),
     "an image generator"),
])
def test_generator_rules(where, key, value, generator) -> None:
    found = generators.analyse_field(where, key, value)
    assert found and generator in found[0].generator


@pytest.mark.parametrize("key,value", [
    ("Software", "Adobe Photoshop 25.0 (Windows)"),
    ("Software", "GIMP 2.10.34"),
    ("Make", "Apple"), ("Model", "iPhone 15 Pro"), ("Model", "Pixel 8"),
    ("Credit", "Sora Tanaka / Reuters"),             # a person's name that is also a generator's
    ("Source", "Reve Photography"),
    ("ImageDescription", "Not made with Midjourney, a real photo of me in Paris"),
    ("UserComment", "Steps: the stairs at the beach"),
    ("prompt", "be yourself"),
    ("Comment", '{"uc": 1}'),
])
def test_rules_do_not_fire_on_ordinary_metadata(key, value) -> None:
    assert generators.analyse_field("EXIF", key, value) == []


def test_source_type_takes_the_generator_name_from_other_fields() -> None:
    packet = (b'<x:xmpmeta><rdf:RDF><rdf:Description Iptc4xmpExt:DigitalSourceType='
              b'"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia">'
              b'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a red fox --ar 4:5 --v 7 Job ID: '
              b'0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0</rdf:li></rdf:Alt></dc:description>'
              b'</rdf:Description></rdf:RDF></x:xmpmeta>')
    jpeg = b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(packet) + 31) + b"http://ns.adobe.com/xap/1.0/\x00" + packet
    result = metadata.analyse(jpeg + b"\xff\xd9", "JPEG", None)
    assert result.findings[0].rule == "iptc_trainedAlgorithmicMedia"
    assert {f.generator for f in result.findings} == {"Midjourney"}


def test_generation_parameters_as_separate_keys() -> None:
    from imgcheck.provenance.containers import TextField

    keys = {"prompt": "a dog", "seed": "7", "num_inference_steps": "25", "guidance_scale": "7.5",
            "use_stable_diffusion_model": "sd-v1-5"}
    found = generators.analyse_texts([TextField("PNG tEXt", k, v) for k, v in keys.items()])
    assert found and found[0].generator == "Easy Diffusion" and found[0].model == "sd-v1-5"
    assert generators.analyse_texts([TextField("PNG tEXt", "seed", "1"), TextField("PNG tEXt", "Title", "x")]) == []


def test_xmp_forms_and_entities() -> None:
    packet = ('<x:xmpmeta><rdf:RDF><rdf:Description Iptc4xmpExt:DigitalSourceType='
              '"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia" xmp:CreatorTool="A &amp; B">'
              '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">hello</rdf:li></rdf:Alt></dc:description>'
              '<Iptc4xmpExt:AISystemUsed>Test&#32;Model</Iptc4xmpExt:AISystemUsed>'
              '</rdf:Description></rdf:RDF></x:xmpmeta>')
    f = xmp.read_fields(packet)
    assert xmp.source_type_name(f["DigitalSourceType"][0]) == "trainedAlgorithmicMedia"
    assert f["CreatorTool"] == ["A & B"] and f["description"] == ["hello"] and f["AISystemUsed"] == ["Test Model"]


def test_user_comment_byte_orders() -> None:
    text = "Steps: 20, Sampler: Euler"
    for enc, end in (("utf-16-be", ">"), ("utf-16-le", "<"), ("utf-16-be", "<")):
        assert exif.decode_user_comment(b"UNICODE\x00" + text.encode(enc), end) == text
    assert exif.decode_user_comment(b"ASCII\x00\x00\x00" + text.encode()) == text


def test_c2pa_summary_tolerates_odd_json() -> None:
    s = summarise({"active_manifest": "m", "manifests": {"m": {"assertions": [
        {"label": "c2pa.actions", "data": {"actions": [None, {"action": "c2pa.created", "parameters": {
            "digitalSourceType": "https://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"}}]}},
        {"label": "c2pa.actions.v2", "data": "bogus"}]}, "x": None}, "validation_state": "Valid"})
    assert [a.source_type for a in s.ai_actions] == ["algorithmicMedia"] and not s.trusted
    assert summarise({"manifests": []}).actions == ()
    lib_only = summarise({"active_manifest": "m", "manifests": {"m": {
        "claim_generator": "Adobe_Firefly/0.1.0 c2pa-rs/0.25.2",
        "claim_generator_info": [{"name": "c2pa-rs", "version": "0.91.3"}]}}})
    assert lib_only.claim_generators == ("Adobe_Firefly/0.1.0 c2pa-rs/0.25.2",)


# -- robustness: malformed or huge metadata never raises and stays bounded ----------------------
def _png_with(chunks: list[tuple[bytes, bytes]]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    data = buf.getvalue()
    extra = b"".join(struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b)) for t, b in chunks)
    return data[:33] + extra + data[33:]


def test_decompression_bomb_text_chunk_is_capped() -> None:
    bomb = zlib.compress(b"A" * (64 << 20), 9)                  # 64 MB of text in ~64 KB
    blocks = containers.extract(_png_with([(b"zTXt", b"parameters\x00\x00" + bomb)] * 3), "PNG")
    assert sum(len(t.value) for t in blocks.texts) <= containers.MAX_TOTAL_TEXT
    assert all(len(t.value) <= containers.MAX_TEXT_BYTES for t in blocks.texts)


def test_truncated_and_lying_structures() -> None:
    png = _png_with([(b"tEXt", b"parameters\x00Steps: 20, Sampler: Euler")])
    for cut in (10, 40, 60, len(png) - 5):
        metadata.analyse(png[:cut], "PNG", None)
    lying_len = png[:33] + struct.pack(">I", 0xFFFFFFF0) + b"tEXt" + b"abc"
    metadata.analyse(lying_len, "PNG", None)
    jpeg = b"\xff\xd8\xff\xe1\xff\xffExif\x00\x00MM\x00*\x00\x00\x00\x08"
    metadata.analyse(jpeg, "JPEG", None)
    bad_ifd = b"MM\x00*\x00\x00\x00\x08" + b"\xff\xff" + b"\x01\x0e\x00\x02\x7f\xff\xff\xff\xff\xff\xff\xf0" * 4
    assert exif.read_fields(bad_ifd) == ({}, None)
    loop = b"II*\x00\x08\x00\x00\x00" + b"\x01\x00" + struct.pack("<HHII", 0x8769, 4, 1, 8)
    assert exif.read_fields(loop) == ({}, None)
    riff = b"RIFF\x00\x00\x00\x00WEBPEXIF" + struct.pack("<I", 0xFFFFFFFF) + b"Exif\x00\x00II*\x00"
    metadata.analyse(riff, "WEBP", None)


@pytest.mark.slow  # a timing assert: kept out of the default run
def test_xmp_regex_is_linear_on_hostile_packets() -> None:
    import time

    hostile = "<x:xmpmeta>" + "<a:DigitalSourceType " * 20000 + "Iptc4xmpExt:CreatorTool=\"" * 2000
    t = time.perf_counter()
    xmp.read_fields(hostile)
    assert time.perf_counter() - t < 5  # generous: a backtracking blow-up takes minutes, not seconds


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["JPEG", "PNG", "WEBP", "TIFF", "HEIF", "GIF"]))
def test_random_bytes_never_raise(blob: bytes, fmt: str) -> None:
    heads = {"JPEG": b"\xff\xd8", "PNG": b"\x89PNG\r\n\x1a\n", "WEBP": b"RIFF\x00\x00\x00\x00WEBP", "TIFF": b"II*\x00"}
    result = metadata.analyse(heads.get(fmt, b"") + blob, fmt, None)
    assert isinstance(result.findings, tuple)


def test_c2pa_garbage_is_not_a_finding() -> None:
    data = b"\xff\xd8\xff\xeb\x00\x20JP\x00\x00jumbc2pa" + b"\x00" * 20 + b"\xff\xd9"
    result = metadata.analyse(data, "JPEG", make_context())
    assert not result.ai


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_signer_certificate_has_required_usages() -> None:
    out = subprocess.run(["openssl", "x509", "-in", str(PROV / "certs" / "signer.pem"), "-noout", "-text"],
                         capture_output=True, text=True, check=True).stdout
    assert "Digital Signature" in out and "E-mail Protection" in out


# -- stealth pnginfo (parameters in the pixels' low bits), written by our own encoder ----------------
def stealth_encode(rgb: np.ndarray, text: str, variant: str, compressed: bool, order: str = "columns") -> np.ndarray:
    """Hide ``text`` the way the stealth-pnginfo writers do: signature, 32-bit length in bits, payload."""
    import gzip

    sig = {("alpha", False): b"stealth_pnginfo", ("alpha", True): b"stealth_pngcomp",
           ("rgb", False): b"stealth_rgbinfo", ("rgb", True): b"stealth_rgbcomp"}[(variant, compressed)]
    payload = gzip.compress(text.encode()) if compressed else text.encode()
    bits = np.unpackbits(np.frombuffer(sig + struct.pack(">I", len(payload) * 8) + payload, np.uint8))
    h, w = rgb.shape[:2]
    out = np.dstack([rgb[:, :, :3], np.full((h, w), 255, np.uint8)]) if variant == "alpha" else rgb[:, :, :3].copy()
    planes = out[:, :, 3:4] if variant == "alpha" else out[:, :, :3]
    view = planes.transpose(1, 0, 2) if order == "columns" else planes
    flat = view.reshape(-1).copy()
    assert len(bits) <= len(flat)
    flat[: len(bits)] = (flat[: len(bits)] & 0xFE) | bits
    view[...] = flat.reshape(view.shape)
    return np.ascontiguousarray(out)


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    return np.asarray(Image.open(Path(__file__).parent / "fixtures" / "astronaut.png").convert("RGB"))


@pytest.mark.parametrize("variant,compressed", [("alpha", False), ("alpha", True), ("rgb", False), ("rgb", True)])
def test_stealth_pnginfo_flags_like_a_text_chunk(prov_engine, portrait, variant, compressed) -> None:
    data = _png(stealth_encode(portrait, A1111_PARAMS, variant, compressed))
    report = prov_engine.check(data, checks=["ai_provenance"])
    ev = report.evidence[0]
    assert report.flags == ("ai_provenance",) and report.verdict == "flagged"
    assert "AUTOMATIC1111" in ev.reason and "stealth pnginfo" in ev.reason and variant in ev.reason
    assert ("gzip" in ev.reason) == compressed
    assert ev.details["findings"][0]["model"] == "realisticVisionV51_v51VAE"
    # a lossless re-save (another PNG encoder setting) keeps the bits
    resaved = io.BytesIO()
    Image.open(io.BytesIO(data)).save(resaved, "PNG", optimize=True, compress_level=9)
    assert prov_engine.check(resaved.getvalue(), checks=["ai_provenance"]).flags == ("ai_provenance",)


def test_stealth_novelai_json_and_row_order(prov_engine, portrait) -> None:
    nai = json.dumps({"Software": "NovelAI", "Source": "NovelAI Diffusion V3 C1E7DB6C", "Comment": json.dumps(
        {"prompt": "1girl", "steps": 28, "sampler": "k_euler", "uc": "lowres"})})
    ev = prov_engine.check(_png(stealth_encode(portrait, nai, "alpha", True)), checks=["ai_provenance"]).evidence[0]
    assert ev.status == "flag" and "NovelAI" in ev.reason
    rows = _png(stealth_encode(portrait, A1111_PARAMS, "rgb", False, order="rows"))
    assert prov_engine.check(rows, checks=["ai_provenance"]).flags == ("ai_provenance",)


def test_stealth_reader_on_clean_and_damaged_pixels(portrait) -> None:
    from imgcheck.provenance import stealth

    rgba = np.dstack([portrait, np.full(portrait.shape[:2], 255, np.uint8)])
    assert stealth.read(_png(rgba)) == ([], [])
    assert stealth.read(_png(portrait)) == ([], [])
    noise = np.random.default_rng(0).integers(0, 256, (300, 300, 4), dtype=np.uint8)
    assert stealth.read(_png(noise)) == ([], [])
    # a real signature with a lying length, and a damaged gzip stream: a note, no finding, no exception
    liar = stealth_encode(portrait, "x" * 40, "alpha", False)
    flat = liar[:, :, 3].T.reshape(-1).copy()
    flat[120:152] = (flat[120:152] & 0xFE) | 1                      # length = 2^32 - 1 bits
    liar[:, :, 3] = flat.reshape(liar.shape[1], liar.shape[0]).T
    fields, notes = stealth.read(_png(liar))
    assert fields == [] and "length" in notes[0]
    broken = stealth_encode(portrait, A1111_PARAMS, "rgb", True)
    flat = broken.transpose(1, 0, 2).reshape(-1).copy()
    flat[200:260] ^= 1                                              # inside the gzip header/stream
    broken = np.ascontiguousarray(flat.reshape(broken.shape[1], broken.shape[0], 3).transpose(1, 0, 2))
    fields, notes = stealth.read(_png(broken))
    assert fields == [] and "gzip" in notes[0]
    # a plain text payload that is not generator metadata reads as text but flags nothing
    plain = _png(stealth_encode(portrait, "hello, this is my holiday photo", "alpha", False))
    fields, _ = stealth.read(plain)
    assert [f.value for f in fields] == ["hello, this is my holiday photo"]
    assert not metadata.analyse(plain, "PNG", None).ai


A1111_PARAMS = ("portrait photo of a woman, natural light\nNegative prompt: blurry\nSteps: 28, Sampler: DPM++ 2M Karras, "
                "CFG scale: 6, Seed: 12345, Size: 512x512, Model hash: 15012c538f, Model: realisticVisionV51_v51VAE")


# -- the app's provenance card -----------------------------------------------------------------------
def test_app_renders_the_provenance_card(prov_engine) -> None:
    from imgcheck.app import render

    chain = render.report_html(prov_engine.check(PROV / "c2pa_edited_chain.jpg", checks=["ai_provenance"]).to_dict())
    assert 'data-credentials="present"' in chain and "Content Credentials present, no AI declared" in chain
    assert "Captured with Example Phone 5, then cropped in Example Photo Editor 2.1" in chain
    assert "Example Imaging signer" in chain and "not on the configured trust list" in chain
    broken = render.report_html(prov_engine.check(PROV / "c2pa_pixels_changed.jpg", checks=["ai_provenance"]).to_dict())
    assert "ic-prov-broken" in broken and 'data-code="assertion.dataHash.mismatch"' in broken
    assert "Pixels changed after signing" in broken and "no AI declared: edited after it was signed" in broken
    assert "content hash failed · signature ok" in broken
    ident = render.report_html(prov_engine.check(PROV / "c2pa_identity_failure.jpg", checks=["ai_provenance"]).to_dict())
    assert '<b><span class="ic-t" lang="en">Identity assertion</span>' in ident and "ic-prov-broken" not in ident
    # the card speaks both languages (the page shows the chosen one)
    assert "Assertion d'identité" in ident and "D'où le fichier dit venir" in ident
    bare = io.BytesIO()
    Image.new("RGB", (64, 64)).save(bare, "PNG")
    assert "No metadata at all in this file" in render.report_html(
        prov_engine.check(bare.getvalue(), checks=["ai_provenance"]).to_dict())
    # text from the file is escaped
    hostile = {"content_credentials": "present", "signer": "<script>x</script>", "history": "<b>", "problems": []}
    card = render.provenance_card(hostile)
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert render.provenance_card(None) == ""


def test_ai_file_with_identity_failure_names_it_as_such() -> None:
    store = {"active_manifest": "m", "validation_state": "Valid", "manifests": {"m": {
        "signature_info": {"common_name": "Gen signer"}, "claim_generator_info": [{"name": "Adobe Photoshop"}],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [
            {"action": "c2pa.opened", "softwareAgent": {"name": "Adobe Photoshop 26.0"},
             "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"},
            {"action": "c2pa.placed", "softwareAgent": "Adobe Firefly",
             "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]}}]}},
        "validation_results": {"activeManifest": {"failure": [
            {"code": "signingCredential.untrusted"}, {"code": "signingCredential.untrusted"},
            {"code": "cawg.ica.did_unavailable", "explanation": "Unable to resolve issuer DID"}]}}}
    s = summarise(store)
    assert s.broken == () and [p.code for p in s.problems] == ["cawg.ica.did_unavailable"]
    text = s.signer_text()
    assert "identity assertion (CAWG) does not validate: Unable to resolve issuer DID (cawg.ica.did_unavailable)" \
        in text and "signature does not validate" not in text and text.count("trust list") == 1
    findings = metadata._c2pa_findings(s)
    assert findings[0].generator.startswith("Adobe Firefly") and findings[0].where.endswith("'c2pa.placed'")


def test_reader_refusals_are_named_and_never_broken() -> None:
    from imgcheck.provenance.c2pa_manifest import C2paSummary, reader_error_status

    for msg in ("Signature: could not generate a trusted time stamp", "Verify: unexpected end of file",
                "Decoding: could not decode assertion c2pa.actions.v2 (version 2, content type application/cbor)"):
        st = reader_error_status(msg)
        s = C2paSummary(present=True, readable=False, error=msg, statuses=(st,))
        assert st.kind == "malformed" and s.broken == () and msg in st.text()
    assert reader_error_status("Decoding: could not decode assertion x: cbor").code == "assertion.cbor.invalid"
    assert reader_error_status("Verify: unexpected end of file").text().startswith("the reader refused the manifest")


def test_credentials_reasons_have_message_ids(prov_engine) -> None:
    from imgcheck.i18n import reason_text

    for name, code in (("c2pa_pixels_changed.jpg", "ai_provenance.broken"), ("c2pa_valid.jpg", "ai_provenance.credentials"),
                       ("c2pa_malformed_cbor.jpg", "ai_provenance.credentials_unreadable")):
        ev = prov_engine.check(PROV / name, checks=["ai_provenance"]).evidence[0].to_dict()
        assert ev["code"] == code and reason_text(ev) == ev["reason"]
        french = reason_text(ev, "fr")
        assert french != ev["reason"] and "Content Credentials" in french
    ev = prov_engine.check(PROV / "c2pa_pixels_changed.jpg", checks=["ai_provenance"]).evidence[0].to_dict()
    assert "modifiée après sa signature" in reason_text(ev, "fr") and "assertion.dataHash.mismatch" in reason_text(ev, "fr")
