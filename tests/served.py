"""Start ``imgcheck serve`` in a subprocess for reliability tests (privacy, access, load).

The server runs with the network guard (tests/netguard) on PYTHONPATH, its own TMPDIR and user
folders, so a test can inspect every file the server left behind and every outbound attempt.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

TESTS = Path(__file__).parent
REPO = TESTS.parent


def free_port() -> int:
    """A port the OS had free a moment ago (bind port 0). Another process may take it before the
    server binds it: start servers with ``launch_on_free_port``, which talks to a server only once the
    server itself said it listens there, and starts it again on a fresh port when it could not bind."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: what a server's log says when the port was taken between ``free_port`` and its bind
PORT_TAKEN = ("Cannot find empty port", "Address already in use", "address already in use")


def launch_on_free_port(command: list[str], log_path: Path, env: dict[str, str], cwd: Path,
                        tries: int = 5) -> tuple[subprocess.Popen, int]:
    """Start ``command + ["--port", N]`` on a port from the OS (bind port 0); if the server exits
    because another process took that port first, start it again on a fresh one.

    The port counts as ours only when the server's own log names it in its "running at" line, not
    when something answers on it: a process that took the port in between would answer too."""
    for _ in range(tries):
        port = free_port()
        with open(log_path, "w") as log:
            proc = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                    env=env, cwd=cwd)
        while proc.poll() is None:
            if _says_it_listens(log_path, port) and _listening(port):
                return proc, port
            time.sleep(0.2)
        if not any(s in log_path.read_text(errors="replace") for s in PORT_TAKEN):
            return proc, port  # exited for another reason: the caller reports the log
    raise RuntimeError(f"no free port after {tries} tries: " + log_path.read_text(errors="replace"))


def _says_it_listens(log_path: Path, port: int) -> bool:
    """The server's ready line (``cli.serving``: "imgcheck is running at http://127.0.0.1:PORT/ ...")."""
    log = log_path.read_text(errors="replace")
    return any(f"{host}:{port}/" in log for host in ("127.0.0.1", "localhost", "0.0.0.0"))


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def guarded_env(tmp: Path) -> dict[str, str]:
    """Environment for a guarded child: fresh user folders and TMPDIR, the guard on PYTHONPATH.

    GRADIO_* variables of the caller are dropped on purpose: the server must turn analytics off itself.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIO_", "HF_"))}
    for sub in ("data", "cache", "tmp"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        TMPDIR=str(tmp / "tmp"),
        IMGCHECK_NETGUARD_LOG=str(tmp / "netguard.log"),
        OMP_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join([str(TESTS / "netguard"), *filter(None, [env.get("PYTHONPATH")])]),
    )
    return env


def outbound_attempts(tmp: Path) -> list[dict]:
    log = tmp / "netguard.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@dataclass
class Server:
    url: str
    tmp: Path
    bank: Path
    proc: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def temp_files(self) -> list[Path]:
        """Every file under the server's temporary folders (uploads, work)."""
        # os.walk, not rglob: the server's upload sweeper may remove a folder while we look
        return [Path(d) / f for d, _, files in os.walk(self.tmp / "tmp") for f in files]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(tmp: Path, bank: Path, *args: str, timeout: float = 240, prefix: list[str] | None = None,
                 env: dict[str, str] | None = None) -> Server:
    """``prefix``: a command the server runs under (e.g. strace); ``env``: instead of ``guarded_env``."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = env if env is not None else guarded_env(tmp)
    log_path = tmp / "serve.log"
    proc, port = launch_on_free_port(
        [*(prefix or []), sys.executable, "-m", "imgcheck.cli", "serve", "--bank", str(bank), *args],
        log_path, env, REPO)
    server = Server(f"http://127.0.0.1:{port}", tmp, bank, proc, log_path, env)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError("imgcheck serve exited: " + server.log())
        try:
            with urlopen(server.url + "/", timeout=2):
                return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("imgcheck serve did not start: " + server.log()) from None
            time.sleep(0.5)


def start_servers(specs: dict[str, tuple[Path, Path, tuple[str, ...]]]) -> dict[str, Server]:
    """Several servers started in parallel (each takes a while to import Gradio): name ->
    (folder, bank, serve arguments). If any fails to start, the others are stopped and its error
    is raised here, in the test's thread."""
    started: dict[str, Server] = {}
    errors: list[BaseException] = []

    def start(name: str, folder: Path, bank: Path, args: tuple[str, ...]) -> None:
        try:
            started[name] = start_server(folder, bank, *args)
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(name, *spec)) for name, spec in specs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for s in started.values():
            s.stop()
        raise errors[0]
    return started


def make_bank(path: Path, fixtures: Path) -> Path:
    from imgcheck import Engine

    eng = Engine(bank=path)
    for f, label in [("obama.jpg", "Barack Obama"), ("astronaut.png", "Eileen Collins")]:
        eng.add_to_bank(fixtures / f, label, "celebrity", f"tests/fixtures/{f}")
    eng.bank.close()
    return path


def copy_as(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)
    return dest
