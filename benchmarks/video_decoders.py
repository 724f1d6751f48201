"""Decoder choice for video clips: PyAV vs OpenCV's bundled FFmpeg backend on the same 1080p minute.

Both wheels bundle FFmpeg; this measures what imgcheck needs from them: decode every frame of a
60 s 1920x1080 H.264 clip (the one ``video_check.py`` makes) and convert 5 frames a second to 640 px
RGB. Prints seconds and the ratio to the first line (PyAV, all frames, no conversion) measured in the
same run, for 1 and 2 decoder threads.

    OMP_NUM_THREADS=1 python benchmarks/video_decoders.py [--dir /tmp/imgcheck-bench]
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from video_check import make_clip


def pyav(path: Path, threads: int, every: int = 0, nonref: bool = False) -> int:
    import av

    with av.open(io.BytesIO(path.read_bytes())) as c:
        s = c.streams.video[0]
        s.codec_context.thread_type = "AUTO"
        s.codec_context.thread_count = threads
        if nonref:
            s.codec_context.skip_frame = "NONREF"
        n = 0
        for i, fr in enumerate(c.decode(s)):
            if every and i % every == 0:
                fr.to_ndarray(format="rgb24", width=640, height=360, interpolation="AREA")
            n += 1
    return n


def opencv(path: Path, threads: int, every: int = 6) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, threads])
    n = 0
    while cap.grab():
        if n % every == 0:
            ok, fr = cap.retrieve()
            cv2.resize(fr, (640, 360), interpolation=cv2.INTER_AREA)
        n += 1
    cap.release()
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=Path("/tmp/imgcheck-bench"))
    args = ap.parse_args()
    clip = make_clip(args.dir / "minute_1080p.mp4")
    rows = []
    for threads in (1, 2):
        for label, fn in [("PyAV decode all", lambda: pyav(clip, threads)),
                          ("PyAV all + 5/s to 640px", lambda: pyav(clip, threads, every=6)),
                          ("PyAV skip non-ref + 5/s", lambda: pyav(clip, threads, every=6, nonref=True)),
                          ("OpenCV grab all + 5/s", lambda: opencv(clip, threads))]:
            t = time.perf_counter()
            n = fn()
            rows.append((threads, label, time.perf_counter() - t, n))
    base = rows[0][2]
    print(f"{'threads':<8}{'decoder':<28}{'seconds':>9}{'x base':>8}{'frames':>8}")
    for threads, label, sec, n in rows:
        print(f"{threads:<8}{label:<28}{sec:>9.2f}{sec / base:>8.2f}{n:>8}")


if __name__ == "__main__":
    main()
