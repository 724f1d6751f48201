"""Make the crafted provenance test files in tests/fixtures/provenance/ (committed; rerun to rebuild).

    python tests/make_provenance_fixtures.py            # everything the current venv can make

Metadata cases need only the project venv (Pillow, c2pa-python, cryptography; the test keys and
certificates are generated here, see ``make_certs``). The watermark cases
need the reference encoder (``pip install invisible-watermark torch==2.13.0``, e.g. in a tools venv);
without it they are left as they are. Pixels come from public-domain/CC0 test photos in
tests/fixtures (see SOURCES.md); the metadata is written the way each generator writes it.
"""

from __future__ import annotations

import io
import json
import datetime as dt
import struct
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures"
OUT = FIX / "provenance"
CERTS = OUT / "certs"
IPTC_DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"

#: expected outcome of every file: (flag or None, substring the reason must contain)
EXPECTED: dict[str, tuple[str | None, str]] = {}


def photo(name: str, side: int = 320) -> Image.Image:
    im = Image.open(FIX / name).convert("RGB")
    w, h = im.size
    s = min(w, h)
    im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    return im.resize((side, side), Image.Resampling.LANCZOS)


def png_bytes(im: Image.Image, chunks: list[tuple[bytes, bytes]]) -> bytes:
    """PNG with extra chunks inserted right after IHDR (as generators write them)."""
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    data = buf.getvalue()
    ihdr_end = 8 + 8 + 13 + 4
    extra = b"".join(struct.pack(">I", len(body)) + ctype + body +
                     struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF) for ctype, body in chunks)
    return data[:ihdr_end] + extra + data[ihdr_end:]


def text(key: str, value: str) -> tuple[bytes, bytes]:
    return b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1", errors="replace")


def itxt(key: str, value: str, compress: bool = False) -> tuple[bytes, bytes]:
    body = value.encode("utf-8")
    if compress:
        body = zlib.compress(body)
    return b"iTXt", key.encode("latin-1") + b"\x00" + bytes([1 if compress else 0, 0]) + b"\x00\x00" + body


def jpeg_bytes(im: Image.Image, segments: list[tuple[int, bytes]] = (), exif: bytes | None = None,
               quality: int = 90) -> bytes:
    """JPEG with APPn/COM segments inserted after SOI."""
    buf = io.BytesIO()
    kw = {"exif": exif} if exif else {}
    im.save(buf, "JPEG", quality=quality, **kw)
    data = buf.getvalue()
    extra = b"".join(b"\xff" + bytes([m]) + struct.pack(">H", len(body) + 2) + body for m, body in segments)
    return data[:2] + extra + data[2:]


def xmp_packet(props: dict[str, str], alt: dict[str, str] | None = None) -> bytes:
    attrs = "\n   ".join(f'{k}="{v}"' for k, v in props.items())
    alts = "".join(f"<{k}><rdf:Alt><rdf:li xml:lang=\"x-default\">{v}</rdf:li></rdf:Alt></{k}>"
                   for k, v in (alt or {}).items())
    return (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
            f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n   {attrs}>{alts}</rdf:Description>'
            f'</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>').encode()


def exif_bytes(ifd0: dict[int, object], exif_ifd: dict[int, object] | None = None) -> bytes:
    ex = Image.Exif()
    for k, v in ifd0.items():
        ex[k] = v
    if exif_ifd:
        sub = ex.get_ifd(0x8769)
        for k, v in exif_ifd.items():
            sub[k] = v
    return ex.tobytes()


def user_comment(value: str, order: str = "be") -> bytes:
    return b"UNICODE\x00" + value.encode("utf-16-be" if order == "be" else "utf-16-le")


def write(name: str, data: bytes, flag: str | None, needle: str) -> None:
    (OUT / name).write_bytes(data)
    EXPECTED[name] = (flag, needle)


