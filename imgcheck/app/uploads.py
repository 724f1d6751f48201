"""Uploaded files: what the app receives from Gradio, and deleting them once a request is done.

Gradio stores each upload under its upload folder (``GRADIO_TEMP_DIR``) and keeps it until its cache
cleaner runs. imgcheck promises not to keep uploads, so every handler hands its inputs to an
``UploadPolicy`` when it is done. The policy deletes only files inside the upload root it was given
(never a file a library caller or a test passed by path) and never the files Gradio must keep
(the example photos it copied into the same folder).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgcheck.errors import InputError


@dataclass(frozen=True)
class Upload:
    """One received file: where it is on disk and the name the user gave it."""

    path: str
    name: str


def as_uploads(value: Any) -> list[Upload]:
    """Normalise what Gradio passes (a path, a FileData dict, or a list of either) to Uploads.

    Events run with ``preprocess=False`` receive FileData dicts, which carry the original file name;
    a plain path (a library caller, a test) is named by its base name.
    """
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [u for v in value for u in as_uploads(v)]
    if isinstance(value, (str, os.PathLike)):
        p = str(value)
        return [Upload(p, Path(p).name)]
    if isinstance(value, dict):
        path = value.get("path")
        if not path:
            raise InputError("the upload did not arrive; please try again")
        return [Upload(str(path), str(value.get("orig_name") or Path(str(path)).name))]
    path = getattr(value, "path", None) or getattr(value, "name", None)
    if path:
        return [Upload(str(path), str(getattr(value, "orig_name", None) or Path(str(path)).name))]
    raise InputError(f"unexpected upload value of type {type(value).__name__}")


class UploadRegistry(set):
    """Gradio's set of uploaded paths, counting how many uploads produced each path.

    Why: Gradio stores an upload under a folder named by its content, so two users sending the same
    photo at the same time share one file; deleting it after the first request made the second one
    fail ("no longer on the server"). Installed as ``blocks.upload_file_set`` (which Gradio's upload
    route updates), it lets ``UploadPolicy`` delete a file only when its last request is done.
    """

    def __init__(self) -> None:
        super().__init__()
        self._counts: dict[str, int] = {}
        self._added: dict[str, float] = {}   # when each path was last uploaded (monotonic)
        self._active: dict[str, int] = {}    # requests checking each path right now
        self._reserved = 0                    # bytes of uploads being received (UploadLimits)
        self._lock = threading.Lock()

    def update(self, *others: Iterable[Any]) -> None:
        items = [str(p) for other in others for p in other]
        now = time.monotonic()
        with self._lock:
            for p in items:
                key = os.path.realpath(p)
                self._counts[key] = self._counts.get(key, 0) + 1
                self._added[key] = now
            super().update(items)

    # -- requests using an upload, and uploads nobody checked ------------------------------------
    def hold(self, path: str) -> None:
        key = os.path.realpath(path)
        with self._lock:
            self._active[key] = self._active.get(key, 0) + 1

    def unhold(self, path: str) -> None:
        key = os.path.realpath(path)
        with self._lock:
            left = self._active.get(key, 0) - 1
            if left > 0:
                self._active[key] = left
            else:
                self._active.pop(key, None)

    def stale(self, max_age: float, now: float | None = None) -> list[str]:
        """Uploaded paths older than ``max_age`` seconds that no request is checking."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return [k for k, t in self._added.items() if now - t > max_age and k not in self._active]

    def forget(self, path: str) -> None:
        """Drop every count of ``path`` (it was deleted unchecked)."""
        key = os.path.realpath(path)
        with self._lock:
            self._counts.pop(key, None)
            self._added.pop(key, None)
            self.difference_update({path, key})

    def stored_bytes(self) -> int:
        with self._lock:
            keys = list(self._counts)
        total = 0
        for k in keys:
            try:
                total += os.path.getsize(k)
            except OSError:
                continue
        return total

    def reserve(self, n: int, cap: int | None) -> bool:
        """Reserve ``n`` bytes for an upload being received; False when ``cap`` would be exceeded."""
        stored = self.stored_bytes() if cap is not None else 0
        with self._lock:
            if cap is not None and stored + self._reserved + n > cap:
                return False
            self._reserved += n
            return True

    def unreserve(self, n: int) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - n)

    def release(self, path: str) -> int:
        """One request is done with ``path``; return how many uploads of it are still pending."""
        key = os.path.realpath(path)
        with self._lock:
            left = self._counts.get(key, 0) - 1
            if left > 0:
                self._counts[key] = left
                return left
            self._counts.pop(key, None)
            self._added.pop(key, None)
            self.difference_update({path, key})  # Gradio never prunes deleted paths itself
            return 0


