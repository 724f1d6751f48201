"""Compare ``imgcheck hash --type pdq`` with reference PDQ outputs (Meta's rule for a correct port).

    python tools/pdq_conformance.py REFERENCE.txt [--markdown]

REFERENCE.txt holds lines as Meta's reference hasher prints them (``pdq-photo-hasher``, pdq/cpp in
facebook/ThreatExchange): ``<64 hex>,<quality>,<image path>``; other lines are ignored, and so are
images the reference failed to read (all-zero hash with quality 0). The reference itself is not part
of imgcheck and is not built by this script. Prints, per image, the Hamming distance between the two
hashes and both qualities, then the summary the conformance test asserts: every image of reference
quality >= 80 within 10 bits, and both qualities on the same side of 50 and of 80.
Figures and the images used: docs/exchange.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imgcheck.hashing.files import hash_files  # noqa: E402


def read_reference(path: Path) -> list[tuple[str, int, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split(",", 2)
        if len(parts) != 3 or len(parts[0]) != 64 or not parts[1].isdigit():
            continue
        if parts[1] == "0" and set(parts[0]) == {"0"}:
            continue  # the reference could not decode this file
        out.append((parts[0].lower(), int(parts[1]), parts[2]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference", type=Path)
    ap.add_argument("--markdown", action="store_true", help="print the per-image table as Markdown")
    args = ap.parse_args()
    ref = read_reference(args.reference)
    results = list(hash_files([p for _, _, p in ref], ("pdq",)))
    far = sides = good = 0
    dists = []
    if args.markdown:
        print("| image | bits from reference | quality (reference / imgcheck) |\n| --- | ---: | ---: |")
    for (hexval, quality, path), r in zip(ref, results):
        if r.error:
            print(f"error {path}: {r.error}")
            far += 1
            continue
        h = r.hashes["pdq"]
        d = bin(int(hexval, 16) ^ int(str(h), 16)).count("1")
        if quality >= 80:
            good += 1
            dists.append(d)
            far += d > 10
        sides += (quality >= 50) != (h.quality >= 50) or (quality >= 80) != (h.quality >= 80)
        row = f"| {Path(path).name} | {d} | {quality} / {h.quality} |" if args.markdown else \
            f"{d:4d}  q={quality:3d}/{h.quality:3d}  {path}"
        print(row)
    print(f"{len(ref)} images, {good} of reference quality >= 80: {good - far} within 10 bits "
          f"(max {max(dists, default=0)}, exact {sum(d == 0 for d in dists)}); qualities on the other side "
          f"of 50 or 80: {sides}")
    return 0 if far == 0 and sides == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
