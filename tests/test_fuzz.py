"""Bounded fuzzing of the loader, header walkers, metadata parsers and cheap checks (tests/fuzz_inputs.py),
run in a capped subprocess so that a decoder crash or hang fails the test instead of killing pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from capped import limit_memory

FUZZ = Path(__file__).parent / "fuzz_inputs.py"
MEM_CAP = int(2.5 * 2**30)


def run_fuzz(out: Path, *args: str, timeout: float) -> str:
    try:
        proc = subprocess.run(
            [sys.executable, str(FUZZ), *args, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit_memory(MEM_CAP),
            check=False,
        )
    except subprocess.TimeoutExpired:
        current = out / "current_input.bin"
        pytest.fail(f"fuzzing hung; the input being processed is {current}")
    if proc.returncode < 0:
        pytest.fail(
            f"fuzzing crashed (signal {-proc.returncode}); input: {out / 'current_input.bin'}\n"
            f"{proc.stderr[-3000:]}"
        )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def test_fuzz_short(tmp_path):
    """By count with a fixed seed (the same inputs every run, whatever the machine's speed): 150
    mutated files per target, none breaking a property."""
    summary = run_fuzz(tmp_path / "fuzz", "--examples", "150", "--seed", "0", timeout=900)
    print("\nfuzz:", summary)
    counts = dict(kv.split("=") for kv in summary.split())
    assert counts["failures"] == "0"
    assert all(int(counts[t]) >= 150 for t in ("load", "walkers", "metadata", "engine")), counts


@pytest.mark.slow
def test_fuzz_long(tmp_path):
    """The documented long run (15 min); for an hour: python tests/fuzz_inputs.py --seconds 3600."""
    summary = run_fuzz(tmp_path / "fuzz", "--seconds", "900", timeout=900 + 180)
    print("\nfuzz:", summary)
    assert "failures=0" in summary
