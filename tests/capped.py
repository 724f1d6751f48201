"""Run a worker subprocess under a memory cap and per-item time caps, restarting it after a crash.

The worker prints ``READY`` once, then ``START key`` before each item and one JSON line after it.
A crash (signal, MemoryError, non-zero exit) or an item that takes longer than its time cap is
charged to the item that was started last; the worker is restarted after it. This keeps the hostile
corpus to one interpreter start-up per crash instead of one per case.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Outcome:
    results: dict[int, dict] = field(default_factory=dict)
    #: item index -> what went wrong ("killed by signal 9", "took more than 20 s", ...)
    failures: dict[int, str] = field(default_factory=dict)
    restarts: int = 0


def limit_memory(max_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.nice(5)

    return apply


def run_capped(
    argv_from: Callable[[int], list[str]],
    n_items: int,
    *,
    mem_bytes: int,
    item_secs: float,
    start_secs: float = 120.0,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run ``argv_from(first_index)`` until it has reported every item (or failed on it)."""
    out = Outcome()
    first = 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    while first < n_items:
        proc = subprocess.Popen(
            [sys.executable, *argv_from(first)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=limit_memory(mem_bytes),
            env=env,
        )
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        current: int | None = None
        deadline = time.monotonic() + start_secs
        buf = b""
        ended = False
        while not ended:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                proc.kill()
                what = f"took more than {item_secs:.0f} s" if current is not None else "worker did not start"
                break
            if not sel.select(timeout):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                if text == "READY":
                    deadline = time.monotonic() + item_secs
                elif text.startswith("START "):
                    current = int(text.split()[1])
                    deadline = time.monotonic() + item_secs
                elif text == "DONE":
                    ended = True
                elif text.startswith("{"):
                    res = json.loads(text)
                    out.results[res["i"]] = res
                    current = None
        sel.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read().decode(errors="replace")[-2000:]
        proc.stdout.close()
        proc.stderr.close()
        if ended and proc.returncode == 0:
            break
        if current is None:
            if ended or proc.returncode == 0:
                break
            raise RuntimeError(f"worker failed outside any item (rc {proc.returncode}): {stderr}")
        if time.monotonic() < deadline:
            what = (
                f"killed by signal {-proc.returncode}"
                if proc.returncode < 0
                else f"exit code {proc.returncode}"
            )
        out.failures[current] = f"{what}; stderr tail: {stderr[-600:]}"
        out.restarts += 1
        first = current + 1
    return out
