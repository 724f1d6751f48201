"""Worker processes for local parallel scans, each with its own Engine.

Why not ``ProcessPoolExecutor``: a decoder crash on a hostile file kills a worker, and the executor
then fails every pending task ("broken pool"). Here each worker holds at most one task; when a worker
dies, that one file gets an error record, the worker is replaced and the scan goes on.

Workers are started with ``spawn`` (no inherited onnxruntime or OpenMP thread state) and each limits
its own thread pools to ``threads`` so N workers do not oversubscribe the cores.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from imgcheck.errors import ImgcheckError
from imgcheck.settings import Settings


@dataclass(frozen=True)
class EngineSpec:
    """What a worker needs to build its own Engine (an Engine itself cannot cross processes)."""

    bank: str | None
    settings: Settings

    @classmethod
    def of(cls, engine) -> EngineSpec:
        return cls(str(engine.bank.path) if engine.bank is not None else None, engine.settings)

    def build(self, threads: int = 0):
        """An Engine with ``threads`` intra-op threads per ONNX session and for OpenCV (0: default)."""
        from imgcheck.engine import Engine

        settings = replace(self.settings, intra_op_threads=threads) if threads else self.settings
        if threads:
            limit_threads(threads)
        return Engine(bank=Path(self.bank) if self.bank else None, settings=settings)


def limit_threads(threads: int) -> None:
    """Cap OpenCV and FAISS (OpenMP) thread pools of this process; call only in a worker process."""
    import cv2

    cv2.setNumThreads(threads)
    try:
        import faiss

        faiss.omp_set_num_threads(threads)
    except (ImportError, AttributeError):
        pass


def check_task(engine, checks: tuple[str, ...], source: str, data: bytes) -> dict[str, Any]:
    return engine.check(data, name=source, checks=checks).to_dict()


def _worker_main(conn: Connection, spec: EngineSpec, checks: tuple[str, ...], threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    try:
        engine = spec.build(threads)
    except ImgcheckError as exc:
        conn.send(("fatal", str(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        tid, source, data = msg
        conn.send(("done", (tid, check_task(engine, checks, source, data))))


@dataclass
class _Slot:
    proc: Any
    conn: Connection
    task: tuple[int, str] | None = None  # (task id, source) of the file the worker holds


class WorkerPool:
    """``workers`` processes, one task each at a time. ``submit`` needs an idle worker (``has_idle``);
    ``wait`` returns finished (task id, record) pairs, including error records for crashed workers."""

    def __init__(self, spec: EngineSpec, checks: tuple[str, ...], workers: int, threads: int) -> None:
        self._ctx = mp.get_context("spawn")
        self._args = (spec, checks, threads)
        self._slots: list[_Slot] = []
        try:
            for _ in range(workers):
                self._slots.append(self._start())
        except BaseException:
            self.close()
            raise

    def _start(self) -> _Slot:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, *self._args), daemon=True)
        proc.start()
        child.close()
        try:
            kind, payload = parent.recv()
        except EOFError:
            proc.join(5)
            raise ImgcheckError(f"a scan worker failed to start (exit code {proc.exitcode})") from None
        if kind == "fatal":
            proc.join(5)
            raise ImgcheckError(payload)
        return _Slot(proc, parent)

    def has_idle(self) -> bool:
        return any(s.task is None for s in self._slots)

    def busy(self) -> int:
        return sum(s.task is not None for s in self._slots)

    def submit(self, tid: int, source: str, data: bytes) -> None:
        slot = next(s for s in self._slots if s.task is None)
        slot.task = (tid, source)
        try:
            slot.conn.send((tid, source, data))
        except (BrokenPipeError, OSError):
            pass  # the worker died; wait() sees its sentinel and reports the task

    def wait(self, timeout: float | None = None) -> list[tuple[int, dict[str, Any] | None, str | None]]:
        """Finished tasks as (task id, record, None), or (task id, None, reason) when the worker died."""
        busy = [s for s in self._slots if s.task is not None]
        if not busy:
            return []
        waitables: list[Any] = [s.conn for s in busy] + [s.proc.sentinel for s in busy]
        ready = wait(waitables, timeout)
        out: list[tuple[int, dict[str, Any] | None, str | None]] = []
        for i, slot in enumerate(self._slots):
            if slot.task is None:
                continue
            tid, source = slot.task
            if slot.conn in ready or slot.proc.sentinel in ready:
                try:
                    if slot.conn.poll():
                        _kind, payload = slot.conn.recv()
                        slot.task = None
                        out.append((payload[0], payload[1], None))
                        continue
                except (EOFError, OSError):
                    pass
                if not slot.proc.is_alive():
                    code = slot.proc.exitcode
                    slot.conn.close()
                    self._slots[i] = self._start()
                    reason = (f"{source}: the checker process crashed on this file (exit code {code}); "
                              "the scan went on without it")
                    out.append((tid, None, reason))
        return out

    def close(self) -> None:
        for s in self._slots:
            try:
                if s.proc.is_alive():
                    s.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for s in self._slots:
            s.proc.join(2)
            if s.proc.is_alive():
                s.proc.terminate()
                s.proc.join(2)
            s.conn.close()
        self._slots = []
