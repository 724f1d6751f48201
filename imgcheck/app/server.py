"""Launching the app safely: the settings ``imgcheck serve`` uses, in one place.

Why each setting: analytics and version checks would call out to the internet; uploads live in a
private temporary folder that is removed on exit (and each upload is deleted after its request);
no ``allowed_paths`` so only uploads and the app's own files can be served; a bounded queue with a
concurrency limit so a burst of requests cannot exhaust memory; 127.0.0.1 unless ``--host``; at
most ``MALLOC_ARENAS`` glibc malloc arenas (see ``limit_malloc_arenas``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgcheck.errors import InputError
from imgcheck.load import Limits
from imgcheck.settings import SERVE_CONCURRENCY

log = logging.getLogger(__name__)

#: largest upload accepted: the loader's byte cap when a bank editor or moderator uses the app,
#: a smaller one for a public demo
PRIVATE_MAX_FILE_SIZE = Limits().max_bytes
PUBLIC_MAX_FILE_SIZE = 20 * 1024 * 1024
#: one upload request may carry this many largest-size files' worth of bytes (a profile, a batch)
REQUEST_FILES = 3
#: bytes all stored uploads of a public demo may hold at once (30 parallel 19 MB uploads stored
#: 681 MB before this cap)
PUBLIC_MAX_STORAGE = 200 * 1024 * 1024


#: glibc malloc arenas the server may use (glibc's default on 64-bit: 8 per core)
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas; True when the cap was set (False off glibc, e.g. macOS or musl).

    Why: Gradio runs each request on a thread of a pool of up to 40, and glibc gives each thread
    that allocates its own arena (up to 8 per core), whose freed memory it seldom returns. Under 20
    concurrent clients the server's memory climbed in steps as new threads took new arenas: +2% to
    +9% from request 100 to 1,000 on an idle machine (three runs) and +30% on a busy one. With 2
    arenas the same run grew 1.9% to 6.3% and started ~80 MB lower, at the same latency
    (docs/hardening.md). Call before the request threads exist: arenas already made are kept.
    """
    name = ctypes.util.find_library("c")
    if not name or not hasattr(os, "confstr"):
        return False
    try:
        if "glibc" not in (os.confstr("CS_GNU_LIBC_VERSION") or ""):
            return False
        return bool(ctypes.CDLL(name).mallopt(_M_ARENA_MAX, int(arenas)))
    except (OSError, ValueError, AttributeError):
        return False


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 7860
    auth: tuple[tuple[str, str], ...] = ()
    public: bool = False
    #: requests waiting in the queue beyond this are refused with "queue full"
    queue_size: int = 32
    #: checks running at once (each uses the engine's ONNX sessions)
    concurrency: int = SERVE_CONCURRENCY
    max_file_size: int | None = None
    #: all files of one upload request together (None: the default for the mode)
    max_request_size: int | None = None
    #: bytes all stored uploads may hold at once; None: PUBLIC_MAX_STORAGE in --public, no cap otherwise
    max_upload_storage: int | None = None
    #: uploads that no request has started checking after this many seconds are deleted
    upload_ttl_s: float = 60.0

    @property
    def file_size_limit(self) -> int:
        if self.max_file_size is not None:
            return self.max_file_size
        return PUBLIC_MAX_FILE_SIZE if self.public else PRIVATE_MAX_FILE_SIZE

    @property
    def request_size_limit(self) -> int:
        if self.max_request_size is not None:
            return self.max_request_size
        return REQUEST_FILES * self.file_size_limit

    @property
    def storage_limit(self) -> int | None:
        if self.max_upload_storage is not None:
            return self.max_upload_storage
        return PUBLIC_MAX_STORAGE if self.public else None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    h = host.strip().strip("[]").lower()
    if h in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def parse_auth(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise InputError("--auth takes USER:PASSWORD")
    return user.strip(), password


def read_auth_file(path: Path) -> tuple[tuple[str, str], ...]:
    """One ``user:password`` per line; blank lines and lines starting with # are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the auth file {path}: {exc}") from exc
    users = tuple(
        parse_auth(line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")
    )
    if not users:
        raise InputError(f"the auth file {path} lists no user:password lines")
    return users


def quiet_environment(temp_root: Path) -> None:
    """Process settings for a server that calls nobody: set before Gradio builds anything."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["GRADIO_TEMP_DIR"] = str(temp_root / "uploads")
    os.environ["GRADIO_RUN_HISTORY"] = "False"


def _ui():
    from imgcheck.app import ui

    return ui


def launch_kwargs(opts: ServeOptions, engine=None, registry=None) -> dict[str, Any]:
    """``registry``: the app's UploadRegistry (``blocks.upload_file_set``), for the storage cap."""
    from starlette.middleware import Middleware

    from imgcheck.app.guard import OfflineGuard, QuietErrors, UploadLimits

    # Gradio would fetch remote URLs named in file= routes and API file arguments (app/guard.py);
    # upload caps per request and in total, no run-history routes (app/guard.py)
    middleware = [Middleware(QuietErrors), Middleware(OfflineGuard),
                  Middleware(UploadLimits, registry=registry, max_request=opts.request_size_limit,
                             max_total=opts.storage_limit)]
    limiter = None
    if opts.auth:
        # failed-login limits with lockout, session expiry (app/login.py); one limiter for the app's
        # /login and the HMA routes' Basic credentials
        from imgcheck.app.login import LoginGuard, LoginLimiter

        limiter = LoginLimiter()
        middleware.append(Middleware(LoginGuard, limiter=limiter))
    if engine is not None and opts.auth and not opts.public:
        # HMA 2.0's matcher API for platform backends (app/hma.py): behind the login, never public
        from imgcheck.app.hma import HmaMiddleware

        middleware.append(Middleware(HmaMiddleware, engine=engine, users=opts.auth,
                                     max_upload=opts.file_size_limit, limiter=limiter))
    return {
        "app_kwargs": {"middleware": middleware},
        "server_name": opts.host,
        "server_port": opts.port,
        "auth": list(opts.auth) or None,
        "auth_message": "Log in to use imgcheck." if opts.auth else None,
        "share": False,
        "quiet": True,  # no "Running on local URL" / "set share=True" lines: ``imgcheck serve`` says where it runs
        "inbrowser": False,
        "show_error": False,
        "max_file_size": opts.file_size_limit,
        "allowed_paths": None,
        "enable_monitoring": False,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "strict_cors": True,
        "footer_links": ["api"],
        # no run history: it kept every check, photo preview included, in the browser's storage, and
        # its routes could write runs to a Hub bucket (docs/hardening.md)
        "run_history": False,
        # French and English: Gradio translates the fixed texts from the browser's language; the page
        # CSS and script show the chosen language of the rendered results (imgcheck/app/ui.py)
        "i18n": _ui().page_i18n(opts.public),
        "css": _ui().PAGE_CSS,
        "js": _ui().PAGE_JS,
    }


def start_warm_up(engine, on_done=None) -> threading.Thread:
    """Load models in the background so the first user check does not pay for it; ``on_done(seconds)``
    is called once they are loaded (not when the warm-up failed)."""
    from imgcheck.app.handlers import warm_up

    def run() -> None:
        try:
            seconds = warm_up(engine)
        except Exception:  # warm-up is an optimisation; the first check will say what failed
            log.exception("warm-up failed")
            return
        log.info("models warmed up in %.1f s", seconds)
        if on_done is not None:
            on_done(seconds)

    t = threading.Thread(target=run, name="imgcheck-warm-up", daemon=True)
    t.start()
    return t


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def build_served_app(engine, opts: ServeOptions, temp_root: Path):
    """The app as ``serve`` runs it: its queue and every engine event limited to ``opts.concurrency``."""
    from imgcheck.app.ui import build_app

    blocks = build_app(
        engine,
        public=opts.public,
        auth=opts.auth or None,
        work_dir=temp_root / "work",
        upload_root=temp_root / "uploads",
        concurrency=opts.concurrency,
    )
    return blocks.queue(max_size=opts.queue_size, default_concurrency_limit=opts.concurrency)


def serve(engine, opts: ServeOptions, *, block: bool = True, on_ready=None, on_warm=None):
    """Build and launch the app; with ``block`` wait until Ctrl+C, then remove every temporary file.
    ``on_ready(url)`` once it listens; ``on_warm(seconds)`` once the models are loaded."""
    limit_malloc_arenas()
    temp_root = Path(tempfile.mkdtemp(prefix="imgcheck-serve-"))
    quiet_environment(temp_root)
    start_warm_up(engine, on_warm)
    blocks = build_served_app(engine, opts, temp_root)
    if block and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop cleans up like Ctrl+C
    from imgcheck.app.ui import _keep_set
    from imgcheck.app.uploads import Sweeper

    registry = blocks.upload_file_set
    sweeper = Sweeper(registry, temp_root / "uploads", opts.upload_ttl_s, keep=_keep_set(blocks)).start()
    try:
        blocks.launch(prevent_thread_lock=True, **launch_kwargs(opts, engine, registry))
        if on_ready is not None:
            on_ready(blocks.local_url)
        if block:
            blocks.block_thread()
    finally:
        if block:
            sweeper.stop()
            blocks.close()
            shutil.rmtree(temp_root, ignore_errors=True)
    return blocks, temp_root
