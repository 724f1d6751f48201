"""Features of the pixel detector's corpus under the named upload chains, cached per image and view.

Reads the corpus table (``tools/aipix_corpus.py extract`` writes OUT/index.tsv for the repository
sources; the package sources of ``tools/ai_detector_sources.py`` are added from the build cache) and
writes one ``.npz`` per (image, view) with the CLIP embedding, the residual statistics and the faces
BlazeFace finds in that view. Views (``imgcheck.ai_pixels.chain.NAMED_CHAINS``): ``given`` (the file as
uploaded), ``upload`` (long side 1080, 4:5 crop, JPEG 85), ``harsh`` (upload, then 512 px and a second
JPEG 70), ``random`` (a seeded random upload chain, for training only).

  OMP_NUM_THREADS=1 nice -n 10 python tools/aipix_features.py --plan default --workers 2

The plan (which views of how many images of each source, PLAN) keeps the CLIP budget to a few thousand
embeddings on a shared 2-core machine; a source's subset is a fixed seeded sample, so reruns agree.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: per source: {view: max images} (a fixed pseudo-random subset: the first n by key); sources not named
#: get DEFAULT_PLAN; None = all images
PLAN: dict[str, dict[str, int | None]] = {
    "basemax_gan_faces": {"upload": 250, "random": 120},
    "tpdne_hard": {"upload": 250, "harsh": 150},
    "unsplash_faces": {"upload": 450, "harsh": 250},
    "bsds500": {"upload": 120, "harsh": 60},
    "shared_data": {"given": None, "upload": None, "harsh": None},
}
DEFAULT_PLAN: dict[str, int | None] = {"upload": None, "random": None}
#: views computed in this order (cheap partial results first): upload and harsh interleaved by key
VIEW_RANK = {"upload": 0, "harsh": 0, "given": 0, "random": 1}


def key_of(origin: str) -> str:
    return hashlib.sha1(origin.encode()).hexdigest()[:16]


def package_rows(cache: Path) -> list[dict]:
    import ai_detector_sources as sources
    import build_ai_detector as build

    rows = []
    for label, path, fam, group, _ in build.image_list(cache):
        origin = (f"PyPI {sources.COMFY_PACKAGE}:{Path(path).name}" if label == "ai"
                  else "package:" + str(Path(path).relative_to(cache / "unpacked")))
        pkg = Path(path).relative_to(cache / "unpacked").parts[0] if label == "real" else "comfyui_media_image"
        src = {"comfyui_media_image": "comfyui_media_image", "insightface==2.1": "insightface_sdist"}.get(pkg, pkg)
        if src in ("mate-backgrounds", "plasma-workspace-wallpapers", "lomiri-wallpapers-20.04"):
            src = "debian_wallpapers"
        rows.append({"source": src, "label": label, "kind": fam if label == "ai" else "photo",
                     "role": "train", "file": path, "origin": origin, "people": "0", "group": group})
    return rows


def shared_rows() -> list[dict]:
    d = REPO.parent / "shared" / "data"
    if not d.is_dir():
        d = Path("/work/shared/data")
    out = []
    for p in sorted(d.glob("*")):
        if p.suffix.lower() in (".jpg", ".png") and "tiny" not in p.name:
            out.append({"source": "shared_data", "label": "real", "kind": "test photos", "role": "eval",
                        "file": str(p), "origin": f"shared/data/{p.name}", "people": "1", "group": p.stem})
    return out


def corpus_rows(corpus: Path, cache: Path) -> list[dict]:
    rows = []
    with (corpus / "index.tsv").open() as f:
        for r in csv.DictReader(f, delimiter="\t"):
            r["group"] = Path(r["file"]).stem
            rows.append(r)
    rows += package_rows(cache) + shared_rows()
    aligned = corpus.parent / "aligned" / "aligned.tsv"
    if aligned.exists():  # FFHQ-layout crops of real train faces (tools/aipix_aligned.py)
        with aligned.open() as f:
            rows += list(csv.DictReader(f, delimiter="\t"))
    for r in rows:
        r["key"] = key_of(r["origin"])
    return rows


def planned(rows: list[dict]) -> list[tuple[dict, str]]:
    by_src: dict[str, list[dict]] = {}
    for r in rows:
        by_src.setdefault(r["source"], []).append(r)
    jobs = []
    for src, items in by_src.items():
        items = sorted(items, key=lambda r: r["key"])  # a fixed pseudo-random order
        for view, n in PLAN.get(src, DEFAULT_PLAN).items():
            jobs += [(r, view) for r in (items if n is None else items[:n])]
    return sorted(jobs, key=lambda j: (VIEW_RANK[j[1]], j[0]["key"], j[1]))


_STATE: dict = {}


def _init(models: str) -> None:
    import onnxruntime as ort

    from imgcheck.faces.detector import FaceDetector
    from imgcheck.models import ModelRegistry

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    _STATE["clip"] = ort.InferenceSession(str(Path(models) / "clip_vit_b16_image.u8u8.onnx"), opts,
                                          providers=["CPUExecutionProvider"])
    _STATE["faces"] = FaceDetector(ModelRegistry(Path(models), 1).session("blazeface_full"))


def _work(job: tuple[str, str, str, str]) -> str:
    from imgcheck.ai_pixels import chain, features, pixels

    path, key, view, out = job
    dest = Path(out) / f"{key}_{view}.npz"
    if dest.exists():
        return ""
    try:
        rgb = chain.read_rgb(path)
    except Exception as exc:  # an unreadable corpus file is reported, not fatal
        return f"unreadable {path}: {exc}"
    v = chain.named_view(rgb, view, seed=int(key, 16) % (2 ** 32))
    work = v if view != "given" else chain.fit_side(v, pixels.WORK_SIDE)
    emb, _ = features.clip_features(_STATE["clip"], work)
    res = features.residual_features(work)
    det = _STATE["faces"].detect(work)
    face_frac = float(det.boxes[0, 2] - det.boxes[0, 0]) / work.shape[1] if len(det) else 0.0
    tmp = dest.with_suffix(".tmp.npz")
    np.savez(tmp, emb=emb, res=res, faces=len(det), face_frac=face_frac, h=work.shape[0], w=work.shape[1])
    os.replace(tmp, dest)
    return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/data/aipix/corpus")
    ap.add_argument("--cache", default="/work/data/aipix/cache")
    ap.add_argument("--out", default="/work/data/aipix/features")
    ap.add_argument("--models", default=str(REPO / "models"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    rows = corpus_rows(Path(args.corpus), Path(args.cache))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "rows.json").write_text(json.dumps(rows))
    jobs = planned(rows)
    todo = [(r["file"], r["key"], v, args.out) for r, v in jobs
            if not (Path(args.out) / f"{r['key']}_{v}.npz").exists()]
    print(f"{len(rows)} images, {len(jobs)} planned views, {len(todo)} to compute", flush=True)
    if args.dry_run:
        return
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(args.models,)) as ex:
        for i, msg in enumerate(ex.map(_work, todo, chunksize=4)):
            if msg:
                print(msg, flush=True)
            if i % 100 == 0:
                print(f"{i}/{len(todo)}", flush=True)


if __name__ == "__main__":
    main()
