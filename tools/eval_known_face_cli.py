"""End to end through the CLI: a small celebrity bank and ~200 queries, as a new user would try it.

    OMP_NUM_THREADS=1 nice -n 10 python tools/eval_known_face_cli.py --lfw DIR --work /tmp/kf [--people 20]

Data (evaluation only, nothing committed): the LFW snapshot of tools/calibrate_naming.py, people of
its **test half** only (never used to choose a threshold). ``--people`` people with at least 6
photos (ordered by a hash of the name) are enrolled with ``imgcheck bank add --kind celebrity`` from
their first photo; their photos 2-6 are queries as given, and photos 2-4 also as tight 150 px crops
of the face (1.25x its box, the profile-app view); people with one photo (``--strangers``) are
impostor queries, given and cropped. Every query goes through ``imgcheck check --checks known_face
--json`` with that bank. Prints: named right, named wrongly, named nobody (with the reasons), for the
bank's people and for strangers, given and tight.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from calibrate_naming import split_of  # noqa: E402


def name_order(name: str) -> str:
    return hashlib.sha256(("cli" + name).encode()).hexdigest()


def tight_crop(eng, src: Path, dst: Path) -> bool:
    """A 150 px square of the face nearest the centre (1.25x its box), as calibrate_naming cuts it."""
    import cv2
    from PIL import Image

    from calibrate_naming import centre_face

    rgb = np.ascontiguousarray(np.asarray(Image.open(src).convert("RGB")))
    h, w = rgb.shape[:2]
    obs = centre_face(eng.faces.analyse_array(rgb), w, h)
    if obs is None:
        return False
    x, y, bw, bh = obs.face.box
    side = 1.25 * max(bw, bh)
    cx, cy = x + bw / 2, y + bh / 2
    m = np.array([[150 / side, 0, 75 - cx * 150 / side], [0, 150 / side, 75 - cy * 150 / side]])
    crop = cv2.warpAffine(rgb, m, (150, 150), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    Image.fromarray(crop).save(dst, quality=92)
    return True


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    return subprocess.run([sys.executable, "-m", "imgcheck.cli", "--quiet", *args], capture_output=True,
                          text=True, env=env, check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--people", type=int, default=20)
    ap.add_argument("--strangers", type=int, default=20)
    args = ap.parse_args()

    from imgcheck import Engine

    eng = Engine()
    people = sorted((p for p in args.lfw.iterdir() if p.is_dir() and split_of(p.name) == "test"),
                    key=lambda p: name_order(p.name))
    enrolled = [p for p in people if len(list(p.glob("*.jpg"))) >= 6][:args.people]
    strangers = [p for p in people if len(list(p.glob("*.jpg"))) == 1][:args.strangers]
    args.work.mkdir(parents=True, exist_ok=True)
    bank = args.work / "bank.sqlite"
    if bank.exists():
        bank.unlink()
    queries: list[tuple[Path, str, str]] = []  # (file, true person or "", view)
    crops = args.work / "crops"
    crops.mkdir(exist_ok=True)
    for p in enrolled:
        photos = sorted(p.glob("*.jpg"))
        r = cli("bank", "add", "--bank", str(bank), "--label", p.name, "--kind", "celebrity", str(photos[0]))
        if r.returncode != 0:
            raise SystemExit(r.stderr)
        for i, f in enumerate(photos[1:6]):
            queries.append((f, p.name, "given"))
            if i < 3 and tight_crop(eng, f, crops / f"{f.stem}_tight.jpg"):
                queries.append((crops / f"{f.stem}_tight.jpg", p.name, "tight150"))
    for p in strangers:
        f = sorted(p.glob("*.jpg"))[0]
        queries.append((f, "", "given"))
        if tight_crop(eng, f, crops / f"{f.stem}_tight.jpg"):
            queries.append((crops / f"{f.stem}_tight.jpg", "", "tight150"))
    r = cli("check", "--bank", str(bank), "--checks", "known_face", "--json", *[str(q[0]) for q in queries])
    reports = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if len(reports) != len(queries):
        raise SystemExit(f"{len(reports)} reports for {len(queries)} queries: {r.stderr[-2000:]}")
    tally: Counter = Counter()
    why: Counter = Counter()
    wrong, missed = [], []
    for (f, truth, view), rep in zip(queries, reports):
        names = {m["label"] for m in rep.get("matches", []) if m.get("kind") == "face"}
        who = "bank_person" if truth else "stranger"
        if not names:
            tally[(who, view, "nobody")] += 1
            ev = next((e for e in rep.get("evidence", []) if e.get("check") == "known_face"), {})
            details = ev.get("details") or {}
            why[(who, details.get("why_nobody", ev.get("status")))] += 1
            closest = [c.get("distance") for c in details.get("closest", []) if c.get("distance") is not None]
            if truth and closest:
                missed.append(min(closest))
        elif names == {truth}:
            tally[(who, view, "right")] += 1
        else:
            tally[(who, view, "wrong")] += 1
            wrong.append((str(f), truth, sorted(names)))
    out = {"bank_people": len(enrolled), "queries": len(queries),
           "counts": {"/".join(k): v for k, v in sorted(tally.items())},
           "why_nobody": {"/".join(map(str, k)): v for k, v in sorted(why.items())}, "wrong": wrong,
           "bank_people_missed_closest_distance_quartiles": [round(float(q), 3) for q in
                                                             np.percentile(missed, [25, 50, 75])] if missed else []}
    for who in ("bank_person", "stranger"):
        n = sum(v for k, v in tally.items() if k[0] == who)
        right = sum(v for k, v in tally.items() if k[0] == who and k[2] == "right")
        bad = sum(v for k, v in tally.items() if k[0] == who and k[2] == "wrong")
        out[f"{who}_queries"] = n
        out[f"{who}_named_right"] = right
        out[f"{who}_named_wrongly"] = bad
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
