"""Turn scan inputs (folders, zip files, path listings, image files) into a stream of items.

Everything here is a generator: a folder of a million files or a listing of a million paths is
walked one entry at a time, never held in memory. Zip files are read in place (nothing is extracted
to disk); an entry that looks like a zip bomb or a path-traversal attempt becomes an item carrying
an error, so the scan records a clear reason and goes on.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from imgcheck.errors import InputError
from imgcheck.load import Limits, read_source, sniff_format

#: file name suffixes read as listings of paths (one per line)
LIST_SUFFIXES = frozenset({".txt", ".lst", ".list"})
#: separator between a zip file and an entry inside it in a record's ``source``
ZIP_SEP = "!"
#: names that say "image"; a file found in a folder or zip with another name is scanned only when its
#: first bytes are an image's (so SOURCES.md or bank.json beside the photos are skipped, not errors)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".tif", ".tiff",
                            ".bmp", ".dib", ".heic", ".heif", ".avif", ".mpo",
                            # video clips are checked too (imgcheck.video)
                            ".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"})
SNIFF_BYTES = 64

#: called with each file a folder walk or zip skipped because it is not an image
OnSkip = Callable[[str], None]


def looks_like_image(name: str, head: Callable[[], bytes]) -> bool:
    """An image (or video clip) by its name's suffix, or else by its first bytes (``head()`` is read
    only then)."""
    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        first = head()
        if sniff_format(first[:32]) is not None:
            return True
        from imgcheck.video import looks_like_video

        return looks_like_video(first)
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError, NotImplementedError):
        return False  # unreadable and not named as an image: not one of the photos


@dataclass(frozen=True)
class InputLimits:
    """Caps on zip archives, checked from the central directory before any entry is decompressed.

    Photos are already compressed (JPEG, PNG, WebP), so a real photo deflates by a few percent; a
    ratio above ``zip_max_ratio`` on an entry larger than ``zip_ratio_floor`` is a bomb, not a photo.
    """

    zip_max_entries: int = 200_000
    zip_max_entry_bytes: int = 64 * 1024 * 1024
    zip_max_total_bytes: int = 8 * 1024 * 1024 * 1024
    zip_max_ratio: float = 100.0
    zip_ratio_floor: int = 1024 * 1024
    list_max_line: int = 4096


@dataclass(frozen=True)
class ScanItem:
    """One input of a scan: a file on disk, or an entry of a zip file (``member`` set).

    ``error`` is set when the input was rejected before reading (unsafe zip entry, unreadable
    archive, missing path): the scan turns it into an error record with that reason.
    """

    source: str
    path: str
    member: str | None = None
    error: str | None = None

    def to_row(self) -> dict[str, str]:
        return {"source": self.source, "path": self.path, "member": self.member or "", "error": self.error or ""}

    @classmethod
    def from_row(cls, row: dict) -> ScanItem:
        return cls(str(row["source"]), str(row["path"]), str(row["member"]) or None, str(row["error"]) or None)


def iter_items(inputs: Iterable[str | Path], limits: InputLimits | None = None,
               on_skip: OnSkip | None = None) -> Iterator[ScanItem]:
    """Every item of every input, in a stable order (folders sorted by name).

    Files named on the command line or in a listing are always items (a non-image becomes an error
    record saying why); files found by walking a folder or a zip that are not images by name nor by
    their first bytes are skipped and passed to ``on_skip``."""
    limits = limits or InputLimits()
    skip = on_skip or (lambda source: None)
    for raw in inputs:
        name = str(raw)
        path = Path(name)
        if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
            yield from _listing(path, limits, skip)
        else:
            yield from _one(name, limits, skip)


def source_digest(source: str) -> int:
    """A 64-bit digest of a source name (sets of these stand in for sets of long path strings)."""
    raw = hashlib.blake2b(source.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(raw, "little")


def unique_items(items: Iterable[ScanItem]) -> Iterator[ScanItem]:
    """Drop an item whose source was already seen (a path listed twice, overlapping folders): one
    record per distinct input. Remembers 64-bit digests, about 70 bytes per input."""
    seen: set[int] = set()
    for item in items:
        d = source_digest(item.source)
        if d in seen:
            continue
        seen.add(d)
        yield item


def _head(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(SNIFF_BYTES)


def _one(name: str, limits: InputLimits, skip: OnSkip) -> Iterator[ScanItem]:
    """A folder, a zip file or a single file (listings are expanded only at the top level)."""
    path = Path(name)
    if path.is_dir():
        yield from _walk(name, limits, skip)
    elif path.is_file() and path.suffix.lower() == ".zip":
        yield from _zip_items(name, limits, skip)
    elif not path.exists():
        yield ScanItem(name, name, error=f"{name}: no such file or folder")
    else:
        yield ScanItem(name, name)


def _walk(folder: str, limits: InputLimits, skip: OnSkip) -> Iterator[ScanItem]:
    """Files under ``folder``, recursively, sorted per directory; hidden entries and symlinked
    folders are skipped (a symlink loop must not make the scan endless)."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield ScanItem(folder, folder, error=f"{folder}: cannot list the folder ({exc.strerror or exc})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        full = os.path.join(folder, entry.name)
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(full, limits, skip)
            elif entry.is_file():
                if entry.name.lower().endswith(".zip"):
                    yield from _zip_items(full, limits, skip)
                elif looks_like_image(entry.name, lambda p=full: _head(p)):
                    yield ScanItem(full, full)
                else:
                    skip(full)
        except OSError as exc:
            yield ScanItem(full, full, error=f"{full}: cannot read ({exc.strerror or exc})")


