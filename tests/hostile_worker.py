"""Runs hostile-corpus cases through the Engine inside a capped subprocess (see test_hostile.py).

Usage: ``python tests/hostile_worker.py MANIFEST BANK FIRST_INDEX``. For each case from FIRST_INDEX on
it prints ``START i`` then one JSON line, flushed, so the parent knows which case a crash or hang
belongs to and can restart the worker after it.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np
from PIL import Image


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    manifest_path, bank, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from imgcheck import Engine
    from imgcheck.errors import InputError

    with open(manifest_path) as fh:
        manifest = json.load(fh)
    engine = Engine(bank=bank)
    engine.check(np.zeros(1, np.uint8).tobytes())  # import everything before the first case
    print("READY", flush=True)
    for i in range(first, len(manifest)):
        case = manifest[i]
        if case["zip"]:
            continue
        print(f"START {i}", flush=True)
        t0 = time.perf_counter()
        report = engine.check(case["path"])
        out = {"i": i, "name": case["name"], "verdict": report.verdict, "error": report.error}
        if report.verdict != "error":
            try:
                img = engine.load(case["path"])
                small = (
                    Image.fromarray(np.asarray(img.rgb(256))).convert("L").resize((16, 16), Image.BILINEAR)
                )
                out["thumb"] = [float(v) for v in np.asarray(small, np.float32).ravel()]
                out["image"] = report.image.to_dict()
            except InputError as exc:  # loads once, fails the second time: a bug worth seeing
                out["reload_error"] = str(exc)
        out["secs"] = round(time.perf_counter() - t0, 3)
        out["rss_mb"] = round(rss_mb(), 1)
        out["maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(out), flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
