"""``imgcheck serve`` caps glibc's malloc arenas (why: ``limit_malloc_arenas``; the load test in
test_serve_hardening.py shows the effect on memory). Here: the cap really limits the arenas that
many allocating threads get, counted by glibc's own ``malloc_stats``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROGRAM = r"""
import ctypes, ctypes.util, sys, threading
import numpy as np
from imgcheck.app.server import limit_malloc_arenas
if sys.argv[1] == "cap":
    assert limit_malloc_arenas(2)
barrier = threading.Barrier(8)
def work():
    barrier.wait()  # all threads allocate at once, so glibc hands out arenas
    keep = [np.ones(1000) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()  # one "Arena N:" block per arena, on stderr
"""

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or "glibc" not in (os.confstr("CS_GNU_LIBC_VERSION") or ""),
    reason="malloc arenas are a glibc feature")


def arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    p = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, env=env,
                       timeout=120, check=True)
    return sum(line.startswith("Arena ") for line in p.stderr.splitlines())


@glibc
def test_cap_limits_arenas_of_many_threads():
    assert arenas("cap") <= 2
    assert arenas("nocap") > 2  # the cap is what makes the difference, not this machine
