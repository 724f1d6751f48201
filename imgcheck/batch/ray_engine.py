"""The Ray engine: the same scan on a Ray cluster (``imgcheck scan --engine ray [--address ADDR]``).

Pipeline (Ray Data, streaming): the driver walks the inputs exactly as the local engine does
(``iter_items``: folders, zips, listings, the same safety checks and source names) and feeds item
descriptors in windows -> ``map_batches`` with an actor pool, each actor holding its own Engine,
reading each file or zip entry under the same size caps and checking it -> records come back to the
driver, which writes them like the local engine does.

Why the actors read: a separate read stage (Ray tasks) was tried first; it put every image through
the object store and started extra worker processes, and on a 2,000-image hash-only scan (2 idle
cores, ``benchmarks/batch_scan.py``) cost 16 s before the first record and 1.29x the local
engine's CPU per image. Reading where the bytes are used keeps only descriptors (paths) in Ray.

Why descriptors rather than ``ray.data.read_binary_files``: Ray's reader would slurp files of any
size, cannot read zip entries in place, and rewrites paths; reading through ``read_item`` keeps caps,
zip handling and the record ``source`` identical to the local engine, so both give the same records.

Identical files: each actor reuses records of files it has already checked (sha256), in the local
engine's ``RecordCache``; two identical files that land on different actors are both checked (same
record, a little more work).

Files must be readable at the same path on every node (a shared file system), imgcheck must be
installed on every node, and the bank path must be readable there too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from imgcheck.batch.inputs import ScanItem, ZipCache, read_item
from imgcheck.batch.pool import EngineSpec
from imgcheck.batch.records import RecordCache, error_record, with_source
from imgcheck.errors import ImgcheckError, InputError
from imgcheck.load import Limits

Record = dict[str, Any]

log = logging.getLogger(__name__)


def read_batch(batch: dict[str, Any], limits: Limits) -> dict[str, list]:
    """Binary-read stage: bytes and sha256 of each item, or the reason it could not be read."""
    zips = ZipCache()
    out: dict[str, list] = {"source": [], "sha256": [], "data": [], "error": []}
    try:
        for i in range(len(batch["source"])):
            item = ScanItem.from_row({k: batch[k][i] for k in ("source", "path", "member", "error")})
            try:
                data = read_item(item, limits, zips.get(item))
                err, sha = "", hashlib.sha256(data).hexdigest()
            except InputError as exc:
                data, err, sha = b"", str(exc), ""
            out["source"].append(item.source)
            out["sha256"].append(sha)
            out["data"].append(data)
            out["error"].append(err)
    finally:
        zips.close()
    return out


class CheckActor:
    """Holds one Engine (its own ONNX sessions) for the life of the actor, and the same record cache
    the local engine keeps (``records.RecordCache``, capped in bytes)."""

    def __init__(self, spec: EngineSpec, checks: tuple[str, ...], threads: int, cache_bytes: int,
                 limits: Limits) -> None:
        self.engine = spec.build(threads)
        self.checks = checks
        self.limits = limits
        self._cache = RecordCache(cache_bytes)

    def __call__(self, items: dict[str, Any]) -> dict[str, list]:
        batch = read_batch(items, self.limits)
        out: list[str] = []
        sources = [str(s) for s in batch["source"]]
        for i, source in enumerate(sources):
            err = str(batch["error"][i])
            if err:
                out.append(json.dumps(error_record(source, err), ensure_ascii=False))
                continue
            hit = self._cache.get(str(batch["sha256"][i]))
            if hit is None:
                rec = self.engine.check(bytes(batch["data"][i]), name=source, checks=self.checks).to_dict()
                self._cache.put(rec)
            else:
                rec = with_source(hit, source)
            out.append(json.dumps(rec, ensure_ascii=False))
        return {"source": sources, "record": out}


def _ensure_ray(address: str | None, num_cpus: int | None):
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ImgcheckError("the Ray engine needs Ray: pip install 'imgcheck[ray]'") from exc
    started = False
    if not ray.is_initialized():
        kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "logging_level": logging.WARNING}
        if address:
            kw["address"] = address
        elif num_cpus:
            kw["num_cpus"] = num_cpus
        try:
            ray.init(**kw)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ImgcheckError(f"cannot start or reach Ray{' at ' + address if address else ''}: {exc}") from exc
        started = True
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    for attr in ("print_on_execution_start", "enable_operator_progress_bars"):
        if hasattr(ctx, attr):
            setattr(ctx, attr, False)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return ray, started


def ray_scan_iter(items: Iterator[ScanItem], spec: EngineSpec, checks: tuple[str, ...], *,
                  workers: int = 0, skip: Callable[[str], bool] | None = None, limits: Limits | None = None,
                  address: str | None = None, batch_size: int = 16, window: int = 20_000,
                  threads_per_actor: int = 1, cache_bytes: int = 64 * 1024 * 1024) -> Iterator[Record]:
    """Records for ``items`` computed on Ray. ``workers``: actors in the pool (0: one per CPU of the
    cluster). Items are sent in windows of ``window`` so the driver never holds the whole listing."""
    ray, started = _ensure_ray(address, workers or None)
    limits = limits or Limits()
    try:
        actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // max(1, threads_per_actor))
        rows: list[dict[str, str]] = []
        for item in items:
            if skip is not None and skip(item.source):
                continue
            if item.error:
                yield error_record(item.source, item.error)
                continue
            rows.append(item.to_row())
            if len(rows) >= window:
                yield from _run_window(ray, rows, spec, checks, limits, actors, batch_size, threads_per_actor,
                                       cache_bytes)
                rows = []
        if rows:
            yield from _run_window(ray, rows, spec, checks, limits, actors, batch_size, threads_per_actor,
                                   cache_bytes)
    finally:
        if started:
            ray.shutdown()


def _run_window(ray, rows: list[dict[str, str]], spec: EngineSpec, checks: tuple[str, ...], limits: Limits,
                actors: int, batch_size: int, threads: int, cache_bytes: int) -> Iterator[Record]:
    ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows) // batch_size, 4 * actors * 8)))
    ds = ds.map_batches(CheckActor, fn_constructor_kwargs={"spec": spec, "checks": checks, "threads": threads,
                                                           "cache_bytes": cache_bytes, "limits": limits},
                        compute=ray.data.ActorPoolStrategy(size=actors), batch_size=batch_size,
                        batch_format="numpy", num_cpus=threads)
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for text in batch["record"]:
            yield json.loads(str(text))
