"""``scan_iter``: check every image of many inputs, one record per input, never stopping on one file.

Records are report JSON documents (``Report.to_dict()``, schema ``imgcheck.report/2``) whose
``source`` is the input path (``archive.zip!inner/name.jpg`` for zip entries). Records come out in
completion order, which with several workers is not input order.

Memory stays bounded whatever the number of inputs: inputs are walked lazily, at most one file per
worker (two with worker processes) is in flight, and the cache of records kept for identical files is capped in bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from imgcheck.batch.inputs import InputLimits, ScanItem, ZipCache, iter_items, read_item, unique_items
from imgcheck.batch.pool import EngineSpec, WorkerPool, check_task
from imgcheck.batch.records import RecordCache, error_record, with_source
from imgcheck.errors import InputError

Record = dict[str, Any]


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """onnxruntime/OpenCV threads for each of ``workers`` processes sharing ``cores``."""
    return max(1, (cores or cpu_count()) // max(1, workers))


def scan_iter(inputs: Iterable[str | Path], engine, *, checks: Sequence[str] | None = None,
              workers: int = 1, skip: Callable[[str], bool] | None = None,
              input_limits: InputLimits | None = None, cache: RecordCache | None = None,
              backend: str = "local", on_skip: Callable[[str], None] | None = None,
              **backend_kw: Any) -> Iterator[Record]:
    """Check every image of ``inputs`` (folders, zips, path listings, files); yield one record per
    distinct source (a path listed twice is one input).

    ``engine``: used directly when ``workers == 1``; with more workers, each worker process builds
    its own Engine with the same bank path and settings. ``skip(source)``: True for inputs already
    done (resume). ``cache``: records reused for identical files (pass one seeded from a previous run
    when resuming). ``backend="ray"`` runs the checks on a Ray cluster (see ``imgcheck.batch.ray_engine``;
    ``backend_kw`` goes there: ``address``, ``batch_size``). ``on_skip(source)``: called for each file
    a folder or zip holds that is not an image (by name and first bytes); those get no record.
    """
    names = tuple(engine.resolve_checks(checks))
    items = unique_items(iter_items(inputs, input_limits, on_skip))
    if backend == "ray":
        from imgcheck.batch.ray_engine import ray_scan_iter

        yield from ray_scan_iter(items, EngineSpec.of(engine), names, workers=workers, skip=skip,
                                 limits=engine.settings.limits, **backend_kw)
        return
    if backend != "local":
        raise InputError(f"unknown scan engine {backend!r}; use local or ray")
    yield from _local(items, engine, names, max(1, workers), skip, cache or RecordCache())


def _local(items: Iterator[ScanItem], engine, names: tuple[str, ...], workers: int,
           skip: Callable[[str], bool] | None, cache: RecordCache) -> Iterator[Record]:
    limits = engine.settings.limits
    zips = ZipCache()
    pool = (WorkerPool(EngineSpec.of(engine), names, workers, threads_per_worker(workers))
            if workers > 1 else None)
    #: sha256 -> sources waiting for the record of the first file with those bytes
    waiting: dict[str, list[str]] = {}
    #: task id -> (sha256, source) of the file the task checks
    in_flight: dict[int, tuple[str, str]] = {}

    def finish(sha: str, record: Record) -> Iterator[Record]:
        cache.put(record)
        for src in waiting.pop(sha, []):
            yield with_source(record, src)

    try:
        for tid, item in enumerate(items):
            if skip is not None and skip(item.source):
                continue
            if item.error:
                yield error_record(item.source, item.error)
                continue
            try:
                data = read_item(item, limits, zips.get(item))
            except InputError as exc:
                yield error_record(item.source, str(exc))
                continue
            sha = hashlib.sha256(data).hexdigest()
            hit = cache.get(sha)
            if hit is not None:
                yield with_source(hit, item.source)
                continue
            if sha in waiting:
                waiting[sha].append(item.source)
                continue
            waiting[sha] = []
            if pool is None:
                record = check_task(engine, names, item.source, data)
                yield record
                yield from finish(sha, record)
                continue
            while not pool.has_idle():
                yield from _collect(pool, in_flight, finish, block=True)
            in_flight[tid] = (sha, item.source)
            pool.submit(tid, item.source, data)
            del data
            yield from _collect(pool, in_flight, finish, block=False)
        while pool is not None and in_flight:
            yield from _collect(pool, in_flight, finish, block=True)
    finally:
        zips.close()
        if pool is not None:
            pool.close()


def _collect(pool: WorkerPool, in_flight: dict[int, tuple[str, str]], finish, *,
             block: bool) -> Iterator[Record]:
    for tid, record, crash in pool.wait(None if block else 0):
        sha, source = in_flight.pop(tid)
        if record is None:
            # the worker died on this file: it gets the error, and so do identical files
            record = error_record(source, crash or f"{source}: the checker process crashed")
            yield record
            for rec in finish(sha, record):
                yield error_record(rec["source"], f"{rec['source']}: identical to {source}, which crashed "
                                                  "the checker")
            continue
        yield record
        yield from finish(sha, record)
