"""Worker processes for local parallel scans, each with its own Engine.

Why not ``ProcessPoolExecutor``: a decoder crash on a hostile file kills a worker, and the executor
then fails every pending task ("broken pool"). Here each worker holds at most two files; when a
worker dies, the file it was on gets an error record, the one queued behind it goes to the worker's
replacement, and the scan goes on.

Workers are started with ``spawn`` (no inherited onnxruntime or OpenMP thread state) and each limits
its own thread pools to ``threads`` so N workers do not oversubscribe the cores.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import threading
from dataclasses import dataclass, field, replace
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
    # a reader thread drains the pipe into a local queue, so the parent's send never blocks on
    # us while we block sending a result to it (no deadlock with more than one task queued)
    tasks: queue.Queue = queue.Queue()

    def read() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = None
            tasks.put(msg)
            if msg is None:
                return

    threading.Thread(target=read, name="imgcheck-worker-reader", daemon=True).start()
    while True:
        msg = tasks.get()
        if msg is None:
            return
        tid, source, data = msg
        conn.send(("done", (tid, check_task(engine, checks, source, data))))


@dataclass
class _Slot:
    proc: Any
    conn: Connection
    #: task id -> (source, bytes) of the files sent to this worker, oldest first (it works in order)
    tasks: dict[int, tuple[str, bytes]] = field(default_factory=dict)


class WorkerPool:
    """``workers`` processes with up to ``depth`` files queued each (the next file is already there
    when one finishes, which hides the parent's read-and-dispatch latency on a busy machine).
    ``submit`` needs room (``has_idle``); ``wait`` returns finished tasks, including an error for the
    file a crashed worker was on (the files queued behind it go to its replacement)."""

    def __init__(self, spec: EngineSpec, checks: tuple[str, ...], workers: int, threads: int,
                 depth: int = 2) -> None:
        self._ctx = mp.get_context("spawn")
        self._args = (spec, checks, threads)
        self._depth = max(1, depth)
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
        return any(len(s.tasks) < self._depth for s in self._slots)

    def busy(self) -> int:
        return sum(len(s.tasks) for s in self._slots)

    def submit(self, tid: int, source: str, data: bytes) -> None:
        slot = min(self._slots, key=lambda s: len(s.tasks))
        self._send(slot, tid, source, data)

    @staticmethod
    def _send(slot: _Slot, tid: int, source: str, data: bytes) -> None:
        slot.tasks[tid] = (source, data)
        try:
            slot.conn.send((tid, source, data))
        except (BrokenPipeError, OSError):
            pass  # the worker died; wait() sees its sentinel and reports the task

    def wait(self, timeout: float | None = None) -> list[tuple[int, dict[str, Any] | None, str | None]]:
        """Finished tasks as (task id, record, None), or (task id, None, reason) when the worker died."""
        busy = [s for s in self._slots if s.tasks]
        if not busy:
            return []
        ready = wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], timeout)
        out: list[tuple[int, dict[str, Any] | None, str | None]] = []
        for i, slot in enumerate(self._slots):
            if not slot.tasks or (slot.conn not in ready and slot.proc.sentinel not in ready):
                continue
            try:
                while slot.tasks and slot.conn.poll():
                    _kind, (tid, record) = slot.conn.recv()
                    slot.tasks.pop(tid, None)
                    out.append((tid, record, None))
            except (EOFError, OSError):
                pass
            if slot.tasks and not slot.proc.is_alive():
                code = slot.proc.exitcode
                slot.conn.close()
                pending = list(slot.tasks.items())
                new = self._slots[i] = self._start()
                (tid, (source, _)), rest = pending[0], pending[1:]
                reason = (f"{source}: the checker process crashed on this file (exit code {code}); "
                          "the scan went on without it")
                out.append((tid, None, reason))
                for tid, (source, data) in rest:
                    self._send(new, tid, source, data)
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
