"""An ordered, bounded thread map for per-file work whose heavy parts release the GIL.

JPEG decoding (Pillow, OpenCV), ORB, PDQ's DCT and onnxruntime all run outside the GIL, so
threads overlap them on several cores without the start-up and pickling cost of processes.
``imap`` keeps at most ``workers * ahead`` items in flight: a million-file listing is streamed,
not held, and results come back in input order so callers write them as they arrive.
``faiss_threads`` sets FAISS's OpenMP thread count for one search in the calling thread only.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
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


@contextmanager
def faiss_threads(n: int) -> Iterator[None]:
    """FAISS searches made by this thread inside the block run on ``n`` OpenMP threads (0: left as
    they are).

    OpenMP keeps the count per calling thread (``nthreads-var`` is a data-environment ICV; FAISS's
    wheels use libgomp, which does so): setting it around a call and restoring it after leaves the
    other threads' searches, and this thread's later ones, as they were. Small searches (a
    candidate's ~1,000 x ~1,000 descriptors, a scan of a small index part) run best on one thread:
    the threads of one such search only wait on each other, for tens of milliseconds a call once
    the checks' own threads (``imap``) or another process hold the cores.
    """
    if n <= 0:
        yield
        return
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)
