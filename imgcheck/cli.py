"""The ``imgcheck`` command line. Exit codes: 0 ran, 2 bad input/usage, 3 model problem, 1 other.

``--json`` prints one JSON document per line on stdout and nothing else there; messages go to stderr.
Human output is in the language of ``--lang`` or the environment (``LANG``; English and French).
On a terminal it has colours; piped or redirected it is plain text, one line per item, never wrapped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from imgcheck import i18n, user_bank
from imgcheck.errors import ImgcheckError, InputError
from imgcheck.terminal import OPTIONS, clean, emit, json_line
from imgcheck.types import BANK_KINDS, Report

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Check profile photos for stolen/known images, known faces and AI generation.")
bank_app = typer.Typer(no_args_is_help=True, help="Manage the bank of known images.")
app.add_typer(bank_app, name="bank")

#: no markup, emoji codes or highlighting is applied to what these print: see imgcheck.terminal
err = Console(stderr=True, highlight=False, emoji=False)
out = Console(highlight=False, emoji=False)

#: options every command shares (set by the top-level callback or a command's own --lang / --quiet)
_opts = OPTIONS  # lives in imgcheck.terminal: ``python -m imgcheck.cli`` imports this module twice

def lang() -> str:
    return i18n.pick_lang(str(_opts["lang"])) if _opts["lang"] else i18n.env_lang()


def tr(code: str, **params) -> str:
    return i18n.text(code, params, lang())


def notice(text: str) -> None:
    """An informational message: stderr, only on a terminal and not with --quiet."""
    if not _opts["quiet"] and err.is_terminal:
        emit(err, (text, "dim"))


def _set_opts(lang_opt: str | None, quiet: bool) -> None:
    if lang_opt:
        _opts["lang"] = lang_opt
    if quiet:
        _opts["quiet"] = True

BankOpt = Annotated[Optional[Path], typer.Option("--bank", help="Bank file (default: your user bank, "
                                                 "or the bundled example bank when you have none).")]
ModelsOpt = Annotated[Optional[Path], typer.Option("--models", help="Folder holding models/manifest.json.")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="Language of the human output: en | fr "
                                                "(default: from LANG).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No notices on stderr (errors still show).")]


def settings_for(models: Path | None = None, **kw):
    from imgcheck.settings import Settings

    if models is not None:
        kw["models_dir"] = models
    return Settings(**kw)


def open_engine(bank: Path | None, models: Path | None = None, *, for_writing: bool = False, **settings_kw):
    """An Engine on the bank ``user_bank.choose_bank`` picks (the example bank stands in for a missing
    user bank when reading; the CLI only says so)."""
    engine, choice = user_bank.open_engine(bank, settings_for(models, **settings_kw), for_writing=for_writing)
    if choice.example:
        _example_bank_notice()
    return engine


def _example_bank_notice() -> None:
    """Say once (per user cache) that the example bank stands in for a missing one."""
    marker = user_bank.cache_dir() / "example-bank-notice-shown"
    if _opts["quiet"] or not err.is_terminal or marker.exists():
        return
    notice(tr("cli.example_bank", path=str(user_bank.default_bank_path())))
    try:
        marker.touch()
    except OSError:
        pass


def error_line(message: str) -> None:
    emit(err, (tr("cli.error"), "red"), " " + message)


def fail(exc: ImgcheckError) -> None:
    error_line(str(exc))
    raise typer.Exit(exc.exit_code)


VERDICT_STYLE = {"flagged": "bold red", "suspicious": "bold yellow", "clear": "bold green", "error": "magenta",
                 "incomplete": "bold magenta"}


def verdict_word(verdict: str) -> str:
    code = f"verdict.{verdict}"
    return (tr(code) if code in i18n.MESSAGES else verdict).upper()


def status_word(ev: dict) -> str:
    if ev.get("status") == "inconclusive" and ev.get("strength") is None:
        return tr("status.not_checked")
    code = f"status.{ev.get('status')}"
    return tr(code) if code in i18n.MESSAGES else str(ev.get("status"))


def _human(report: Report | dict) -> None:
    """A report for people: the verdict, the reasons (flagging checks), then every other check dimmed.
    A file that could not be read shows only its verdict here; its one error line went to stderr."""
    d = report.to_dict() if isinstance(report, Report) else report
    verdict = str(d.get("verdict"))
    emit(out, (str(d.get("source")), "bold"), ": ", (verdict_word(verdict), VERDICT_STYLE.get(verdict, "bold")))
    evidence = d.get("evidence") or []
    if verdict == "incomplete":
        emit(out, "  " + tr("cli.incomplete"))
    v = d.get("video")
    if isinstance(v, dict):
        emit(out, f"  video: {v.get('duration_s', 0) or 0:.1f} s {v.get('codec', '')}, {v.get('frames_sampled')} "
                  f"frames sampled, {v.get('shots')} shot(s), {len(v.get('tracks') or [])} face track(s)")
    for ev in evidence:
        if ev.get("status") == "flag":
            emit(out, "  - ", i18n.reason_text(ev, lang()))
    for ev in evidence:
        if ev.get("status") != "flag":
            emit(out, (f"  {ev.get('check')}: {status_word(ev)} - {i18n.reason_text(ev, lang())}", "dim"))


def _progress_for(name: str):
    """A progress callback for long clips: one updating line on stderr when it is a terminal."""
    if not err.is_terminal:
        return None
    state = {"shown": -1}

    def show(fraction: float, text: str) -> None:
        show.used = True  # type: ignore[attr-defined]
        pct = int(fraction * 100)
        if pct != state["shown"]:
            state["shown"] = pct
            err.file.write(f"\r{clean(name)}: {pct:3d}% ({clean(text)})\x1b[K")
            err.file.flush()
    return show


def _split_checks(checks: str | None) -> list[str] | None:
    return [c for c in checks.split(",") if c.strip()] if checks else None


@app.callback()
def _main(lang_opt: LangOpt = None, quiet: QuietOpt = False) -> None:
    """Check profile photos for stolen/known images, known faces and AI generation."""
    _set_opts(lang_opt, quiet)


@app.command()
def check(files: Annotated[list[Path], typer.Argument(help="Image or video files to check.")],
          bank: BankOpt = None, models: ModelsOpt = None,
          checks: Annotated[Optional[str], typer.Option(help="Comma-separated checks to run.")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="JSON Lines on stdout.")] = False,
          video: Annotated[bool, typer.Option("--video", help="Check animated GIF/WebP as video clips too "
                                                              "(MP4, MOV, WebM, MKV and AVI always are).")] = False,
          lang_opt: LangOpt = None, quiet: QuietOpt = False,
          workers: Annotated[Optional[int], typer.Option(help="Threads (default: one per CPU).")] = None) -> None:
    """Check photos and video clips: one report per file, in the order given (a folder: use
    ``imgcheck scan``). Files are checked on a thread per CPU: decoding, hashing, ORB and the models
    run outside the GIL."""
    _set_opts(lang_opt, quiet)
    from imgcheck import threads
    from imgcheck.engine import error_report

    try:
        engine = open_engine(bank, models)
        names = engine.resolve_checks(_split_checks(checks))
    except ImgcheckError as exc:
        fail(exc)
    bad = 0

    def one(f: Path):
        if f.is_dir():
            return error_report(str(f), i18n.text("cli.folder", {"path": str(f)})), tr("cli.folder", path=str(f))
        progress = _progress_for(f.name)
        report = engine.check(f, checks=names, animations_as_clips=video, progress=progress)
        if getattr(progress, "used", False):  # a clip's progress line was shown: clear it
            err.file.write("\r\x1b[K")
        return report, str(report.error)

    for report, shown in threads.imap(one, files, workers):
        if report.verdict == "error":
            bad += 1
            error_line(shown)
        if as_json:
            sys.stdout.write(json_line(report.to_dict()) + "\n")
            sys.stdout.flush()
        else:
            _human(report)
    if bad:
        raise typer.Exit(InputError.exit_code)


@app.command()
def profile(files: Annotated[list[Path], typer.Argument(help="All photos of one profile.")],
            bank: BankOpt = None, models: ModelsOpt = None,
            as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
            checks: Annotated[Optional[str], typer.Option(
                help="Comma-separated checks to run, per photo and on the profile (face_consistency); "
                     "default: all.")] = None,
            lang_opt: LangOpt = None, quiet: QuietOpt = False) -> None:
    """Check all photos of one profile together (adds face consistency across photos)."""
    _set_opts(lang_opt, quiet)
    try:
        engine = open_engine(bank, models)
        result = engine.check_profile(files, checks=_split_checks(checks))
    except ImgcheckError as exc:
        fail(exc)
    if as_json:
        sys.stdout.write(json_line(result.to_dict()) + "\n")
    else:
        d = result.to_dict()
        verdict = str(d["verdict"])
        emit(out, (tr("cli.profile"), "bold"), ": ", (verdict_word(verdict), VERDICT_STYLE.get(verdict, "bold")))
        if d.get("error"):
            emit(out, "  " + str(d["error"]))
        for f in d.get("failed_checks") or []:
            emit(out, "  ", (tr("status.error"), "magenta"),
                 f": {f['photo'] + ': ' if f.get('photo') else ''}{f['check']} - {f['reason']}")
        for ev in d["evidence"]:
            if ev.get("status") == "flag":
                emit(out, "  - ", i18n.reason_text(ev, lang()))
        for ev in d["evidence"]:
            if ev.get("status") != "flag":
                emit(out, (f"  {ev.get('check')}: {status_word(ev)} - {i18n.reason_text(ev, lang())}", "dim"))
        for r in d["photos"]:
            if r.get("verdict") == "error":
                error_line(str(r.get("error")))
            _human(r)
    if any(r.verdict == "error" for r in result.reports):
        raise typer.Exit(InputError.exit_code)


@app.command()
def scan(inputs: Annotated[list[str], typer.Argument(help="Folders (recursive), zip files, text files "
                                                          "listing paths (.txt/.lst), image files.")],
         out: Annotated[Path, typer.Option("--out", help="Report file (.jsonl, .csv or .html).")],
         fmt: Annotated[Optional[str], typer.Option("--format", help="jsonl | csv | html (default: from "
                                                                      "--out's suffix).")] = None,
         workers: Annotated[Optional[int], typer.Option(help="Worker processes (local, default 1) or Ray "
                                                             "actors (ray, default: one per CPU).")] = None,
         resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted scan.")] = False,
         overwrite: Annotated[bool, typer.Option("--overwrite", help="Start again over an old scan.")] = False,
         checks: Annotated[Optional[str], typer.Option(help="Comma-separated checks to run.")] = None,
         engine_name: Annotated[str, typer.Option("--engine", help="local | ray")] = "local",
         address: Annotated[Optional[str], typer.Option(help="Ray cluster address (ray engine; default: "
                                                             "start a local Ray).")] = None,
         max_html_rows: Annotated[int, typer.Option(help="HTML: show this many riskiest records.")] = 5000,
         bank: BankOpt = None, models: ModelsOpt = None, lang_opt: LangOpt = None, quiet: QuietOpt = False) -> None:
    """Scan many images into one report: one record per input, resumable after a crash. Files in
    folders and zips that are not images (by name and first bytes) are skipped and counted."""
    _set_opts(lang_opt, quiet)
    from imgcheck.cli_scan import CliHooks, run_scan

    # the parameter ``out`` (the report path) shadows the stdout console here
    hooks = CliHooks(out=globals()["out"], err=err, open_engine=open_engine, fail=fail, tr=tr,
                     quiet=bool(_opts["quiet"]), lang=lang())
    run_scan(inputs, out=out, fmt=fmt, workers=workers, resume=resume, overwrite=overwrite,
             checks=_split_checks(checks), engine_name=engine_name, address=address,
             max_html_rows=max_html_rows, bank=bank, models=models, hooks=hooks)


@app.command("hash")
def hash_cmd(paths: Annotated[list[Path], typer.Argument(help="Image files or folders.")],
             types: Annotated[Optional[str], typer.Option(
                 "--type", help="Comma-separated hash types (default: every type imgcheck has: pdq, phash).")]
             = None,
             workers: Annotated[Optional[int], typer.Option(help="Threads (default: one per CPU).")] = None
             ) -> None:
    """Print perceptual hashes as JSON Lines (hex): one line per file. The PDQ is Meta's reference PDQ of
    the pixels as stored (what other tools compute); an EXIF-rotated photo also gets pdq_upright."""
    from imgcheck.batch.file_jobs import hash_inputs

    kinds = [t.strip() for t in types.split(",") if t.strip()] if types else None
    try:
        results = hash_inputs(paths, kinds, workers=workers)
        bad = 0
        for r in results:
            if r.error:
                bad += 1
                error_line(str(r.error))
            sys.stdout.write(json_line(r.to_dict()) + "\n")
            sys.stdout.flush()
    except ImgcheckError as exc:
        fail(exc)
    if bad:
        raise typer.Exit(InputError.exit_code)


# -- bank ----------------------------------------------------------------------------------------
@bank_app.command("add")
def bank_add(paths: Annotated[list[Path], typer.Argument(help="Image files or folders.")],
             label: Annotated[Optional[str], typer.Option(help="Who or what the images show.")] = None,
             kind: Annotated[str, typer.Option(help="celebrity | known_scam | other")] = "other",
             source: Annotated[str, typer.Option(help="Where the images come from.")] = "",
             label_from_folder: Annotated[bool, typer.Option(
                 "--label-from-folder", help="Label each image with its parent folder's name.")] = False,
             workers: Annotated[Optional[int], typer.Option(
                 help="Threads preparing images (default: one per CPU).")] = None,
             bank: BankOpt = None, models: ModelsOpt = None) -> None:
    """Add images to the bank (adding the same file twice does nothing). Folders are walked as
    ``imgcheck scan`` walks them (hidden entries and symlinked folders skipped, zips read in place)."""
    from imgcheck.batch.file_jobs import add_paths

    if kind not in BANK_KINDS:
        fail(InputError(f"--kind must be one of {', '.join(BANK_KINDS)}"))
    try:
        if not label and not label_from_folder:
            raise InputError("give --label TEXT or --label-from-folder")
        engine = open_engine(bank, models, for_writing=True)
        summary = add_paths(engine, paths, label=label, kind=kind, source=source,
                            label_from_folder=label_from_folder, workers=workers,
                            on_refused=lambda why: emit(err, (tr("cli.skipped"), "yellow"), f" {why}"))
    except ImgcheckError as exc:
        fail(exc)
    emit(err, tr("cli.added", added=summary.added, same=summary.same, bad=summary.bad, path=summary.path))
    if summary.not_images:
        emit(err, tr("cli.scan_skipped", n=len(summary.not_images),
                     example=", ".join(Path(p.split("!")[-1]).name for p in summary.not_images[:3])))
    if summary.bad and not (summary.added or summary.same):
        raise typer.Exit(InputError.exit_code)


@bank_app.command("list")
def bank_list(bank: BankOpt = None, label: Annotated[Optional[str], typer.Option()] = None,
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List bank entries."""
    try:
        engine = open_engine(bank, for_writing=False)
    except ImgcheckError as exc:
        fail(exc)
    for e in engine.bank.store.entries(label):
        if as_json:
            sys.stdout.write(json_line(e.to_dict()) + "\n")
        else:
            shared = f"[{e.category} from {e.collab}]  " if e.collab else ""  # an imported hash's opinion
            emit(out, f"{e.id:>6}  {e.kind:<10}  {e.label}  {shared}", (str(e.source), "dim"))


