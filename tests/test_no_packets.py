"""No packet leaves the machine, native libraries included: ``check``, ``scan`` and ``serve`` under strace.

The Python socket guard (tests/netguard) cannot see native code: onnxruntime's own telemetry client
resolved ``mobile.events.data.microsoft.com`` about 9 s after a session was created. Here every
process runs under ``strace -f -e trace=connect,sendto,sendmsg``; the test fails on any connect or
datagram to an address that is not loopback, and on anything sent to port 53 (DNS, a loopback stub
resolver included, since it forwards). A positive control shows the monitor does see the lookups of
an onnxruntime session created without imgcheck's switch.

Durations: the short variants run past onnxruntime's first two lookups (9 and 14 s), all five at
once (about the 30 s of the scan instead of some 85 s one after the other); the slow one
(``-m slow``) runs ``scan`` for 100 s, past every lookup seen (9, 14, 23, 44, 87 s).
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from served import REPO, guarded_env, make_bank, start_server

STRACE = shutil.which("strace")


@pytest.fixture(autouse=True)
def _strace_is_installed() -> None:
    """strace is part of the test setup (.ci/run installs it): without it these tests fail, never skip."""
    assert STRACE is not None, "strace is missing: apt-get install strace (as .ci/run does)"

FAMILY = re.compile(r"sa_family=(AF_INET6?)\b")
PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
ADDR = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


@dataclass(frozen=True)
class Destination:
    line: str
    address: str
    port: int

    @property
    def outbound(self) -> bool:
        if self.port == 53:
            return True  # DNS, even to a loopback stub resolver
        ip = ipaddress.ip_address(self.address)
        mapped = getattr(ip, "ipv4_mapped", None)
        return not (ip.is_loopback or ip.is_unspecified or (mapped is not None and mapped.is_loopback))


def destinations(trace: Path) -> list[Destination]:
    """Every inet destination in an strace log of connect/sendto/sendmsg."""
    found = []
    for line in trace.read_text(errors="replace").splitlines():
        fam, port, addr = FAMILY.search(line), PORT.search(line), ADDR.search(line)
        if fam and port and addr:
            found.append(Destination(line.strip(), addr.group(1) or addr.group(2), int(port.group(1))))
    return found


def outbound(trace: Path) -> list[str]:
    return [d.line for d in destinations(trace) if d.outbound]


def strace_cmd(trace: Path, cmd: list[str], seconds: float | None = None) -> list[str]:
    """``cmd`` under strace; with ``seconds``, interrupted (SIGINT, as Ctrl+C) after that long."""
    head = [STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace)]
    if seconds is not None:
        head += ["timeout", "-s", "INT", str(seconds)]
    return head + cmd


#: variables that onnxruntime's native library reads to keep its telemetry quiet on build servers
#: (names found in onnxruntime_pybind11_state*.so): with any of them set, as CI sets ``CI=true``,
#: the lookups never happen and these tests would pass whatever imgcheck does
CI_MARKERS = ("CI", "GITHUB_ACTIONS", "JENKINS_URL", "TF_BUILD")


def env_for(tmp: Path) -> dict[str, str]:
    """The guarded environment minus every offline switch and every CI marker: imgcheck must set the
    switches itself, and the lookups must happen as they do on a user's machine."""
    env = guarded_env(tmp)
    for k in ("ORT_DISABLE_TELEMETRY", "RAY_USAGE_STATS_ENABLED", "DO_NOT_TRACK", "HF_HUB_OFFLINE",
              "HF_HUB_DISABLE_TELEMETRY", "GRADIO_ANALYTICS_ENABLED", *CI_MARKERS):
        env.pop(k, None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def images(folder: Path, n: int) -> Path:
    """``n`` different photos-like files (distinct bytes, so none is a cached duplicate)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = np.asarray(Image.open(REPO / "examples" / "photos" / "coffee.png").convert("RGB").resize((480, 320)))
    rng = np.random.default_rng(7)
    for i in range(n):
        noisy = np.clip(base.astype(np.int16) + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(folder / f"img{i:04d}.jpg", quality=90)
    return folder


def control_run(tmp_path: Path) -> None:
    """Positive control: a bare onnxruntime session (no imgcheck) makes DNS lookups the test catches."""
    trace = tmp_path / "trace.txt"
    code = ("import time, onnxruntime as ort; ort.disable_telemetry_events(); "
            f"ort.InferenceSession({str(REPO / 'models' / 'blazeface_full_range.onnx')!r}, "
            "providers=['CPUExecutionProvider']); time.sleep(11)")
    env = env_for(tmp_path)
    p = subprocess.run(strace_cmd(trace, [sys.executable, "-c", code]), env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    seen = outbound(trace)
    assert seen and any(":53" in s or "htons(53)" in s for s in seen), trace.read_text()[-3000:]


def switch_run(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    code = ("import time, imgcheck, onnxruntime as ort; "
            f"ort.InferenceSession({str(REPO / 'models' / 'blazeface_full_range.onnx')!r}, "
            "providers=['CPUExecutionProvider']); time.sleep(11)")
    p = subprocess.run(strace_cmd(trace, [sys.executable, "-c", code]), env=env_for(tmp_path),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert outbound(trace) == []


def run_check(tmp_path: Path) -> None:
    folder = images(tmp_path / "photos", 150)
    trace = tmp_path / "check.txt"
    files = sorted(str(f) for f in folder.iterdir())
    t0 = time.monotonic()
    p = subprocess.run(strace_cmd(trace, [sys.executable, "-m", "imgcheck.cli", "check", "--json", *files],
                                  seconds=16),
                       env=env_for(tmp_path), capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    assert p.returncode in (0, 124), p.stderr[-3000:]  # 124: timeout interrupted it, as intended
    assert p.stdout.count('"verdict"') >= 3, p.stderr[-3000:]  # it was checking, not stuck starting
    assert took >= 15, f"check ended after {took:.1f} s, before the telemetry would have fired"
    assert outbound(trace) == [], "\n".join(outbound(trace))


def run_scan(tmp_path: Path, seconds: float) -> None:
    folder = images(tmp_path / "photos", 600 if seconds < 60 else 2000)
    trace = tmp_path / "scan.txt"
    out = tmp_path / "scan.jsonl"
    t0 = time.monotonic()
    p = subprocess.run(strace_cmd(trace, [sys.executable, "-m", "imgcheck.cli", "scan", "--out", str(out),
                                          str(folder)], seconds=seconds),
                       env=env_for(tmp_path), capture_output=True, text=True, timeout=seconds + 240)
    took = time.monotonic() - t0
    assert p.returncode == 124, (p.returncode, p.stderr[-3000:])  # timeout: still scanning when interrupted
    assert took >= seconds
    assert len(out.read_text().splitlines()) >= 5
    assert outbound(trace) == [], "\n".join(outbound(trace))




@pytest.mark.slow
def test_scan_sends_nothing_for_100_seconds(tmp_path):
    run_scan(tmp_path, 100)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] not in ("Z", "X")
    except OSError:
        return False


def stop_traced(server) -> None:
    """SIGTERM the server itself (strace detaches on SIGTERM and would leave it running), wait, and
    SIGKILL whatever is still alive, so no server outlives the test."""
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    pids = [int(x) for x in children.read_text().split()] if children.exists() else []
    for pid in pids:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
    end = time.monotonic() + 60
    while time.monotonic() < end and any(_alive(p) for p in pids):
        time.sleep(0.5)
    for pid in pids:
        if _alive(pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
    try:
        server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
    assert not any(_alive(p) for p in pids), "the traced server is still running"


def serve_run(tmp_path: Path, fixtures: Path = REPO / "tests" / "fixtures") -> None:
    from gradio_client import Client, handle_file

    bank = make_bank(tmp_path / "bank.sqlite", fixtures)
    trace = tmp_path / "serve.txt"
    server = start_server(tmp_path / "srv", bank,
                          prefix=[STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace)],
                          env=env_for(tmp_path / "srv"))
    try:
        t0 = time.monotonic()
        report = Client(server.url, verbose=False).predict(handle_file(str(fixtures / "obama.jpg")),
                                                           api_name="/check")
        assert report["verdict"] == "flagged"
        time.sleep(max(0.0, 16 - (time.monotonic() - t0)))  # past the 9 and 14 s lookups
    finally:
        stop_traced(server)
    assert destinations(trace), "the trace holds no inet traffic at all: was the server traced?"
    assert outbound(trace) == [], "\n".join(outbound(trace))


#: the short runs, started together by ``runs`` (each is bounded by its own clock, 11 to 30 s, not by
#: the CPU it gets, so running them side by side proves the same in the time of the longest)
SHORT_RUNS: dict[str, Callable[[Path], None]] = {
    "control": control_run, "switch": switch_run, "check": run_check,
    "scan": lambda tmp: run_scan(tmp, 30), "serve": serve_run,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Iterator[dict[str, Future]]:
    """Every short run started at once on its own thread and folder; a test waits for its own and gets
    its failure, if any."""
    assert STRACE is not None, "strace is missing: apt-get install strace (as .ci/run does)"
    with ThreadPoolExecutor(max_workers=len(SHORT_RUNS)) as pool:
        yield {name: pool.submit(job, tmp_path_factory.mktemp(f"strace-{name}"))
               for name, job in SHORT_RUNS.items()}


def test_the_monitor_sees_onnxruntime_telemetry_without_the_switch(runs):
    runs["control"].result()


def test_the_switch_stops_it(runs):
    runs["switch"].result()


def test_check_sends_nothing(runs):
    runs["check"].result()


def test_scan_sends_nothing(runs):
    runs["scan"].result()


def test_serve_with_one_check_sends_nothing(runs):
    runs["serve"].result()


def test_offline_switches_are_set_when_imgcheck_is_imported(tmp_path):
    code = ("import os, json, imgcheck; from imgcheck import offline; "
            "print(json.dumps({k: os.environ.get(k) for k in offline.SWITCHES}))")
    env = env_for(tmp_path)
    env["ORT_DISABLE_TELEMETRY"] = "0"  # a caller's "0" is overridden: the promise does not depend on it
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    import json

    got = json.loads(p.stdout)
    assert got == {"ORT_DISABLE_TELEMETRY": "1", "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                   "HF_HUB_DISABLE_TELEMETRY": "1", "RAY_USAGE_STATS_ENABLED": "0", "DO_NOT_TRACK": "1"}
