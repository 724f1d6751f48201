"""``imgcheck scan``: the command-line front end of ``imgcheck.batch`` (progress, messages, summary).

The scan itself, its JSON Lines journal, ``--resume`` and the CSV/HTML report rendered from the
journal at the end are ``imgcheck.batch.journal``'s; this module lays them out on the terminal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from imgcheck.errors import InputError
from imgcheck.terminal import emit

FORMATS = ("jsonl", "csv", "html")


@dataclass(frozen=True)
class ScanPaths:
    out: Path
    format: str
    journal: Path


def scan_paths(out: Path, fmt: str | None) -> ScanPaths:
    """The report format (given, or from the file suffix) and the JSON Lines journal beside it."""
    suffix = out.suffix.lower().lstrip(".")
    fmt = fmt or {"jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv", "html": "html", "htm": "html"}.get(
        suffix, "jsonl")
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}")
    if fmt == "jsonl":
        return ScanPaths(out, fmt, out)
    journal = out.with_suffix(".jsonl")
    if journal == out:
        journal = out.with_name(out.name + ".jsonl")
    return ScanPaths(out, fmt, journal)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} img/s" if speed else "- img/s", style="progress.data.speed")


class ScanProgress:
    """A rich progress bar on a terminal; plain status lines every ``every`` seconds otherwise."""

    def __init__(self, console: Console, done_before: int, every: float = 10.0, quiet: bool = False) -> None:
        self.console = console
        self.fancy = console.is_terminal and not quiet
        self.quiet = quiet
        self.every = every
        self.total: int | None = None
        self.count = done_before
        self.flagged = 0
        self.errors = 0
        self._t0 = time.monotonic()
        self._start_count = done_before
        self._last = 0.0
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Self:
        if self.fancy:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("flagged {task.fields[flagged]}  errors {task.fields[errors]}"),
                console=self.console, transient=False)
            self._progress.__enter__()
            self._task = self._progress.add_task("scan", total=None, completed=self.count, flagged=0, errors=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
        else:
            self._line(final=True)

    def set_total(self, total: int) -> None:
        self.total = total
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def advance(self, record: dict) -> None:
        self.count += 1
        if record.get("verdict") in ("flagged", "suspicious"):
            self.flagged += 1
        elif record.get("verdict") in ("error", "incomplete"):
            self.errors += 1  # an incomplete report had a check that failed
        if self._progress is not None:
            self._progress.update(self._task, advance=1, flagged=self.flagged, errors=self.errors)
        elif time.monotonic() - self._last >= self.every:
            self._line()

    def _line(self, final: bool = False) -> None:
        self._last = time.monotonic()
        if self.quiet:
            return
        elapsed = max(self._last - self._t0, 1e-9)
        rate = (self.count - self._start_count) / elapsed
        total = f"/{self.total}" if self.total is not None else ""
        eta = ""
        if self.total is not None and rate > 0 and not final:
            eta = f", ETA {max(0, self.total - self.count) / rate:.0f}s"
        emit(self.console, f"{'done' if final else 'scanned'} {self.count}{total} ({rate:.1f} img/s{eta}), "
                           f"flagged {self.flagged}, errors {self.errors}")


def count_in_background(inputs: list[str], progress: ScanProgress, limits) -> threading.Thread:
    """Count the inputs (a walk, no reading) so the bar can show a total and an ETA."""
    from imgcheck.batch.inputs import iter_items, unique_items

    def run() -> None:
        n = 0
        for _ in unique_items(iter_items(inputs, limits)):
            n += 1
        progress.set_total(n)

    t = threading.Thread(target=run, name="imgcheck-scan-count", daemon=True)
    t.start()
    return t


@dataclass(frozen=True)
class CliHooks:
    """What ``imgcheck scan`` takes from cli.py, passed in (cli.py imports this module, never the
    reverse): the consoles, the engine opener, the error exit and the message renderer."""

    out: Console
    err: Console
    open_engine: Callable[..., Any]
    fail: Callable[[Exception], None]
    tr: Callable[..., str]
    quiet: bool = False
    #: the language of the HTML report (``--lang`` / ``LANG``)
    lang: str = "en"


def print_summary(console: Console, summary, paths: ScanPaths, new: int, skipped: list[str] | None = None,
                  n_skipped: int = 0, *, tr: Callable[..., str]) -> None:
    emit(console, (tr("cli.scanned"), "bold"), " " + tr("cli.scanned_total", total=summary.total, new=new,
                                                          out=str(paths.out)))
    v = summary.verdicts
    emit(console, "  " + tr("cli.scan_counts", flagged=v.get("flagged", 0), suspicious=v.get("suspicious", 0),
                            incomplete=summary.incomplete, clear=v.get("clear", 0), errors=summary.errors))
    if summary.flags:  # flag names are codes: the same in every language
        emit(console, "  " + tr("cli.by_flag") + " " + ", ".join(f"{k} {n}" for k, n in summary.flag_items()))
    if n_skipped:
        emit(console, tr("cli.scan_skipped", n=n_skipped, example=", ".join(skipped or [])))


def run_scan(inputs: list[str], *, out: Path, fmt: str | None, workers: int | None, resume: bool,
             overwrite: bool, checks: list[str] | None, engine_name: str, address: str | None,
             max_html_rows: int, bank: Path | None, models: Path | None, hooks: CliHooks) -> None:
    """The body of ``imgcheck scan`` (kept here so cli.py stays a thin list of commands)."""
    import typer

    from imgcheck.batch import Summary
    from imgcheck.batch.journal import Journal, journal_in_use
    from imgcheck.errors import ImgcheckError

    err, fail, open_engine, stdout = hooks.err, hooks.fail, hooks.open_engine, hooks.out

    try:
        paths = scan_paths(out, fmt)
        if engine_name not in ("local", "ray"):
            raise InputError("--engine must be local or ray")
        if workers is not None and workers < 1:
            raise InputError("--workers must be at least 1")
        journal_in_use(paths.journal, resume=resume, overwrite=overwrite)
        engine = open_engine(bank, models)
        names = engine.resolve_checks(checks)
    except ImgcheckError as exc:
        fail(exc)

    journal = Journal.start(paths.journal, resume=resume)
    if journal.append and not hooks.quiet:
        note = f" (dropped {journal.dropped} bytes of a torn last line)" if journal.dropped else ""
        emit(err, f"resuming: {len(journal.done)} records already in {paths.journal}{note}")

    backend_kw: dict[str, Any] = {"address": address} if engine_name == "ray" else {}
    n_workers = workers if workers is not None else (1 if engine_name == "local" else 0)
    progress = ScanProgress(err, len(journal.done), quiet=hooks.quiet)
    new = 0
    skipped: list[str] = []
    n_skipped = 0

    def on_skip(source: str) -> None:
        nonlocal n_skipped
        n_skipped += 1
        if len(skipped) < 3:
            skipped.append(Path(source.split("!")[-1]).name)

    records = journal.scan(inputs, engine, checks=names, workers=n_workers, backend=engine_name,
                           on_skip=on_skip, **backend_kw)
    try:
        with progress:
            count_in_background(inputs, progress, None)
            for rec in records:
                new += 1
                progress.advance(rec)
    except KeyboardInterrupt:
        records.close()
        emit(err, f"interrupted after {new} new records: run the same command with --resume to continue")
        raise typer.Exit(130) from None
    except ImgcheckError as exc:
        records.close()
        fail(exc)
    journal.render(paths.format, paths.out, engine, max_html_rows=max_html_rows, lang=hooks.lang)
    print_summary(stdout, Summary.of(journal.records()), paths, new, skipped, n_skipped, tr=hooks.tr)