@bank_app.command("remove")
def bank_remove(ids: Annotated[Optional[list[int]], typer.Argument(help="Entry ids.")] = None,
                label: Annotated[Optional[str], typer.Option(help="Remove every entry with this label.")] = None,
                bank: BankOpt = None) -> None:
    """Remove entries by id or label."""
    try:
        engine = open_engine(bank or user_bank.default_bank_path(), for_writing=True)
        n = engine.bank.store.remove(ids or [])
        if label:
            n += engine.bank.store.remove_label(label)
    except ImgcheckError as exc:
        fail(exc)
    emit(err, f"removed {n} entries")


@bank_app.command("stats")
def bank_stats(bank: BankOpt = None) -> None:
    """Counts of entries, labels, hashes and faces."""
    try:
        engine = open_engine(bank)
    except ImgcheckError as exc:
        fail(exc)
    sys.stdout.write(json.dumps(engine.bank.store.stats(), indent=2) + "\n")


@bank_app.command("reindex")
def bank_reindex(bank: BankOpt = None) -> None:
    """Rebuild the saved known-image index beside the bank now (it is also rebuilt on its own when
    the photos added since outgrow a tenth of it)."""
    try:
        engine = open_engine(bank)
        index = engine.bank.reindex()
    except ImgcheckError as exc:
        fail(exc)
    folder = engine.bank.index_folder
    size = sum(p.stat().st_size for p in folder.glob("*.npy")) if folder is not None and folder.is_dir() else 0
    sys.stdout.write(json.dumps({"entries": index.manifest.entries if index.manifest else 0,
                                 "folder": str(folder), "bytes": size}) + "\n")


