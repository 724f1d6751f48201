"""Face-level features of the corpus: the aligned inner face (imgcheck.ai_pixels.gan_face) of each view.

For every (image, view) of the plan: apply the named upload chain (imgcheck.ai_pixels.chain), load the
result as the checker would (imgcheck.load.load_image), find faces with the checker's face pipeline
and cut the inner FFHQ-aligned crop of the largest faces; cache per (image, view) an .npz with, per
face (largest first; up to MAX_FACES on train rows, 1 elsewhere as at run time): the CLIP embedding
of the crop (512), the residual statistics of the crop (20), eye distance, outside share, scale.

Rows: the pixel detector's corpus table (tools/aipix_features.py writes FEATURES/rows.json), plus
``lfw_full``: LFW (/work/data/faces/lfw; no redistribution licence: evaluation only, never trained or
calibrated on), without the people of the ``lfw_subset`` train source. The 4 BaseMax faces kept as test
fixtures (tests/fixtures/gan_faces) are moved out of training into the ``fixture`` role.

  OMP_NUM_THREADS=1 nice -n 10 python tools/aipix_faces.py --workers 2
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

FEATURES = Path("/work/data/aipix/features")
LFW = Path("/work/data/faces/lfw")
OUT = Path("/work/data/aipix2/facefeat")
MAX_FACES = 3
#: eval rows whose main face is further than this from the FFHQ layout are not embedded (the layout
#: rule cannot apply to them; the check does the same): their landmarks and distance are kept
LAYOUT_MARGIN = 0.06
#: BaseMax files that are test fixtures (tests/fixtures/gan_faces/basemax_<n>.jpg): never trained on
FIXTURE_FILES = {"faces/10.jpg", "faces/100.jpg", "faces/500.jpg", "faces/700.jpg"}
#: per source: {view: max images (first n by key) or None for all}
PLAN: dict[str, dict[str, int | None]] = {
    "basemax_gan_faces": {"upload": 500, "harsh": 250},
    "comfyui_media_image": {"upload": None},
    "tpdne_hard": {"upload": None, "harsh": 100},
    "unsplash_faces": {"upload": None, "harsh": 80},
    "bsds500": {"upload": 60},
    "shared_data": {"given": None, "upload": None, "harsh": None},
    "lfw_full": {"upload": 500},
    "fixture": {"given": None, "upload": None, "harsh": None},
    "lfw_ffhq": {"upload": 250},
    "unsplash_ffhq": {"upload": 300},
    "shared_ffhq": {"given": None, "upload": None},
    "lfw_ffhq_late": {"upload": None},
}
DEFAULT_PLAN: dict[str, int | None] = {"upload": None, "harsh": None}
LFW_SEED = 11


def lfw_rows(exclude_people: set[str], n: int = 4000) -> list[dict]:
    files = sorted(p for p in LFW.glob("*/*.jpg") if p.parent.name not in exclude_people)
    rng = np.random.default_rng(LFW_SEED)
    pick = rng.choice(len(files), size=min(n, len(files)), replace=False)
    return [{"source": "lfw_full", "label": "real", "kind": "LFW press photo", "role": "eval",
             "file": str(files[i]), "origin": f"lfw:{files[i].parent.name}/{files[i].name}", "people": "1",
             "group": files[i].parent.name} for i in sorted(pick)]


#: real faces of held-out sources cut by the FFHQ rule (tools/calibrate_gan_geometry.ffhq_crop): a
#: real photo on the exact layout of a GAN face; from LFW (eval only), the Unsplash faces, ../shared/data
FFHQ_PARENTS = {"lfw_full": ("lfw_ffhq", 250), "unsplash_faces": ("unsplash_ffhq", 300),
                "shared_data": ("shared_ffhq", None)}
#: added after the layout rule was fixed, as a test set only it never saw: 400 further LFW photos
#: (other than the 250 of lfw_ffhq) cut by the FFHQ rule
FFHQ_LATE = ("lfw_full", "lfw_ffhq_late", 250, 650)
FFHQ_SIDES = (256, 300, 384, 512, 1024)


def ffhq_rows(rows: list[dict]) -> list[dict]:
    import aipix_features as feats

    out = []
    for src, (name, n) in FFHQ_PARENTS.items():
        items = sorted((r for r in rows if r["source"] == src), key=lambda r: r["key"])[:n]
        for r in items:
            side = FFHQ_SIDES[int(r["key"], 16) % len(FFHQ_SIDES)]
            d = {**r, "source": name, "kind": f"FFHQ-layout crop ({side} px) of a real face", "derive": side,
                 "origin": f"ffhq{side}:{r['origin']}", "parent_key": r["key"]}
            d["key"] = feats.key_of(d["origin"])
            out.append(d)
    src, name, lo, hi = FFHQ_LATE
    for r in sorted((r for r in rows if r["source"] == src), key=lambda r: r["key"])[lo:hi]:
        side = FFHQ_SIDES[int(r["key"], 16) % len(FFHQ_SIDES)]
        d = {**r, "source": name, "kind": f"FFHQ-layout crop ({side} px) of a real face", "derive": side,
             "origin": f"ffhq{side}:{r['origin']}", "parent_key": r["key"]}
        d["key"] = feats.key_of(d["origin"])
        out.append(d)
    return out


def all_rows() -> list[dict]:
    import aipix_features as feats

    rows = json.loads((FEATURES / "rows.json").read_text())
    for r in rows:
        if r["source"] == "basemax_gan_faces" and r["origin"].split(":", 1)[-1] in FIXTURE_FILES:
            r["source"], r["role"] = "fixture", "eval"
    people = {Path(r["file"]).parent.name for r in rows if r["source"] == "lfw_subset"}
    extra = lfw_rows(people)
    for r in extra:
        r["key"] = feats.key_of(r["origin"])
    rows = rows + extra
    return rows + ffhq_rows(rows)


def planned(rows: list[dict]) -> list[tuple[dict, str]]:
    by_src: dict[str, list[dict]] = {}
    for r in rows:
        by_src.setdefault(r["source"], []).append(r)
    jobs = []
    for src, items in by_src.items():
        items = sorted(items, key=lambda r: r["key"])
        for view, n in PLAN.get(src, DEFAULT_PLAN).items():
            jobs += [(r, view) for r in (items if n is None else items[:n])]
    # the upload views of the train rows and of the StyleGAN2/Unsplash sets first (a first fit and its
    # held-out check), then the other train views, then the rest
    def rank(job: tuple[dict, str]) -> int:
        r, view = job
        if view == "upload":
            return 0 if r["role"] == "train" else 1
        return 2 if r["role"] == "train" else 3

    return sorted(jobs, key=lambda j: (rank(j), j[0]["key"], j[1]))


_STATE: dict = {}


def _init(models: str) -> None:
    import imgcheck.offline  # noqa: F401  (quiet onnxruntime before it is imported)
    import onnxruntime as ort

    from imgcheck.faces import FacePipeline
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    _STATE["clip"] = ort.InferenceSession(str(Path(models) / "clip_vit_b16_image.u8u8.onnx"), opts,
                                          providers=["CPUExecutionProvider"])
    _STATE["faces"] = FacePipeline(ModelRegistry(Path(models), 1), Settings(intra_op_threads=1))


def _derive(rgb: np.ndarray, side: int) -> np.ndarray | None:
    """The FFHQ-rule crop of the largest face of ``rgb`` at ``side`` px, JPEG q90 (None: no face)."""
    from calibrate_gan_geometry import ffhq_crop

    from imgcheck.ai_pixels import chain

    det = _STATE["faces"].detector.detect(chain.fit_side(rgb, 1280))
    if not len(det):
        return None
    s = max(rgb.shape[:2]) / max(chain.fit_side(rgb, 1280).shape[:2])
    areas = (det.boxes[:, 2] - det.boxes[:, 0]) * (det.boxes[:, 3] - det.boxes[:, 1])
    kp = det.keypoints[int(np.argmax(areas))] * s
    a, b = tuple(kp[0]), tuple(kp[1])
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    return chain.jpeg(ffhq_crop(rgb, left, right, tuple(kp[3]), side), 90)


def _work(job: tuple) -> str:
    from imgcheck.ai_pixels import chain, features, gan_face, pixels
    from imgcheck.load import load_image

    path, key, view, out, max_faces, derive, role = job
    dest = Path(out) / f"{key}_{view}.npz"
    if dest.exists():
        with np.load(dest) as z:
            if "lm" in z.files:
                return ""
            old = {k: z[k] for k in z.files}
    else:
        old = None
    try:
        rgb = chain.read_rgb(path)
        if derive:
            rgb = _derive(rgb, int(derive))
            if rgb is None:
                return f"no face to derive from {path}"
        v = chain.named_view(rgb, view, seed=int(key, 16) % (2 ** 32))
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(v)).save(buf, "PNG", compress_level=1)
        img = load_image(buf.getvalue(), name=Path(path).name)
        faces = _STATE["faces"].detect(img)
        full = img.rgb(2048)
        sx, sy = full.shape[1] / img.width, full.shape[0] / img.height
    except Exception as exc:  # an unreadable corpus file is reported, not fatal
        return f"failed {path} {view}: {exc}"
    faces = sorted((f for f in faces if len(f.landmarks) >= 4), key=lambda f: -f.box[2] * f.box[3])[:max_faces]
    emb, res, meta, lms = [], [], [], []
    if old is not None and len(faces) == int(old["n_faces"]):
        # a cache file of the first pass: add the landmarks (and the whole-image features) only
        lms = [np.array(f.landmarks[:6], dtype=np.float64).reshape(-1) for f in faces]
        emb, res, meta = list(old["emb"]), list(old["res"]), list(old["meta"])
        faces = []
    if role != "train" and faces and old is None:
        # eval rows: the face is read only where the layout rule can apply (as the check does)
        from imgcheck.faces import gan_geometry as geo

        f0 = faces[0]
        lay = geo.centred_crop_layout(f0.landmarks[0], f0.landmarks[1], img.width, img.height)
        if lay is None or lay.distance > LAYOUT_MARGIN:
            np.savez(dest.with_suffix(".tmp.npz"), emb=np.zeros((0, 512)), res=np.zeros((0, 20)),
                     meta=np.zeros((0, 4)), lm=np.array(f0.landmarks[:6], dtype=np.float64).reshape(1, 12),
                     n_faces=0, off_layout=1, layout_distance=-1.0 if lay is None else lay.distance,
                     h=full.shape[0], w=full.shape[1], img_w=img.width, img_h=img.height)
            os.replace(dest.with_suffix(".tmp.npz"), dest)
            return ""
    if role == "train" and view != "upload":
        # augmentation views train the face head on faces on the layout only: embed just those
        from imgcheck.faces import gan_geometry as geo

        def near(f) -> bool:
            lay = geo.centred_crop_layout(f.landmarks[0], f.landmarks[1], img.width, img.height)
            return lay is not None and lay.distance <= LAYOUT_MARGIN

        faces = [f for f in faces if near(f)]
    for f in faces:
        lm = [(x * sx, y * sy) for x, y in f.landmarks]
        crop = gan_face.inner_crop(full, lm)
        emb.append(gan_face.crop_features(_STATE["clip"], crop))
        res.append(features.residual_features(crop.pixels))
        meta.append([crop.eye_px, crop.outside, crop.scale, f.score])
        lms.append(np.array(f.landmarks[:6], dtype=np.float64).reshape(-1))
    extra = {}
    whole = FEATURES / f"{key}_{view}.npz"
    if whole.exists():
        z = np.load(whole)
        extra = {"img_emb": z["emb"], "img_res": z["res"]}
    elif role == "train":
        extra = {}  # the whole-image head is scored on eval rows only
    else:  # the whole-image head's features, as tools/aipix_features.py computes them
        work = v if view != "given" else chain.fit_side(v, pixels.WORK_SIDE)
        e, _ = features.clip_features(_STATE["clip"], work)
        extra = {"img_emb": e, "img_res": features.residual_features(work)}
    tmp = dest.with_suffix(".tmp.npz")
    np.savez(tmp, emb=np.array(emb).reshape(-1, 512), res=np.array(res).reshape(-1, len(features.RESIDUAL_NAMES)),
             meta=np.array(meta).reshape(-1, 4), lm=np.array(lms).reshape(-1, 12), n_faces=len(meta),
             h=full.shape[0], w=full.shape[1], img_w=img.width, img_h=img.height, **extra)
    os.replace(tmp, dest)
    return ""


def _complete(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with np.load(path) as z:
            return "lm" in z.files
    except (OSError, ValueError):
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--models", default=str(REPO / "models"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only-role", default=None, help="compute only rows of this role (train / eval)")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    rows = all_rows()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "rows.json").write_text(json.dumps(rows))
    jobs = [(r, v) for r, v in planned(rows) if args.only_role in (None, r["role"])]
    todo = [(r["file"], r["key"], v, str(out), MAX_FACES if r["role"] == "train" else 1, r.get("derive"),
             r["role"])
            for r, v in jobs
            if not _complete(out / f"{r['key']}_{v}.npz")]
    print(f"{len(rows)} images, {len(jobs)} planned views, {len(todo)} to compute", flush=True)
    if args.dry_run:
        return
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(args.models,)) as ex:
        for i, msg in enumerate(ex.map(_work, todo, chunksize=4)):
            if msg:
                print(msg, flush=True)
            if i % 200 == 0:
                print(f"{i}/{len(todo)}", flush=True)


if __name__ == "__main__":
    main()
