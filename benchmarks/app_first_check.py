"""How soon does a freshly started ``imgcheck serve`` answer its first check?

Starts ``imgcheck serve`` in a subprocess on the bundled example bank (built beforehand, in a
private cache folder, and not timed), then measures:

- process start -> the server answers HTTP (Python, Gradio and imgcheck imports, app build);
- server answering -> first ``/check`` answered through gradio_client (what a user who opens the
  page as soon as it loads waits for: models load in the background from the moment the app starts);
- the same check once the app is warm (median of 5), the baseline the first check is compared to.

Run: ``python benchmarks/app_first_check.py [--photo examples/photos/stolen_astronaut.jpg]``
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), to read start-up cost apart from machine load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", type=Path, default=REPO / "examples" / "photos" / "stolen_astronaut.jpg")
    args = ap.parse_args()
    from gradio_client import Client, handle_file

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_DATA_HOME=f"{tmp}/data", XDG_CACHE_HOME=f"{tmp}/cache", TMPDIR=tmp)
        # build the example bank first so its one-off build is not counted as start-up
        subprocess.run([sys.executable, "-m", "imgcheck.cli", "check", str(args.photo)], env=env, cwd=REPO,
                       capture_output=True, check=False)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "imgcheck.cli", "serve", "--port", str(port)], env=env,
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                if proc.poll() is not None:
                    sys.exit("imgcheck serve exited early")
                try:
                    with urlopen(url, timeout=1):
                        break
                except OSError:
                    time.sleep(0.05)
            t_up = time.perf_counter()
            cpu_up = cpu_seconds(proc.pid)
            client = Client(url, verbose=False)
            first = client.predict(handle_file(str(args.photo)), api_name="/check")
            t_first = time.perf_counter()
            cpu_first = cpu_seconds(proc.pid)
            warm = []
            for _ in range(5):
                t = time.perf_counter()
                client.predict(handle_file(str(args.photo)), api_name="/check")
                warm.append(time.perf_counter() - t)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    warm_s = statistics.median(warm)
    load = os.getloadavg()[0]
    print(f"photo: {args.photo.name} -> verdict {first['verdict']}; checks: "
          f"{', '.join(e['check'] for e in first['evidence'])}")
    print(f"process start -> server answers HTTP:     {t_up - t0:6.2f} s")
    print(f"server answers -> first check answered:   {t_first - t_up:6.2f} s  (target: under 5 s)")
    print(f"process start -> first check answered:    {t_first - t0:6.2f} s")
    print(f"warm check (median of 5, baseline):       {warm_s:6.2f} s")
    print(f"first check / warm check:                 {(t_first - t_up) / warm_s:6.2f}x")
    if cpu_up is not None and cpu_first is not None:
        print(f"server CPU time until it answers HTTP:    {cpu_up:6.2f} s  (machine load average {load:.1f} "
              f"on {os.cpu_count()} cores)")
        print(f"server CPU time until first check done:   {cpu_first:6.2f} s  (warm-up thread included)")


if __name__ == "__main__":
    main()
