"""Held-out real photos of people for the pixel detector's false-flag figure (issue #11): LFW people
the detector never saw in training and never used to place a line.

Source: ``baileyfriend/Gender-Image-Classifier@9aaaad06efad7888c2d12b77c343a0ef1bea17bc:lfw/`` (LFW,
13,233 news photos of 5,749 people, 250x250, face centred; no redistribution licence: evaluation
only, no file of it is ever committed here). The same copy is the project's ``/work/data/faces/lfw``
(``lfw_full``, ``lfw_ffhq``, ``lfw_ffhq_late`` of tools/aipix_faces.py).

Who is held out (``lock`` writes the choice to tools/aipix_lfw_heldout.lock.tsv):
- not a person of ``lfw_subset`` (tools/aipix_corpus.py: the LFW photos the heads were trained on);
- not a person of the calibration half of the layout rule (tools/aipix_fusion.is_calibration: LFW is
  split by person, sha1(name) with an even last hex digit calibrates); the whole half is left out,
  not only its people that were sampled;
- not one of the 650 LFW photos the layout rule's test already scored (the seeded ``lfw_full``
  sample of tools/aipix_faces.py, first 650 by key: ``lfw_full``/``lfw_ffhq``/``lfw_ffhq_late``), so
  this set and the earlier 1,274 never share a photo;
- no file whose sha256 is another LFW file's (kept once) or any file of tools/aipix_corpus.lock.tsv;
- at most PER_PERSON photos per person (the first by file name), so one face does not weigh much.

Steps:

  python tools/aipix_lfw_heldout.py lock --mirror /work/.mirror/baileyfriend+Gender-Image-Classifier/repo/.git
  python tools/aipix_lfw_heldout.py extract --mirror DIR [--out /work/data/aipix4/real]
        # copies the locked files out of the pinned commit (checks each sha256)
  OMP_NUM_THREADS=1 nice -n 10 python tools/aipix_lfw_heldout.py score --workers 2
        # imgcheck's own scoring (imgcheck.ai_pixels.training.score_sources, what
        # `imgcheck detector eval --chains given,upload` runs) in chunks cached under /work/data/aipix4
  python tools/aipix_lfw_heldout.py report [--json F]
  OMP_NUM_THREADS=1 nice -n 10 python tools/aipix_lfw_heldout.py derive   # FFHQ-rule crops (lfw_heldout_ffhq)
  OMP_NUM_THREADS=1 nice -n 10 python tools/aipix_lfw_heldout.py score --set lfw_heldout_ffhq --workers 2
  python tools/aipix_lfw_heldout.py report --set lfw_heldout_ffhq [--json F]    # upload chain only

``report`` is the same as ``imgcheck detector eval --real OUT --ai tests/fixtures/gan_faces --chains
given,upload`` (one process, no cache), plus what the check does with the view's size: below
``Settings.ai_pixels_min_side`` on the working copy's shorter side the check abstains (``too_small``),
whatever the detector scores.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

REPOSITORY = "baileyfriend/Gender-Image-Classifier"
COMMIT = "9aaaad06efad7888c2d12b77c343a0ef1bea17bc"
LOCK = Path(__file__).resolve().parent / "aipix_lfw_heldout.lock.tsv"
CORPUS_LOCK = Path(__file__).resolve().parent / "aipix_corpus.lock.tsv"
DATA = Path("/work/data/aipix4")
SOURCE = "lfw_heldout"
FFHQ_SET = "lfw_heldout_ffhq"
PER_PERSON = 1
CHUNK = 50
#: sides of the FFHQ-rule crops: those of tools/aipix_faces.py whose upload view (4:5) stays at or above
#: the check's 224 px (256 px would leave 205 px: the check abstains there)
FFHQ_SIDES = (300, 384, 512, 1024)
#: the sets: folder (files in FOLDER/NAME), cache prefix, chains
SETS: dict[str, dict] = {
    SOURCE: {"dir": DATA / "real", "prefix": "real", "chains": ("given", "upload")},
    FFHQ_SET: {"dir": DATA / "real_ffhq", "prefix": "ffhq", "chains": ("upload",)},
}
#: tools/aipix_faces.py: LFW root, seed and size of the ``lfw_full`` sample, photos of it scored
LFW_ROOT = Path("/work/data/faces/lfw")
LFW_SEED = 11
LFW_SAMPLE = 4000
LFW_SCORED = 650


def git(mirror: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={mirror}", *args], input=data, check=True,
                          capture_output=True).stdout


def blobs(mirror: Path) -> list[tuple[str, str]]:
    """(path, blob id) of every LFW photo at the pinned commit."""
    out = []
    for line in git(mirror, "ls-tree", "-r", COMMIT, "lfw/").decode().splitlines():
        meta, path = line.split("\t", 1)
        if path.lower().endswith(".jpg"):
            out.append((path, meta.split()[2]))
    return sorted(out)


def read_blobs(mirror: Path, ids: list[str]) -> list[bytes]:
    raw = git(mirror, "cat-file", "--batch", data=("\n".join(ids) + "\n").encode())
    out, i = [], 0
    for _ in ids:
        j = raw.index(b"\n", i)
        size = int(raw[i:j].split()[2])
        out.append(raw[j + 1:j + 1 + size])
        i = j + 1 + size + 1
    return out


def train_people() -> set[str]:
    with CORPUS_LOCK.open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {r["path"].split("/")[1] for r in rows if r["source"] == "lfw_subset"}


def calibration_person(person: str) -> bool:
    """tools/aipix_fusion.py: LFW's calibration half, by person."""
    return int(hashlib.sha1(person.encode()).hexdigest()[-1], 16) % 2 == 0


