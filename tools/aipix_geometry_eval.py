"""How the ``gan_face_geometry`` check does on the corpus: flag rate per source, as given.

The geometry check needs the square, uncropped GAN frame, so it is measured on the files as given
(after the 4:5 upload crop no image is square and the check is clear by construction).

  OMP_NUM_THREADS=1 nice -n 10 python tools/aipix_geometry_eval.py [--sources tpdne_hard,unsplash_faces,...]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from imgcheck.ai_pixels.evaluation import upper_bound  # noqa: E402


def main() -> None:
    from imgcheck import Engine

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/data/aipix/corpus")
    ap.add_argument("--sources", default="tpdne_hard,unsplash_faces,basemax_gan_faces,lfw_subset,human_samples,"
                                         "codeformer_inputs,faceapi_examples,ulfd_images,bsds500")
    args = ap.parse_args()
    wanted = set(args.sources.split(","))
    engine = Engine()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    labels = {}
    with (Path(args.corpus) / "index.tsv").open() as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["source"] not in wanted:
                continue
            labels[r["source"]] = r["label"]
            found = engine.check(r["file"], checks=["gan_face_geometry"]).evidence
            if not found:  # an unreadable corpus file (the report says so): not counted
                continue
            counts[r["source"]][found[0].status] += 1
            counts[r["source"]]["n"] += 1
    print(f"{'source':<22}{'label':>6}{'n':>6}{'flag':>6}{'rate':>8}{'95% bound':>11}{'inconcl.':>9}")
    for src, c in sorted(counts.items()):
        n, k = c["n"], c["flag"]
        print(f"{src:<22}{labels[src]:>6}{n:>6}{k:>6}{k / n:>8.1%}{upper_bound(k, n):>11.2%}{c['inconclusive']:>9}")


if __name__ == "__main__":
    main()