def _listing(path: Path, limits: InputLimits, skip: OnSkip) -> Iterator[ScanItem]:
    """A text file of paths, one per line; blank lines and lines starting with '#' are skipped.
    Relative paths are relative to the listing's folder. Listed folders and zips are expanded."""
    base = path.parent
    try:
        fh = path.open("r", encoding="utf-8", errors="surrogateescape", newline=None)
    except OSError as exc:
        yield ScanItem(str(path), str(path), error=f"{path}: cannot read the listing ({exc.strerror or exc})")
        return
    with fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if len(line) > limits.list_max_line:
                yield ScanItem(f"{path}:{lineno}", str(path),
                               error=f"{path} line {lineno}: longer than {limits.list_max_line} characters")
                continue
            entry = line.strip()
            if not entry or entry.startswith("#"):
                continue
            listed = entry if os.path.isabs(entry) else os.path.normpath(os.path.join(base, entry))
            yield from _one(listed, limits, skip)


def unsafe_member_reason(name: str) -> str | None:
    """Why a zip entry name is unsafe (absolute, drive letter, '..', NUL), or None when it is fine.

    Nothing is ever extracted, but such names are the signature of a path-traversal ("zip slip")
    archive, so they are reported rather than silently read.
    """
    if "\x00" in name:
        return "the entry name contains a NUL byte"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "the entry has an absolute path (path traversal)"
    if ".." in norm.split("/"):
        return "the entry name contains '..' (path traversal)"
    if posixpath.normpath(norm).startswith("../"):
        return "the entry points outside the archive (path traversal)"
    return None


def _zip_items(zpath: str, limits: InputLimits, skip: OnSkip) -> Iterator[ScanItem]:
    try:
        zf = zipfile.ZipFile(zpath)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        yield ScanItem(zpath, zpath, error=f"{zpath}: not a readable zip archive ({exc})")
        return
    with zf:
        yield from _zip_entries(zf, zpath, infos, limits, skip)


def _zip_entries(zf: zipfile.ZipFile, zpath: str, infos: list[zipfile.ZipInfo], limits: InputLimits,
                 skip: OnSkip) -> Iterator[ScanItem]:
    def head(info: zipfile.ZipInfo) -> bytes:
        if info.flag_bits & 0x1:
            return b""  # encrypted: nothing to sniff
        with zf.open(info) as fh:
            return fh.read(SNIFF_BYTES)

    files = [i for i in infos if not i.is_dir()]
    if len(files) > limits.zip_max_entries:
        yield ScanItem(zpath, zpath, error=f"{zpath}: the archive has {len(files)} entries, more than the "
                                           f"limit of {limits.zip_max_entries} (possible zip bomb); rejected")
        return
    total = sum(i.file_size for i in files)
    if total > limits.zip_max_total_bytes:
        yield ScanItem(zpath, zpath, error=f"{zpath}: the archive unpacks to {total / 1e9:.1f} GB, more than "
                                           f"the limit of {limits.zip_max_total_bytes / 1e9:.1f} GB "
                                           "(possible zip bomb); rejected")
        return
    for info in files:
        source = f"{zpath}{ZIP_SEP}{info.filename}"
        if posixpath.basename(info.filename.replace("\\", "/")).startswith("."):
            continue
        reason = _entry_problem(info, limits)  # unsafe or oversized entries are reported, whatever their name
        if reason is None and not looks_like_image(info.filename, lambda i=info: head(i)):
            skip(source)
            continue
        yield ScanItem(source, zpath, info.filename, error=f"{source}: {reason}; rejected" if reason else None)


def _entry_problem(info: zipfile.ZipInfo, limits: InputLimits) -> str | None:
    reason = unsafe_member_reason(info.filename)
    if reason:
        return reason
    if info.flag_bits & 0x1:
        return "the entry is encrypted"
    if info.file_size > limits.zip_max_entry_bytes:
        return (f"the entry unpacks to {info.file_size / 1e6:.1f} MB, more than the "
                f"{limits.zip_max_entry_bytes / 1e6:.0f} MB limit (possible zip bomb)")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.zip_ratio_floor and ratio > limits.zip_max_ratio:
        return (f"the entry's compression ratio is {ratio:.0f}:1, above the {limits.zip_max_ratio:.0f}:1 "
                "limit (possible zip bomb)")
    return None


def read_item(item: ScanItem, limits: Limits, zf: zipfile.ZipFile | None = None) -> bytes:
    """The bytes of one item, never more than ``limits.max_bytes``; InputError with a reason otherwise.

    ``zf``: the item's archive, already open (saves re-reading the central directory per entry).
    """
    if item.error:
        raise InputError(item.error)
    if item.member is None:
        return read_source(item.path, limits)[0]
    try:
        if zf is None:
            with zipfile.ZipFile(item.path) as own:
                return _read_member(own, item, limits)
        return _read_member(zf, item, limits)
    except InputError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise InputError(f"{item.source}: cannot read the zip entry ({exc})") from exc


def _read_member(zf: zipfile.ZipFile, item: ScanItem, limits: Limits) -> bytes:
    cap = limits.max_bytes
    with zf.open(item.member) as fh:  # type: ignore[arg-type]
        data = fh.read(cap + 1)  # the declared size bounds zipfile's output; this bounds ours
    if len(data) > cap:
        raise InputError(f"{item.source}: the entry is larger than the {cap / 1e6:.0f} MB limit")
    return data


class ZipCache:
    """Keeps the most recently used archive open while consecutive items come from it."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._zf: zipfile.ZipFile | None = None

    def get(self, item: ScanItem) -> zipfile.ZipFile | None:
        if item.member is None or item.error:
            return None
        if self._path != item.path:
            self.close()
            try:
                self._zf = zipfile.ZipFile(item.path)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError):
                return None
            self._path = item.path
        return self._zf

    def close(self) -> None:
        if self._zf is not None:
            self._zf.close()
        self._zf = None
        self._path = None
