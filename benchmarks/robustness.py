"""Re-upload robustness: per-edit recall and false matches of the known_image check.

    python -m benchmarks.robustness                    # both splits, baseline and imgcheck
    python -m benchmarks.robustness --split heldout    # only the held-out split
    python -m benchmarks.robustness --markdown         # the README table

A bank is built from the split's originals (tests/robustness.py); every edited copy is checked with
the Engine at default settings. A copy counts as found when the right original is the first match.
With ``--bank`` the bank is a built one holding the originals among real distractors (any match
other than the right original, a distractor included, is a false match).
Negatives (other photos, some of the same people and places, also framed/captioned) must match
nothing. The baseline is what a plain perceptual-hash lookup does: global pHash of the whole upload
at distance <= 10 or global PDQ at <= 31 against the bank's global hashes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import imagehash
from PIL import Image

from imgcheck import Engine
from imgcheck.hashing import HASH_TYPES
from imgcheck.load import load_image
from tests import robustness as R


class Baseline:
    """Global pHash <= 10 or global PDQ <= 31, first match by smaller relative distance."""

    def __init__(self, originals: tuple[str, ...]) -> None:
        self.bank = {}
        for name in originals:
            rgb = load_image(R.FIXTURES / f"{name}.jpg").rgb(512)
            self.bank[name] = (imagehash.phash(Image.fromarray(rgb)), HASH_TYPES["pdq"].compute(rgb))

    def match(self, data: bytes) -> str | None:
        rgb = load_image(data).rgb(512)
        ph, pdq = imagehash.phash(Image.fromarray(rgb)), HASH_TYPES["pdq"].compute(rgb)
        best: tuple[float, str] | None = None
        for name, (bph, bpdq) in self.bank.items():
            for d, radius, nbits in ((ph - bph, 10, 64), (pdq - bpdq, 31, 256)):
                if d <= radius and (best is None or d / nbits < best[0]):
                    best = (d / nbits, name)
        return best[1] if best else None


class Imgcheck:
    def __init__(self, originals: tuple[str, ...], workdir: Path, bank: Path | None = None) -> None:
        """A bank of the split's originals, or ``bank``: a built bank that holds them among others
        (benchmarks/bank_scale.py's real.sqlite: both splits' originals and the real distractors)."""
        self.engine = Engine(bank=bank or workdir / "bank.sqlite")
        if bank is not None:
            labels = {e.label for e in self.engine.bank.store.entries()}
            missing = set(originals) - labels
            if missing:
                raise SystemExit(f"{bank} lacks the originals {sorted(missing)}")
            return
        for name in originals:
            self.engine.add_to_bank(R.FIXTURES / f"{name}.jpg", label=name, kind="other")

    def match(self, data: bytes) -> str | None:
        report = self.engine.check(data, checks=["known_image"])
        return report.matches[0].label if report.matches else None


def evaluate(split: str, matchers: dict[str, object], originals: tuple[str, ...]) -> dict:
    per_edit: dict[str, dict[str, list[int]]] = {m: defaultdict(lambda: [0, 0]) for m in matchers}
    false: dict[str, list[str]] = {m: [] for m in matchers}
    timing: dict[str, float] = defaultdict(float)
    n_queries = 0
    for q in R.positive_queries(originals, split):
        n_queries += 1
        for m, matcher in matchers.items():
            t = time.perf_counter()
            got = matcher.match(q.data)
            timing[m] += time.perf_counter() - t
            cell = per_edit[m][q.edit]
            cell[0] += int(got == q.original)
            cell[1] += 1
            if got is not None and got != q.original:
                false[m].append(f"{q.edit}:{q.source}->{got}")
    n_neg = 0
    for q in R.negative_queries(split=split):
        n_neg += 1
        for m, matcher in matchers.items():
            t = time.perf_counter()
            got = matcher.match(q.data)
            timing[m] += time.perf_counter() - t
            if got is not None:
                false[m].append(f"negative {q.edit}:{q.source}->{got}")
    near = {f"{m} {q.source}": matcher.match(q.data) for m, matcher in matchers.items()
            for q in R.negative_queries(R.NEAR_DUPLICATES, split, R.NEGATIVE_EDITS[:1])}
    return {"per_edit": per_edit, "false": false, "n_neg": n_neg, "n_pos": n_queries, "near_duplicates": near,
            "ms_per_query": {m: 1000 * timing[m] / (n_queries + n_neg) for m in matchers}}


def table(results: dict[str, dict], markdown: bool) -> str:
    splits = list(results)
    methods = list(next(iter(results.values()))["per_edit"])
    edits = list(next(iter(results.values()))["per_edit"][methods[0]])
    cols = [f"{m} {s}" for s in splits for m in methods]
    lines = []
    if markdown:
        lines.append("| edit | " + " | ".join(cols) + " |")
        lines.append("| --- |" + " ---: |" * len(cols))
    else:
        lines.append(f"{'edit':24s}" + "".join(f"{c:>20s}" for c in cols))

    def fmt(cells: list[int]) -> str:
        return f"{100 * cells[0] / max(1, cells[1]):.0f}% ({cells[0]}/{cells[1]})"

    rows = edits + ["all edits", "false matches", "ms per query"]
    for e in rows:
        vals = []
        for s in splits:
            for m in methods:
                r = results[s]
                if e == "all edits":
                    tot = [sum(c[0] for c in r["per_edit"][m].values()), sum(c[1] for c in r["per_edit"][m].values())]
                    vals.append(fmt(tot))
                elif e == "false matches":
                    vals.append(f"{len(r['false'][m])} (of {r['n_neg']} negatives)")
                elif e == "ms per query":
                    vals.append(f"{r['ms_per_query'][m]:.0f}")
                else:
                    vals.append(fmt(r["per_edit"][m].get(e, [0, 0])))
        if markdown:
            lines.append(f"| {e} | " + " | ".join(vals) + " |")
        else:
            lines.append(f"{e:24s}" + "".join(f"{v:>20s}" for v in vals))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["dev", "heldout", "both"], default="both")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--bank", type=Path, help="check against this built bank (it must hold the originals; "
                    "e.g. bank_scale's real.sqlite with 10,602 real distractors) instead of one of the originals")
    args = ap.parse_args()
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    results = {}
    for split in splits:
        originals = R.DEV_ORIGINALS if split == "dev" else R.HELDOUT_ORIGINALS
        with tempfile.TemporaryDirectory() as tmp:
            matchers: dict[str, object] = {}
            if not args.no_baseline:
                matchers["baseline"] = Baseline(originals)
            matchers["imgcheck"] = Imgcheck(originals, Path(tmp), args.bank)
            results[split] = evaluate(split, matchers, originals)
            matchers["imgcheck"].engine.bank.close()
        for m, errs in results[split]["false"].items():
            if errs and (args.show_misses or m == "imgcheck"):
                print(f"[{split}] {m} false matches: {', '.join(errs)}", file=sys.stderr)
    print(table(results, args.markdown))
    for split in splits:
        near = results[split]["near_duplicates"]
        print(f"[{split}] near-duplicate frames (not negatives, see docs/calibration.md): "
              + ", ".join(f"{q} -> {got}" for q, got in near.items()))


if __name__ == "__main__":
    main()
