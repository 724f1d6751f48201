"""One minute of 1080p checked with every check, as a ratio to decoding the same clip.

Makes (once, cached in --dir) a 60 s 1920x1080 30 fps H.264 clip from the photo fixtures: six 10 s
shots with a slow zoom (two portraits, a group photo, a rocket, a cup, a third portrait), then
prints the wall time of each stage of ``Engine.check`` on it and the ratio to the baseline measured
in the same run: decoding every frame of the clip with the same decoder and threads (no conversion).
The issue's target is 20 s on 2 cores for the whole check; nothing here asserts a time.

    OMP_NUM_THREADS=1 python benchmarks/video_check.py [--threads 2] [--dir /tmp/imgcheck-bench] [--bank B]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

SHOTS = ["obama2.jpg", "group_photo_1.jpg", "biden.jpg", "rocket.jpg", "grace_hopper.jpg", "coffee.png"]


def make_clip(path: Path, seconds: float = 10.0, fps: int = 30, size: tuple[int, int] = (1920, 1080)) -> Path:
    import video_clips as vc

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part.mp4")
        vc.write(tmp, vc.shots(SHOTS, seconds, fps, size), fps=fps, preset="veryfast")
        tmp.rename(path)
    return path


def decode_only(path: Path, threads: int) -> tuple[float, int]:
    from imgcheck.video.decode import open_video

    t = time.perf_counter()
    n = sum(1 for _ in open_video(path).frames(threads))
    return time.perf_counter() - t, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2, help="decoder and onnxruntime threads")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/imgcheck-bench"))
    ap.add_argument("--bank", type=Path, default=None, help="bank file (default: a temporary bank of 4 portraits)")
    args = ap.parse_args()

    from imgcheck import Engine
    from imgcheck.settings import Settings

    clip = make_clip(args.dir / "minute_1080p.mp4")
    bank = args.bank
    if bank is None:
        bank = args.dir / "bench_bank.sqlite"
        if not bank.exists():
            eng = Engine(bank=bank)
            for f, label in [("obama.jpg", "Barack Obama"), ("biden.jpg", "Joe Biden"),
                             ("grace_hopper.jpg", "Grace Hopper"), ("astronaut.png", "Eileen Collins")]:
                eng.add_to_bank(REPO / "tests" / "fixtures" / f, label, "celebrity", f)
            eng.bank.close()
    engine = Engine(bank=bank, settings=Settings(intra_op_threads=args.threads))
    engine.check(REPO / "tests" / "fixtures" / "obama.jpg")  # load every model once, outside the timing

    base, frames = decode_only(clip, args.threads)
    cpu0 = _cpu()
    t = time.perf_counter()
    report = engine.check(clip)
    total = time.perf_counter() - t
    cpu = _cpu() - cpu0
    v = report.video
    print(f"clip: {clip.name} {report.image.width}x{report.image.height}, {v.clip['duration_s']:.1f} s, "
          f"{v.clip['frames']} frames, {v.frames_decoded} decoded (non-reference frames skipped), "
          f"{v.frames_sampled} sampled, {v.shots} shots, {len(v.tracks)} face tracks; threads {args.threads}")
    print(f"verdict: {report.verdict} {list(report.flags)}")
    print(f"{'stage':<24}{'seconds':>10}{'x decode':>10}")
    print(f"{'baseline: decode all':<24}{base:>10.2f}{1.0:>10.2f}")
    for k, ms in report.timings_ms.items():
        print(f"{k:<24}{ms / 1000:>10.2f}{ms / 1000 / base:>10.2f}")
    print(f"{'total check':<24}{total:>10.2f}{total / base:>10.2f}")
    # CPU time does not depend on what else runs on a shared machine: on an idle one the wall time lies
    # between cpu / threads (perfect use of every thread) and cpu (none in parallel)
    print(f"{'CPU seconds (all threads)':<24}{cpu:>10.2f}   -> idle-machine wall time between "
          f"{cpu / args.threads:.1f} and {cpu:.1f} s")
    print(f"target: 20 s for one minute of 1080p on 2 cores -> {'met' if total <= 20 else 'NOT met'} "
          f"here ({total:.1f} s wall)")


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


if __name__ == "__main__":
    main()