@bank_app.command("export")
def bank_export(out_file: Annotated[Path, typer.Option("--out", help="Hash list to write.")],
                fmt: Annotated[str, typer.Option("--format", help="te: 'pdq <hash>' lines (python-threatexchange "
                                                 "local_file collab) | te-csv: threatexchange dataset --csv columns "
                                                 "| te-indicators: ThreatExchange indicator CSV (simple.HASH_PDQ.te) "
                                                 "| imgcheck: every column.")] = "te",
                include_sources: Annotated[bool, typer.Option(
                    "--include-sources", help="imgcheck format: add each entry's source (often a local path).")]
                = False,
                bank: BankOpt = None) -> None:
    """Export PDQ hashes (the stored-pixel hash other tools compute) as a hash list."""
    from imgcheck.bank.exchange import export_list

    try:
        engine = open_engine(bank)
        summary = export_list(engine.bank.store, out_file, fmt, include_sources=include_sources)
    except ImgcheckError as exc:
        fail(exc)
    emit(err, f"{summary.describe()} -> {out_file}")
    if not summary.written:
        raise typer.Exit(InputError.exit_code)


@bank_app.command("import")
def bank_import(list_file: Annotated[Path, typer.Argument(help="Hash list: any format bank export writes, "
                                                          "threatexchange hash/dataset output, TSV, HMA JSON.")],
                kind: Annotated[Optional[str], typer.Option(help="Kind for entries that have none.")] = None,
                collab: Annotated[Optional[str], typer.Option(
                    help="Sharing group of rows that name none (default: the list's file name).")] = None,
                keep_missing: Annotated[bool, typer.Option(
                    "--keep-missing", help="Keep entries a re-imported list no longer holds.")] = False,
                as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
                bank: BankOpt = None) -> None:
    """Import a PDQ hash list; re-importing a collab's list updates and removes its entries.

    Exit code 2 when nothing was imported or any line was refused."""
    from imgcheck.bank.exchange import import_list

    if kind is not None and kind not in BANK_KINDS:
        fail(InputError(f"--kind must be one of {', '.join(BANK_KINDS)}"))
    try:
        engine = open_engine(bank, for_writing=True)
        summary = import_list(engine.bank.store, list_file, default_kind=kind or "other", collab=collab,
                              keep_missing=keep_missing)
    except ImgcheckError as exc:
        fail(exc)
    for refused in summary.errors:
        emit(err, ("refused:", "red"), f" {refused}")
    if as_json:
        sys.stdout.write(json_line(summary.to_dict()) + "\n")
    emit(err, f"imported {list_file}: {summary.describe()}")
    if not summary.ok:
        raise typer.Exit(InputError.exit_code)


