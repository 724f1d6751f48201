"""Make the crafted provenance test files in tests/fixtures/provenance/ (committed; rerun to rebuild).

    python tests/make_provenance_fixtures.py            # everything the current venv can make

Metadata cases need only the project venv (Pillow, c2pa-python, openssl on PATH). The watermark cases
need the reference encoder (``pip install invisible-watermark torch==2.13.0``, e.g. in a tools venv);
without it they are left as they are. Pixels come from public-domain/CC0 test photos in
tests/fixtures (see SOURCES.md); the metadata is written the way each generator writes it.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
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


def make_certs() -> tuple[Path, Path]:
    """A test CA and an end-entity signing certificate (digitalSignature, emailProtection EKU)."""
    if shutil.which("openssl") is None:
        sys.exit("openssl is needed to make the C2PA test certificates (apt-get install openssl)")
    CERTS.mkdir(parents=True, exist_ok=True)
    ca_key, ca, ee_key, ee = (CERTS / n for n in ("ca.key", "ca.pem", "signer.key", "signer.pem"))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)

        def run(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(t / "ca.ec"))
        run("pkcs8", "-topk8", "-nocrypt", "-in", str(t / "ca.ec"), "-out", str(ca_key))
        run("req", "-x509", "-new", "-key", str(ca_key), "-sha256", "-days", "7300", "-subj",
            "/CN=imgcheck test root CA/O=imgcheck tests", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(ca))
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(t / "ee.ec"))
        run("pkcs8", "-topk8", "-nocrypt", "-in", str(t / "ee.ec"), "-out", str(ee_key))
        run("req", "-new", "-key", str(ee_key), "-subj", "/CN=Example Imaging signer/O=Example Imaging Ltd",
            "-out", str(t / "ee.csr"))
        (t / "ee.ext").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                  "extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\n"
                                  "authorityKeyIdentifier=keyid\n")
        run("x509", "-req", "-in", str(t / "ee.csr"), "-CA", str(ca), "-CAkey", str(ca_key), "-set_serial", "4242",
            "-days", "7300", "-sha256", "-extfile", str(t / "ee.ext"), "-out", str(ee))
    (CERTS / "chain.pem").write_bytes(ee.read_bytes() + ca.read_bytes())
    return CERTS / "chain.pem", ee_key


def c2pa_sign(im_bytes: bytes, mime: str, manifest: dict, parent: bytes | None = None) -> bytes:
    import c2pa

    chain, key = CERTS / "chain.pem", CERTS / "signer.key"
    info = c2pa.C2paSignerInfo(b"es256", chain.read_bytes(), key.read_bytes(), None)
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
        if parent is not None:
            builder.add_ingredient({"title": "original", "relationship": "parentOf", "label": "parent"},
                                   mime, io.BytesIO(parent))
        out = io.BytesIO()
        builder.sign(signer, mime, io.BytesIO(im_bytes), out)
        return out.getvalue()


def c2pa_manifest(generator: str, agent: str, source_type: str, edit: bool = False) -> dict:
    act = {"action": "c2pa.edited" if edit else "c2pa.created", "digitalSourceType": IPTC_DST + source_type,
           "softwareAgent": {"name": agent}}
    first = [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}}] if edit else []
    return {"claim_generator_info": [{"name": generator, "version": "1.0"}], "title": "image",
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": first + [act]}}]}


def c2pa_cases() -> None:
    if not (CERTS / "chain.pem").exists():
        make_certs()
    jpg = jpeg_bytes(photo("astronaut.png"))
    write("c2pa_trained.jpg", c2pa_sign(jpg, "image/jpeg", c2pa_manifest(
        "Example Image Studio", "Example Diffusion XL", "trainedAlgorithmicMedia")), "ai_provenance",
        "Example Diffusion XL")
    buf = io.BytesIO()
    photo("chelsea.png").save(buf, "PNG")
    write("c2pa_composite.png", c2pa_sign(buf.getvalue(), "image/png", c2pa_manifest(
        "Example Photo Editor", "Example Generative Fill", "compositeWithTrainedAlgorithmicMedia", edit=True),
        parent=buf.getvalue()), "ai_provenance", "Example Generative Fill")
    write("c2pa_capture.jpg", c2pa_sign(jpeg_bytes(photo("obama.jpg")), "image/jpeg", c2pa_manifest(
        "Example Camera Firmware", "Example Camera X100", "digitalCapture")), None, "digitalCapture")


def watermark_cases() -> None:
    try:
        from imwatermark import WatermarkEncoder
    except ImportError:
        print("invisible-watermark not installed: watermark fixtures left unchanged", file=sys.stderr)
        return
    from imgcheck.provenance.watermark import PAYLOADS

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