A1111 = ("photo of a young woman smiling at a cafe, natural light, 85mm\nNegative prompt: cartoon, blurry\n"
         "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234567890, Size: 512x640, "
         "Model hash: 15012c538f, Model: realisticVisionV51_v51VAE, Version: v1.7.0")


def metadata_cases() -> None:
    # PNG: AUTOMATIC1111 "parameters"
    write("a1111.png", png_bytes(photo("astronaut.png"), [text("parameters", A1111)]), "ai_provenance", "AUTOMATIC1111")
    # PNG: ComfyUI API prompt + UI workflow
    prompt = {"4": {"inputs": {"ckpt_name": "juggernautXL_v9.safetensors"}, "class_type": "CheckpointLoaderSimple"},
              "6": {"inputs": {"text": "portrait photo of a man", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
              "3": {"inputs": {"seed": 42, "steps": 25, "model": ["4", 0]}, "class_type": "KSampler"}}
    workflow = {"last_node_id": 9, "nodes": [{"id": 4, "type": "CheckpointLoaderSimple"}], "links": [], "version": 0.4}
    write("comfyui.png", png_bytes(photo("chelsea.png"), [text("prompt", json.dumps(prompt)),
                                                           text("workflow", json.dumps(workflow))]),
          "ai_provenance", "ComfyUI")
    # PNG: NovelAI (Title, Description, Software, Source, Comment)
    nai_comment = {"prompt": "1girl, portrait", "steps": 28, "height": 320, "width": 320, "scale": 5.0,
                   "uncond_scale": 1.0, "cfg_rescale": 0.0, "seed": 3163525561, "n_samples": 1,
                   "sampler": "k_euler_ancestral", "uc": "lowres, bad anatomy", "request_type": "PromptGenerateRequest"}
    write("novelai.png", png_bytes(photo("coffee.png"), [
        text("Title", "NovelAI generated image"), text("Description", "1girl, portrait"),
        text("Software", "NovelAI"), text("Source", "NovelAI Diffusion V3 C1E7DB6C"),
        text("Comment", json.dumps(nai_comment))]), "ai_provenance", "NovelAI")
    # PNG: InvokeAI (compressed iTXt), Fooocus, Midjourney
    invoke = {"generation_mode": "txt2img", "positive_prompt": "a portrait", "model":
              {"name": "stable-diffusion-v1-5", "base": "sd-1"}, "steps": 30, "seed": 7}
    write("invokeai.png", png_bytes(photo("rocket.jpg"), [itxt("invokeai_metadata", json.dumps(invoke), True)]),
          "ai_provenance", "InvokeAI")
    fooocus = {"prompt": "a woman at the beach", "base_model": "juggernautXL_v8Rundiffusion.safetensors",
               "performance": "Speed", "version": "Fooocus v2.5.5"}
    write("fooocus.png", png_bytes(photo("astronaut.png"), [text("parameters", json.dumps(fooocus)),
                                                            text("fooocus_scheme", "fooocus")]),
          "ai_provenance", "Fooocus")
    write("midjourney.png", png_bytes(photo("chelsea.png"), [
        itxt("Description", "portrait of a woman in a red dress --ar 4:5 --v 6.1 "
             "Job ID: 5f0a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"), text("Author", "someone")]), "ai_provenance", "Midjourney")
    # JPEG: IPTC XMP DigitalSourceType (no tool named), and with the IPTC 2025.1 AI fields
    write("iptc_xmp.jpg", jpeg_bytes(photo("grace_hopper.jpg"), [(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(
        {"Iptc4xmpExt:DigitalSourceType": IPTC_DST + "trainedAlgorithmicMedia"}))]), "ai_provenance",
        "trainedAlgorithmicMedia")
    write("iptc_ai_system.jpg", jpeg_bytes(photo("obama.jpg"), [(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(
        {"Iptc4xmpExt:DigitalSourceType": IPTC_DST + "compositeWithTrainedAlgorithmicMedia",
         "Iptc4xmpExt:AISystemUsed": "Imagen", "Iptc4xmpExt:AISystemVersionUsed": "3",
         "xmp:CreatorTool": "Google Pixel Magic Editor"}, {"photoshop:Credit": "Made with Google AI"}))]),
        "ai_provenance", "Imagen")
    # JPEG: AUTOMATIC1111 EXIF UserComment (piexif layout: big-endian TIFF, UTF-16BE)
    write("a1111_usercomment.jpg", jpeg_bytes(photo("biden.jpg"), exif=exif_bytes({}, {0x9286: user_comment(A1111)})),
          "ai_provenance", "AUTOMATIC1111")
    # WebP: A1111-style UserComment (little-endian) and ComfyUI's "workflow:"/"prompt:" EXIF Make/Model
    buf = io.BytesIO()
    photo("coffee.png").save(buf, "WEBP", quality=90, exif=exif_bytes({}, {0x9286: user_comment(
        A1111.replace("Version: v1.7.0", "Version: f2.0.1v1.10.1-previous-224"), "le")}))
    write("forge_usercomment.webp", buf.getvalue(), "ai_provenance", "Forge")
    buf = io.BytesIO()
    photo("rocket.jpg").save(buf, "WEBP", quality=90, exif=exif_bytes(
        {0x010F: "workflow:" + json.dumps(workflow), 0x0110: "prompt:" + json.dumps(prompt)}))
    write("comfyui.webp", buf.getvalue(), "ai_provenance", "ComfyUI")
    # JPEG: generator named in EXIF Software
    write("software_midjourney.jpg", jpeg_bytes(photo("obama2.jpg"), exif=exif_bytes({0x0131: "Midjourney v6"})),
          "ai_provenance", "Midjourney")
    # camera photo: EXIF make/model, Lightroom as software, a caption that mentions an AI tool: no flag
    write("camera.jpg", jpeg_bytes(photo("obama3.jpg"), exif=exif_bytes(
        {0x010F: "Canon", 0x0110: "Canon EOS 5D Mark IV", 0x0131: "Adobe Photoshop Lightroom Classic 13.1",
         0x010E: "Me at the park. Not made with Midjourney or Stable Diffusion!"},
        {0x9003: "2023:05:01 10:11:12", 0xA434: "EF24-70mm f/2.8L II USM"})), None, "Canon EOS 5D Mark IV")
    write("camera_xmp_capture.jpg", jpeg_bytes(photo("grace_hopper.jpg"), [(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" +
          xmp_packet({"Iptc4xmpExt:DigitalSourceType": IPTC_DST + "digitalCapture", "tiff:Make": "NIKON CORPORATION",
                      "tiff:Model": "NIKON Z 6"}))]), None, "digitalCapture")


def _name(cn: str, org: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def _pem(obj) -> bytes:
    from cryptography.hazmat.primitives import serialization

    if hasattr(obj, "public_bytes") and not hasattr(obj, "private_bytes"):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(cn: str):
    """A self-signed test root (P-256), valid 2020-2045."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(cn, "imgcheck tests")
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
            .not_valid_after(dt.datetime(2045, 1, 1, tzinfo=dt.timezone.utc))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_signer(cn: str, org: str, ca_key, ca_cert, not_after: dt.datetime | None = None):
    """An end-entity signing certificate as C2PA wants it: digitalSignature, emailProtection EKU, not a CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(cn, org)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(not_after or dt.datetime(2044, 1, 1, tzinfo=dt.timezone.utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


@dataclass(frozen=True)
class TestSigner:
    chain: bytes        # PEM: end entity, then the CA
    key: bytes          # PEM PKCS#8


def make_certs() -> tuple[TestSigner, TestSigner, tuple]:
    """Test CAs and signers (written to certs/, so the tests can configure the trust anchor).

    ``main``: the trusted test root's signer; ``other``: a signer under a second root that the tests never
    trust; the root itself (key, certificate) for the short-lived signers of the expired cases."""
    CERTS.mkdir(parents=True, exist_ok=True)
    ca_key, ca = make_ca("imgcheck test root CA")
    other_ca_key, other_ca = make_ca("imgcheck untrusted test root")
    key, cert = make_signer("Example Imaging signer", "Example Imaging Ltd", ca_key, ca)
    okey, ocert = make_signer("Unlisted Apps signer", "Unlisted Apps", other_ca_key, other_ca)
    (CERTS / "ca.pem").write_bytes(_pem(ca))
    (CERTS / "ca.key").write_bytes(_pem(ca_key))
    (CERTS / "signer.pem").write_bytes(_pem(cert))
    (CERTS / "signer.key").write_bytes(_pem(key))
    (CERTS / "chain.pem").write_bytes(_pem(cert) + _pem(ca))
    (CERTS / "other_ca.pem").write_bytes(_pem(other_ca))
    return (TestSigner(_pem(cert) + _pem(ca), _pem(key)), TestSigner(_pem(ocert) + _pem(other_ca), _pem(okey)),
            (ca_key, ca))


def c2pa_sign(im_bytes: bytes, mime: str, manifest: dict, signer: TestSigner, parent: bytes | None = None,
              identity: TestSigner | None = None) -> bytes:
    """Sign with c2pa-python; ``identity`` adds a CAWG X.509 identity assertion over the actions."""
    import c2pa

    settings: dict = {"builder": {"thumbnail": {"enabled": False}}}    # small files
    sig = None
    if identity is None:
        sig = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", signer.chain, signer.key, None))
    else:   # the CAWG identity signer is configured through settings (c2pa-rs wraps the claim signer)
        settings["signer"] = {"local": {"alg": "es256", "sign_cert": signer.chain.decode(),
                                        "private_key": signer.key.decode(), "tsa_url": None}}
        settings["cawg_x509_signer"] = {"local": {"alg": "es256", "sign_cert": identity.chain.decode(),
                                                  "private_key": identity.key.decode(), "tsa_url": None,
                                                  "referenced_assertions": ["c2pa.actions"]}}
    context = c2pa.Context.from_dict(settings)
    with c2pa.Builder(manifest, context=context) as builder:
        if parent is not None:
            builder.add_ingredient({"title": "original.jpg", "relationship": "parentOf", "label": "parent"},
                                   mime, io.BytesIO(parent))
        out = io.BytesIO()
        if sig is not None:
            with sig:
                builder.sign(sig, mime, io.BytesIO(im_bytes), out)
        else:
            builder._has_context_signer = True     # the settings carry the signer (c2pa-python 0.38 checks a flag)
            builder.sign(mime, io.BytesIO(im_bytes), out)
        return out.getvalue()


def c2pa_manifest(generator: str, agent: str, source_type: str, edit: bool = False) -> dict:
    act = {"action": "c2pa.edited" if edit else "c2pa.created", "digitalSourceType": IPTC_DST + source_type,
           "softwareAgent": {"name": agent}}
    first = [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}}] if edit else []
    return {"claim_generator_info": [{"name": generator, "version": "1.0"}], "title": "image",
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": first + [act]}}]}


def _manifest(generator: str, actions: list[dict]) -> dict:
    return {"claim_generator_info": [{"name": generator, "version": "1.0"}], "title": "image",
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}]}


def _swap_scan(signed: bytes, original: bytes, edited: bytes) -> bytes:
    """``signed`` with the original's image data replaced by ``edited``'s (same encoder, same headers):
    what a tool that keeps the APP11 segments does when it re-saves changed pixels."""
    sos = original.index(b"\xff\xda")
    assert edited[:sos] == original[:sos] and signed.endswith(original[sos:])
    return signed[:len(signed) - (len(original) - sos)] + edited[sos:]


def _flip_in_box(data: bytes, label: bytes, offset: int) -> bytes:
    """Corrupt one byte inside the CBOR content of the JUMBF box named ``label``."""
    at = data.index(b"cbor", data.index(label)) + 4 + offset
    out = bytearray(data)
    out[at] ^= 0xFF
    return bytes(out)


def c2pa_cases() -> None:
    main, other, (ca_key, ca) = make_certs()
    jpg = jpeg_bytes(photo("astronaut.png", 256), quality=85)
    # the historical cases (kept: the trust and tampering tests use them)
    write("c2pa_trained.jpg", c2pa_sign(jpg, "image/jpeg", c2pa_manifest(
        "Example Image Studio", "Example Diffusion XL", "trainedAlgorithmicMedia"), main), "ai_provenance",
        "Example Diffusion XL")
    buf = io.BytesIO()
    photo("chelsea.png", 256).save(buf, "PNG")
    write("c2pa_composite.png", c2pa_sign(buf.getvalue(), "image/png", c2pa_manifest(
        "Example Photo Editor", "Example Generative Fill", "compositeWithTrainedAlgorithmicMedia", edit=True),
        main, parent=buf.getvalue()), "ai_provenance", "Example Generative Fill")
    capture = c2pa_sign(jpeg_bytes(photo("obama.jpg", 256), quality=85), "image/jpeg", c2pa_manifest(
        "Example Camera Firmware", "Example Camera X100", "digitalCapture"), main)
    write("c2pa_capture.jpg", capture, None, "captured with Example Camera X100")

    # valid: a camera capture, signed by the test root's signer (trusted when the tests configure ca.pem)
    write("c2pa_valid.jpg", c2pa_sign(jpeg_bytes(photo("rocket.jpg", 256), quality=85), "image/jpeg", _manifest(
        "Example Camera Firmware", [{"action": "c2pa.created", "softwareAgent": {"name": "Example Camera X100"},
                                     "digitalSourceType": IPTC_DST + "digitalCapture"}]), main),
          None, "Content Credentials")
    # AI-declared: the editor's "opened" action first, the generative step by a named generator after it
    ai = _manifest("Adobe Photoshop", [
        {"action": "c2pa.opened", "softwareAgent": {"name": "Adobe Photoshop 25.9"},
         "parameters": {"ingredientIds": ["parent"]}, "digitalSourceType": IPTC_DST + "compositeWithTrainedAlgorithmicMedia"},
        {"action": "c2pa.edited", "softwareAgent": {"name": "Adobe Firefly"},
         "digitalSourceType": IPTC_DST + "trainedAlgorithmicMedia",
         "description": "generative fill"}])
    before = jpeg_bytes(photo("grace_hopper.jpg", 256), quality=85)
    after = jpeg_bytes(photo("grace_hopper.jpg", 256).rotate(3), quality=85)
    write("c2pa_ai_declared.jpg", c2pa_sign(after, "image/jpeg", ai, main, parent=before), "ai_provenance",
          "made with Adobe Firefly")
    # edited chain: a phone capture (its own signed manifest) cropped in an editor
    phone_src = jpeg_bytes(photo("obama2.jpg", 256), quality=85)
    phone = c2pa_sign(phone_src, "image/jpeg", _manifest("Example Camera App", [
        {"action": "c2pa.created", "softwareAgent": {"name": "Example Phone 5"},
         "digitalSourceType": IPTC_DST + "digitalCapture"}]), main)
    cropped = jpeg_bytes(photo("obama2.jpg", 256).crop((16, 16, 240, 240)), quality=85)
    write("c2pa_edited_chain.jpg", c2pa_sign(cropped, "image/jpeg", _manifest("Example Photo Editor", [
        {"action": "c2pa.opened", "softwareAgent": {"name": "Example Photo Editor 2.1"},
         "parameters": {"ingredientIds": ["parent"]}},
        {"action": "c2pa.cropped", "softwareAgent": {"name": "Example Photo Editor 2.1"}}]), main, parent=phone),
        None, "captured with Example Phone 5, then cropped in Example Photo Editor 2.1")
    # pixels changed after signing: the phone photo, brightened and re-saved with its manifest kept
    edited_src = jpeg_bytes(Image.eval(photo("obama2.jpg", 256), lambda v: min(255, v + 24)), quality=85)
    write("c2pa_pixels_changed.jpg", _swap_scan(phone, phone_src, edited_src), "provenance_broken",
          "edited after it was signed")
    # malformed CBOR: one byte of the claim's CBOR corrupted (the reader refuses the manifest)
    write("c2pa_malformed_cbor.jpg", _flip_in_box(capture, b"c2pa.claim", 8), None, "malformed")
    # untrusted signer: a certificate under a root the tests never configure
    write("c2pa_untrusted.jpg", c2pa_sign(jpeg_bytes(photo("biden.jpg", 256), quality=85), "image/jpeg",
                                          c2pa_manifest("Unlisted Camera App", "Unlisted Phone",
                                                        "digitalCapture"), other), None, "not on the")
    # expired certificate and a failing CAWG identity assertion: credentials that expire 2 s after signing
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)
    ekey, ecert = make_signer("Old Camera signer", "Example Imaging Ltd", ca_key, ca, not_after=soon)
    expired = c2pa_sign(jpeg_bytes(photo("obama3.jpg", 256), quality=85), "image/jpeg", c2pa_manifest(
        "Example Camera Firmware", "Example Camera X100", "digitalCapture"), TestSigner(_pem(ecert) + _pem(ca),
                                                                                       _pem(ekey)))
    ikey, icert = make_signer("Jane Example", "Example Identity", ca_key, ca, not_after=soon)
    ident = c2pa_sign(jpeg_bytes(photo("coffee.png", 256), quality=85), "image/jpeg", c2pa_manifest(
        "Example Photo Editor", "Example Photo Editor 2.1", "digitalCapture"), main,
        identity=TestSigner(_pem(icert) + _pem(ca), _pem(ikey)))
    time.sleep(max(0.0, (soon - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1)
    write("c2pa_expired_cert.jpg", expired, None, "expired")
    write("c2pa_identity_failure.jpg", ident, None, "identity")


def watermark_cases() -> None:
    try:
        from imwatermark import WatermarkEncoder
    except ImportError:
        print("invisible-watermark not installed: watermark fixtures left unchanged", file=sys.stderr)
        return
    from imgcheck.watermark import PAYLOADS

    def mark(name: str, payload_index: int, order: str, src: str, fmt: str) -> None:
        rgb = np.asarray(photo(src, 384))
        enc = WatermarkEncoder()
        enc.set_watermark("bits", list(PAYLOADS[payload_index].bits))
        if order == "bgr":   # reference scripts: RGB -> BGR -> encode -> back
            out = enc.encode(np.ascontiguousarray(rgb[:, :, ::-1]), "dwtDct")[:, :, ::-1]
        else:                # diffusers' SDXL watermarker hands RGB to the BGR encoder
            out = enc.encode(rgb.copy(), "dwtDct")
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(out)).save(buf, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
        write(name, buf.getvalue(), "ai_watermark", PAYLOADS[payload_index].name.split(" (")[0])

    mark("wm_sdv1.png", 0, "bgr", "astronaut.png", "PNG")
    mark("wm_sdxl.png", 2, "rgb", "coffee.png", "PNG")
    mark("wm_sdv2.png", 1, "bgr", "chelsea.png", "PNG")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    old = json.loads((OUT / "expected.json").read_text()) if (OUT / "expected.json").exists() else {}
    metadata_cases()
    c2pa_cases()
    watermark_cases()
    merged = {**old, **{k: list(v) for k, v in EXPECTED.items()}}
    (OUT / "expected.json").write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(EXPECTED)} files to {OUT}")


if __name__ == "__main__":
    main()