def layout_test_photos(paths: list[str], exclude_people: set[str]) -> set[str]:
    """The LFW photos (person/file) tools/aipix_faces.py scored: its seeded sample, the first
    LFW_SCORED by key."""
    files = sorted(LFW_ROOT / p.split("/", 1)[1] for p in paths if p.split("/")[1] not in exclude_people)
    pick = np.random.default_rng(LFW_SEED).choice(len(files), size=min(LFW_SAMPLE, len(files)), replace=False)
    origins = [f"lfw:{files[i].parent.name}/{files[i].name}" for i in sorted(pick)]
    keyed = sorted(origins, key=lambda o: hashlib.sha1(o.encode()).hexdigest()[:16])
    return {o.split(":", 1)[1] for o in keyed[:LFW_SCORED]}


def cmd_lock(args) -> None:
    listed = blobs(args.mirror)
    paths = [p for p, _ in listed]
    data = read_blobs(args.mirror, [b for _, b in listed])
    sha = {p: hashlib.sha256(d).hexdigest() for p, d in zip(paths, data)}
    with CORPUS_LOCK.open() as f:
        corpus_sha = {r["sha256"] for r in csv.DictReader(f, delimiter="\t")}
    train = train_people()
    scored = layout_test_photos(paths, train)
    # the layout rule's test part in LFW, reconstructed: its figures had 243 of 500 lfw_full and 130 of
    # 250 lfw_ffhq photos in the test half (models/MODELS.md)
    ranked = sorted(scored, key=lambda o: hashlib.sha1(f"lfw:{o}".encode()).hexdigest()[:16])
    check = {"lfw_full_test_of_500": sum(not calibration_person(o.split("/")[0]) for o in ranked[:500]),
             "lfw_ffhq_test_of_250": sum(not calibration_person(o.split("/")[0]) for o in ranked[:250])}
    counts = {"lfw_photos": len(paths), "lfw_people": len({p.split("/")[1] for p in paths})}
    seen_sha: dict[str, str] = {}
    dup = {}
    for p in paths:
        if sha[p] in seen_sha:
            dup[p] = seen_sha[sha[p]]
        else:
            seen_sha[sha[p]] = p
    dropped = {"train_person": 0, "calibration_person": 0, "layout_test_photo": 0, "duplicate_sha256": 0,
               "in_corpus_sha256": 0, "over_per_person": 0}
    kept: list[tuple[str, str]] = []
    per: dict[str, int] = {}
    for p in paths:
        person, name = p.split("/")[1], p.split("/")[-1]
        if person in train:
            dropped["train_person"] += 1
        elif calibration_person(person):
            dropped["calibration_person"] += 1
        elif f"{person}/{name}" in scored:
            dropped["layout_test_photo"] += 1
        elif p in dup:
            dropped["duplicate_sha256"] += 1
        elif sha[p] in corpus_sha:
            dropped["in_corpus_sha256"] += 1
        elif per.get(person, 0) >= PER_PERSON:
            dropped["over_per_person"] += 1
        else:
            per[person] = per.get(person, 0) + 1
            kept.append((p, sha[p]))
    with LOCK.open("w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["path", "sha256"])
        for p, s in kept:
            w.writerow([p, s])
    print(json.dumps({"repository": f"{REPOSITORY}@{COMMIT}", **counts, "dropped": dropped,
                      "layout_test_reconstructed": check, "kept": len(kept), "kept_people": len(per),
                      "lock": str(LOCK.relative_to(REPO))}, indent=1))


def locked() -> list[dict]:
    with LOCK.open() as f:
        return list(csv.DictReader(f, delimiter="\t"))


def cmd_extract(args) -> None:
    rows = locked()
    listed = dict(blobs(args.mirror))
    data = read_blobs(args.mirror, [listed[r["path"]] for r in rows])
    dest = args.out / SOURCE
    dest.mkdir(parents=True, exist_ok=True)
    for r, d in zip(rows, data):
        if hashlib.sha256(d).hexdigest() != r["sha256"]:
            raise SystemExit(f"{r['path']}: sha256 differs from the lock")
        (dest / Path(r["path"]).name).write_bytes(d)
    print(f"{len(rows)} photos in {dest}")


_STATE: dict = {}


def _init() -> None:
    from imgcheck.faces import FacePipeline
    from imgcheck.faces.detector import FaceDetector
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

    settings = Settings()
    registry = ModelRegistry(settings.models_dir, settings.intra_op_threads)
    _STATE.update(registry=registry, faces=FaceDetector(registry.session("blazeface_full")),
                  pipeline=FacePipeline(registry, Settings(models_dir=registry.models_dir)))


def _scored(s) -> dict:
    return {"p": float(s.probability), "label": s.label, "source": s.source, "kind": s.kind,
            "face": bool(s.face), "chain": s.chain}


def _view_short(path: Path, chain_name: str) -> float:
    """The working copy's shorter side of a view, as imgcheck.checks.ai_pixels measures it."""
    from imgcheck.ai_pixels import chain, pixels
    from imgcheck.load import load_image

    rgb = np.asarray(load_image(path).rgb(2048))
    view = chain.named_view(rgb, chain_name, seed=0)
    short, long_ = sorted(view.shape[:2])
    return short * min(1.0, pixels.WORK_SIDE / long_)


def score_chunk(job: tuple[str, list[str], str, str, tuple[str, ...]]) -> str:
    """Score one chunk of files with score_sources (as `imgcheck detector eval` does); cache its rows."""
    from imgcheck.ai_pixels import training

    name, files, label, source, chains = job
    out = DATA / "scores" / f"{name}.json"
    if out.exists():
        return name
    if not _STATE:
        _init()
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        real, ai = Path(tmp) / "real", Path(tmp) / "ai"
        folder = (real if label == "real" else ai) / source
        folder.mkdir(parents=True)
        for f in files:
            os.symlink(f, folder / Path(f).name)
        # score_sources reads both folders; the empty side gets one placeholder that is dropped below
        from PIL import Image

        other = ai if label == "real" else real
        (other / "x").mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(other / "x" / "placeholder.png")
        parts = training.score_sources(_STATE["registry"], real, ai, chains, face_detector=_STATE["faces"],
                                       face_pipeline=_STATE["pipeline"])
    keep = lambda rows: [_scored(s) for s in rows if s.source != "x"]  # noqa: E731
    doc = {"files": files, "image": keep(parts.image), "face": keep(parts.face), "fused": keep(parts.fused),
           "face_abstained_incl_placeholder": parts.face_abstained,
           "work_short": {c: [_view_short(Path(f), c) for f in files] for c in chains}}
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps(doc))
    tmp_out.replace(out)
    return name


