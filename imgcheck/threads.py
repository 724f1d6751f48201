"""An ordered, bounded thread map for per-file work whose heavy parts release the GIL.

JPEG decoding (Pillow, OpenCV), ORB, PDQ's DCT and onnxruntime all run outside the GIL, so
threads overlap them on several cores without the start-up and pickling cost of processes.
``imap`` keeps at most ``workers * ahead`` items in flight: a million-file listing is streamed,
not held, and results come back in input order so callers write them as they arrive.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def imap(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None, ahead: int = 2) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads (None or 0: one per CPU), results in input order.

    ``fn`` must not raise for an expected per-item failure: return the error as a value so one bad
    file never ends the iteration. An unexpected exception is re-raised here, in order.
    """
    workers = workers or default_workers()
    if workers == 1:
        yield from map(fn, items)
        return
    window: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imgcheck") as pool:
        try:
            for item in items:
                window.append(pool.submit(fn, item))
                if len(window) >= workers * ahead:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:  # the consumer stopped early or fn raised: do not start what is still queued
            for fut in window:
                fut.cancel()
