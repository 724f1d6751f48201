"""Uploaded files: what the app receives from Gradio, and deleting them once a request is done.

Gradio stores each upload under its upload folder (``GRADIO_TEMP_DIR``) and keeps it until its cache
cleaner runs. imgcheck promises not to keep uploads, so every handler hands its inputs to an
``UploadPolicy`` when it is done. The policy deletes only files inside the upload root it was given
(never a file a library caller or a test passed by path) and never the files Gradio must keep
(the example photos it copied into the same folder).
"""

from __future__ import annotations

import os
import threading
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
        self._lock = threading.Lock()

    def update(self, *others: Iterable[Any]) -> None:
        items = [str(p) for other in others for p in other]
        with self._lock:
            for p in items:
                key = os.path.realpath(p)
                self._counts[key] = self._counts.get(key, 0) + 1
            super().update(items)

    def release(self, path: str) -> int:
        """One request is done with ``path``; return how many uploads of it are still pending."""
        key = os.path.realpath(path)
        with self._lock:
            left = self._counts.get(key, 0) - 1
            if left > 0:
                self._counts[key] = left
                return left
            self._counts.pop(key, None)
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