def jobs(set_name: str, ai_dir: Path) -> list[tuple[str, list[str], str, str, tuple[str, ...]]]:
    """The AI fixtures (scored once, under every chain) and the chunks of one set."""
    spec = SETS[set_name]
    files = sorted(str(p) for p in (spec["dir"] / set_name).iterdir() if p.suffix in (".jpg", ".png"))
    out = [(f"{spec['prefix']}_{i // CHUNK:04d}", files[i:i + CHUNK], "real", set_name, spec["chains"])
           for i in range(0, len(files), CHUNK)]
    ai = sorted(str(p.resolve()) for p in ai_dir.glob("*.jpg"))
    return [("ai_fixtures", ai, "ai", "gan_faces", ("given", "upload"))] + out


def cmd_derive(args) -> None:
    """The FFHQ-rule crop of each held-out photo's largest face (tools/aipix_faces._derive: what a face
    aligner or restorer leaves, on the exact layout of a GAN face), at a side picked by the file name's
    hash from FFHQ_SIDES: real people the layout rule has to leave alone."""
    import aipix_faces
    from PIL import Image

    from imgcheck.ai_pixels import chain
    from imgcheck.faces import FacePipeline
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

    settings = Settings(intra_op_threads=1)
    aipix_faces._STATE["faces"] = FacePipeline(ModelRegistry(settings.models_dir, 1), settings)
    src = SETS[SOURCE]["dir"] / SOURCE
    dest = SETS[FFHQ_SET]["dir"] / FFHQ_SET
    dest.mkdir(parents=True, exist_ok=True)
    made = missing = 0
    for f in sorted(src.glob("*.jpg")):
        # the crop's pixels after its JPEG q90 (as tools/aipix_faces.py scores them), kept losslessly
        out = dest / f"{f.stem}.png"
        if out.exists():
            made += 1
            continue
        side = FFHQ_SIDES[int(hashlib.sha1(f.name.encode()).hexdigest(), 16) % len(FFHQ_SIDES)]
        crop = aipix_faces._derive(chain.read_rgb(f), side)
        if crop is None:
            missing += 1
            continue
        Image.fromarray(crop).save(out, "PNG", compress_level=1)
        made += 1
    print(f"{made} FFHQ-rule crops in {dest}; {missing} photos without a face to cut")