@app.command()
def serve(bank: BankOpt = None, models: ModelsOpt = None,
          host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 7860,
          auth: Annotated[Optional[str], typer.Option(
              help="USER:PASSWORD: the whole app needs a login (several users: --auth-file).")] = None,
          auth_file: Annotated[Optional[Path], typer.Option(
              help="File of user:password lines (one per user); the whole app needs a login.")] = None,
          public: Annotated[bool, typer.Option(
              help="Public demo: only the two check tabs, no bank, no batch, no login.")] = False,
          upload_ttl: Annotated[float, typer.Option(
              hidden=True, help="Seconds before an upload nobody checked is deleted.")] = 60.0,
          lang_opt: LangOpt = None, quiet: QuietOpt = False) -> None:
    """Run the web app (check a photo, check a profile, batch scan, bank) on this machine."""
    _set_opts(lang_opt, quiet)
    from imgcheck.app.server import ServeOptions, is_loopback, parse_auth, read_auth_file

    try:
        users: tuple[tuple[str, str], ...] = ()
        if auth:
            users += (parse_auth(auth),)
        if auth_file:
            users += read_auth_file(auth_file)
        if public and users:
            raise InputError("--public serves only the check tabs to everyone; drop --auth/--auth-file")
        engine = open_engine(bank, models)
    except ImgcheckError as exc:
        fail(exc)
    from imgcheck.app.server import serve as run_server

    started: list[str] = []

    def ready(url: str) -> None:
        started.append(url)
        emit(err, tr("cli.serving", url=url, bank=str(engine.bank.path)))

    if not users and not public and not is_loopback(host):
        emit(err, ("warning:", "yellow"), f" serving on {host} without --auth or --public: anyone who can reach "
             "this address can check photos, edit the bank and run batch scans. Add --auth USER:PASS (or "
             "--public for a demo without bank and batch).")
    try:
        run_server(engine, ServeOptions(host=host, port=port, auth=users, public=public, upload_ttl_s=upload_ttl),
                   on_ready=ready, on_warm=lambda s: emit(err, tr("cli.warmed", seconds=f"{s:.1f}")))
    except OSError as exc:
        if started:  # a failure after start-up is not about the address
            raise
        # the port is taken or the address is not this machine's: a clear error, no traceback
        why = exc.strerror or "the port is taken or the address is not this machine's"
        fail(InputError(f"cannot listen on {host}:{port}: {why}; choose another with --port or --host"))


from imgcheck.cli_detector import detector_app  # noqa: E402 - registered after the core commands

app.add_typer(detector_app, name="detector")


def main() -> None:
    try:
        app()
    except ImgcheckError as exc:
        error_line(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