@dataclass
class UploadPolicy:
    """Deletes finished uploads found under ``root``; ``root=None`` deletes nothing."""

    root: Path | None = None
    #: paths Gradio must keep (example photos); a callable so it sees files added after build
    keep: Callable[[], Iterable[str]] = field(default=lambda: ())
    #: upload counts (see UploadRegistry); None: every finished upload is deleted at once
    registry: UploadRegistry | None = None

    def received(self, value: Any) -> list[Upload]:
        """``as_uploads`` plus the check that each file really is an upload (under ``root``).

        Why: an API caller can send a file argument whose ``path`` names any file on the server
        (Gradio checks only arguments that carry its ``meta`` marker); without this check the app
        would read and report on server files. ``root=None`` (library use, tests) checks nothing.
        """
        ups = as_uploads(value)
        if self.root is None:
            return ups
        root = self.root.resolve()
        for up in ups:
            p = Path(up.path).resolve()
            if not p.is_relative_to(root) or p == root:
                raise InputError(f"{up.name}: only files uploaded to this app can be checked")
        for up in ups:
            if not Path(up.path).is_file():
                raise InputError(f"{up.name} is no longer on the server (uploads not checked within a minute "
                                 "are deleted); please upload it again")
        if self.registry is not None:
            for up in ups:
                self.registry.hold(up.path)  # the sweeper leaves it alone until discard()
        return ups

    def discard(self, uploads: Iterable[Upload]) -> int:
        """Delete each upload (and its now-empty per-upload folder); return how many were deleted."""
        if self.root is None:
            return 0
        root = self.root.resolve()
        keep = {str(Path(k).resolve()) for k in self.keep()}
        n = 0
        for up in uploads:
            p = Path(up.path).resolve()
            if str(p) in keep or not p.is_relative_to(root) or p == root:
                continue
            if self.registry is not None:
                self.registry.unhold(up.path)
            if self.registry is not None and self.registry.release(up.path) > 0:
                continue  # the same photo was uploaded again for a request still to run
            try:
                p.unlink()
                n += 1
            except FileNotFoundError:
                continue
            except OSError:
                continue
            parent = p.parent
            if parent != root and parent.is_relative_to(root):
                try:
                    parent.rmdir()  # Gradio puts each upload in its own folder; only empty ones go
                except OSError:
                    pass
        return n


#: an empty upload folder younger than this may still be getting its file, so it stays (Gradio moves a finished
#: upload into its folder in one step, so the sweeper also removes one older than a shorter TTL)
EMPTY_FOLDER_GRACE_S = 10.0

#: Gradio names each upload's folder by a hex digest of it
_HASH_DIR = re.compile(r"^[0-9a-f]{32,128}$")


def sweep(registry: UploadRegistry, root: Path, max_age: float, *, empty_grace: float = EMPTY_FOLDER_GRACE_S,
          keep: Callable[[], Iterable[str]] = lambda: (), now: float | None = None) -> int:
    """Delete uploads nobody checked within ``max_age`` seconds, and empty upload folders older than
    ``empty_grace`` (Gradio makes one folder per upload, named by its hash, and can leave it empty).
    Returns how many files were deleted."""
    root = Path(root).resolve()
    kept = {str(Path(k).resolve()) for k in keep()}
    n = 0
    for key in registry.stale(max_age, now):
        p = Path(key)
        if str(p) in kept or not p.is_relative_to(root) or p == root:
            registry.forget(key)
            continue
        try:
            p.unlink()
            n += 1
        except FileNotFoundError:
            pass
        except OSError:
            continue
        registry.forget(key)
    wall = time.time()
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        d = Path(dirpath)
        if d == root or filenames or not _HASH_DIR.match(d.name):
            continue  # only Gradio's per-upload folders (named by a hash), never its own folders
        try:
            if not any(d.iterdir()) and wall - d.stat().st_mtime > empty_grace:
                d.rmdir()
        except OSError:
            continue
    return n


class Sweeper:
    """A daemon thread running ``sweep`` every ``every`` seconds until ``stop()``."""

    def __init__(self, registry: UploadRegistry, root: Path, max_age: float, every: float | None = None,
                 keep: Callable[[], Iterable[str]] = lambda: ()) -> None:
        self._args = (registry, root, max_age)
        self._keep = keep
        # a short TTL is swept as often as it needs: at least twice per TTL, at most every 5 s
        self._every = every if every is not None else max(0.5, min(5.0, max_age / 2))
        self._empty_grace = min(EMPTY_FOLDER_GRACE_S, max_age)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imgcheck-upload-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                sweep(*self._args, empty_grace=self._empty_grace, keep=self._keep)
            except Exception:  # noqa: BLE001 - the sweeper must outlive one odd file
                continue

    def stop(self) -> None:
        self._stop.set()