def cmd_score(args) -> None:
    (DATA / "scores").mkdir(parents=True, exist_ok=True)
    todo = [j for j in jobs(args.set, args.ai) if not (DATA / "scores" / f"{j[0]}.json").exists()]
    print(f"{len(todo)} chunks to score", flush=True)
    if args.workers <= 1:
        for j in todo:
            print(score_chunk(j), flush=True)
        return
    with ProcessPoolExecutor(args.workers, initializer=_init) as ex:
        for name in ex.map(score_chunk, todo):
            print(name, flush=True)


def cmd_report(args) -> None:
    from imgcheck.ai_pixels import evaluation, gan_face, pixels
    from imgcheck.ai_pixels.evaluation import Scored
    from imgcheck.models import ModelRegistry
    from imgcheck.settings import Settings

    settings = Settings()
    registry = ModelRegistry(settings.models_dir)
    info = pixels.head_info(registry)
    rule = gan_face.LayoutRule.from_spec(registry.spec(gan_face.HEAD_ID).extra)
    chains = SETS[args.set]["chains"]
    parts: dict[str, list] = {"image": [], "face": [], "fused": []}
    shorts: dict[str, list[float]] = {c: [] for c in chains}
    n_files, names = 0, set()
    for name, files, label, _source, _chains in jobs(args.set, args.ai):
        f = DATA / "scores" / f"{name}.json"
        if not f.exists():
            raise SystemExit(f"{f}: not scored yet (run score)")
        doc = json.loads(f.read_text())
        for k in parts:
            parts[k] += [Scored(r["p"], r["label"], r["source"], r["kind"], r["face"], r["chain"])
                         for r in doc[k] if r["chain"] in chains]
        if label == "real":
            n_files += len(files)
            names |= {Path(f).stem.rsplit("_", 1)[0] for f in files}  # LFW files: Person_Name_0001
            for c in chains:
                shorts[c] += doc["work_short"][c]
    reps = {"image": evaluation.report(parts["image"], info.flag_at, info.clear_below),
            "layout_rule": evaluation.report(parts["face"], rule.flag_at, 0.5),
            "fused": evaluation.report(parts["fused"], 0.5, 0.25)}
    out: dict = {"set": args.set, "source": f"{REPOSITORY}@{COMMIT}:lfw/", "photos": n_files,
                 "people": len(names), "chains": {}}
    for c in chains:
        fused = [s for s in parts["fused"] if s.chain == c and s.label == "real"]
        image = [s for s in parts["image"] if s.chain == c and s.label == "real"]
        flagged = sum(s.probability >= 0.5 for s in fused)
        inconclusive = sum(0.25 <= s.probability < 0.5 for s in fused)
        abstain = sum(v < settings.ai_pixels_min_side for v in shorts[c])
        layout = [s for s in parts["face"] if s.chain == c and s.label == "real"]
        out["chains"][c] = {
            "n": len(fused), "flagged": flagged,
            "upper95": round(evaluation.upper_bound(flagged, len(fused)), 5),
            "inconclusive_by_score": inconclusive, "clear_by_score": len(fused) - flagged - inconclusive,
            "check_abstains_too_small": abstain,
            "work_short_side": sorted({round(v) for v in shorts[c]}),
            "with_face": sum(s.face for s in fused),
            "image_head_max_p": round(max(s.probability for s in image), 4),
            "image_head_flag_at": info.flag_at,
            "image_head_p_ge_0_5": sum(s.probability >= 0.5 for s in image),
            "layout_rule_applied": len(layout), "layout_rule_flag_at": rule.flag_at,
            "layout_rule_max_p": round(max((s.probability for s in layout), default=0.0), 4)}
    out["reports"] = reps
    text = json.dumps(out, indent=1)
    if args.json:
        args.json.write_text(text + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "reports"}, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    lk = sub.add_parser("lock", help="choose the held-out photos and write the lock file")
    lk.add_argument("--mirror", type=Path, required=True, help="git dir of the repository snapshot")
    ex = sub.add_parser("extract", help="copy the locked photos out of the pinned commit")
    ex.add_argument("--mirror", type=Path, required=True)
    ex.add_argument("--out", type=Path, default=SETS[SOURCE]["dir"])
    sub.add_parser("derive", help=f"FFHQ-rule crops of the held-out faces ({FFHQ_SET})")
    sc = sub.add_parser("score", help="score every photo under the chains (cached per chunk)")
    sc.add_argument("--set", choices=sorted(SETS), default=SOURCE)
    sc.add_argument("--ai", type=Path, default=REPO / "tests" / "fixtures" / "gan_faces")
    sc.add_argument("--workers", type=int, default=2)
    rp = sub.add_parser("report", help="the figures, from the cached scores")
    rp.add_argument("--set", choices=sorted(SETS), default=SOURCE)
    rp.add_argument("--ai", type=Path, default=REPO / "tests" / "fixtures" / "gan_faces")
    rp.add_argument("--json", type=Path)
    args = ap.parse_args()
    {"lock": cmd_lock, "extract": cmd_extract, "derive": cmd_derive, "score": cmd_score,
     "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
