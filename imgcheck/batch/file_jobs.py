"""The file commands other than a scan, over the scan's own walker (``inputs.iter_items``: the same
hidden-file, symlink, zip and listing rules): adding many images to the bank, and hashing many files.
The CLI's ``bank add`` and ``hash`` and the app's bank tab only lay out what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from imgcheck import threads
from imgcheck.batch.inputs import OnSkip, ScanItem, iter_items, read_item
from imgcheck.errors import InputError
from imgcheck.hashing import HASH_TYPES
from imgcheck.hashing.files import FileHashes, hash_file
from imgcheck.load import Limits


@dataclass
class AddSummary:
    """What a bank add did: entries new and already there, inputs refused (with why), files in
    folders or zips skipped because they are not images."""

    path: str = ""
    added: int = 0
    same: int = 0
    refused: list[str] = field(default_factory=list)
    not_images: list[str] = field(default_factory=list)

    @property
    def bad(self) -> int:
        return len(self.refused)


def folder_label(item: ScanItem) -> str:
    """The name of the folder an input sits in (inside a zip: the entry's folder, else the zip's)."""
    if item.member and Path(item.member).parent.name:
        return Path(item.member).parent.name
    return Path(item.path).parent.name


def add_items(engine, items: Iterable[ScanItem], *, label: str | Callable[[ScanItem], str], kind: str,
              source: str | Callable[[ScanItem], str] = "", workers: int | None = None,
              on_refused: Callable[[str], None] | None = None, summary: AddSummary | None = None) -> AddSummary:
    """Add every item to ``engine.bank``: loading, hashing, features, thumbnail and faces on ``workers``
    threads (None: one per CPU), SQLite writes on the calling thread. An item that cannot be read or
    is not an image is refused (``on_refused`` hears why) and the others go on; a bank or model
    problem raises. (Zip entries are read with their own handle: the threads share no archive.)"""
    summary = summary if summary is not None else AddSummary()
    summary.path = str(engine.bank.path)
    label_of = label if callable(label) else (lambda item: label)
    source_of = source if callable(source) else (lambda item: source)

    def prepare(item: ScanItem):
        try:
            if item.error:
                raise InputError(item.error)
            img = engine.load(read_item(item, engine.settings.limits), name=item.source)
            return engine.entry_for(img, label_of(item), kind, source_of(item))
        except InputError as exc:
            return exc

    for entry in threads.imap(prepare, items, workers):
        if isinstance(entry, InputError):
            summary.refused.append(str(entry))
            if on_refused is not None:
                on_refused(str(entry))
            continue
        _, created = engine.bank.store.add(entry)
        summary.added += int(created)
        summary.same += int(not created)
    return summary


def add_paths(engine, inputs: Iterable[str | Path], *, label: str | None, kind: str, source: str = "",
              label_from_folder: bool = False, workers: int | None = None,
              on_refused: Callable[[str], None] | None = None) -> AddSummary:
    """``imgcheck bank add``: files, folders (walked like a scan's), zips and listings."""
    if not label and not label_from_folder:
        raise InputError("give --label TEXT or --label-from-folder")
    summary = AddSummary()
    items = iter_items(inputs, on_skip=summary.not_images.append)
    return add_items(engine, items, label=folder_label if label_from_folder else str(label), kind=kind,
                     source=source, workers=workers, on_refused=on_refused, summary=summary)


def hash_inputs(inputs: Iterable[str | Path], kinds: Sequence[str] | None = None, *, workers: int | None = None,
                limits: Limits | None = None, on_skip: OnSkip | None = None) -> Iterator[FileHashes]:
    """``imgcheck hash``: the hashes of every file of the inputs (walked like a scan's), in input
    order, on ``workers`` threads; a file that cannot be read is a FileHashes with ``error``."""
    kinds = tuple(HASH_TYPES) if kinds is None else tuple(kinds)
    unknown = [k for k in kinds if k not in HASH_TYPES]
    if unknown:
        raise InputError(f"unknown hash type {', '.join(unknown)}; known: {', '.join(HASH_TYPES)}")
    limits = limits or Limits()

    def one(item: ScanItem) -> FileHashes:
        if item.error:
            return FileHashes(item.source, error=item.error)
        if item.member is None:
            return hash_file(item.path, kinds, limits)
        try:
            data = read_item(item, limits)
        except InputError as exc:
            return FileHashes(item.source, error=str(exc))
        return replace(hash_file(data, kinds, limits), source=item.source)

    return threads.imap(one, iter_items(inputs, on_skip=on_skip), workers)
