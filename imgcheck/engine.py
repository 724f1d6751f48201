"""The Engine: owns settings, the bank and model sessions; runs checks and builds reports."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image

from imgcheck.checks import registry as check_registry
from imgcheck import verdict
from imgcheck.bank import Bank, NewEntry
from imgcheck.checks import Check, CheckContext, faces_were_checked, found_faces
from imgcheck.errors import ImgcheckError, InputError
from imgcheck.hashing import views
from imgcheck.i18n import msg
from imgcheck.load import LoadedImage, load_image
from imgcheck.models import ModelRegistry
from imgcheck.settings import Settings
from imgcheck.types import Evidence, FailedCheck, Face, ProfileReport, Report
from imgcheck.video import looks_like_video

log = logging.getLogger(__name__)

THUMB_SIDE = 256


class Engine:
    """One Engine per process (or worker). Thread-safe for concurrent ``check`` calls."""

    def __init__(self, bank: Bank | str | Path | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.bank: Bank | None = bank if isinstance(bank, Bank) or bank is None else Bank(bank)
        self.models = ModelRegistry(self.settings.models_dir, self.settings.intra_op_threads)
        self._checks: dict[str, Check] = {}
        self._faces = None

    @property
    def faces(self):
        """The face pipeline (imgcheck.faces.FacePipeline), created on first use."""
        if self._faces is None:
            from imgcheck.faces import FacePipeline

            self._faces = FacePipeline(self.models, self.settings)
        return self._faces

    # -- checks ------------------------------------------------------------------------------
    def available_checks(self) -> tuple[str, ...]:
        return check_registry.check_names()

    def _check(self, name: str) -> Check:
        chk = self._checks.get(name)
        if chk is None:
            chk = check_registry.create(name)
            self._checks[name] = chk
        return chk

    def resolve_checks(self, names: Iterable[str] | None) -> tuple[str, ...]:
        if names is None:
            names = self.settings.checks or self.available_checks()
        names = tuple(n.strip() for n in names if n.strip())
        unknown = [n for n in names if n not in self.available_checks()]
        if unknown:
            raise InputError(f"unknown check(s): {', '.join(unknown)}; "
                             f"available: {', '.join(self.available_checks())}")
        return names

    def load(self, source: str | Path | bytes, name: str | None = None) -> LoadedImage:
        return load_image(source, name=name, limits=self.settings.limits)

    def check(self, source: str | Path | bytes | LoadedImage, *, name: str | None = None,
              checks: Iterable[str] | None = None, animations_as_clips: bool = False,
              progress=None) -> Report:
        """Check one image, or one video clip (by its bytes or name; with ``animations_as_clips`` an
        animated GIF/WebP too: ``check_video``, which calls ``progress``). Never raises for a bad
        image: the report says ``verdict: error``."""
        names = self.resolve_checks(checks)
        t0 = time.perf_counter()
        display = name or (source.source if isinstance(source, LoadedImage) else
                           "<bytes>" if isinstance(source, (bytes, bytearray)) else str(source))
        if not isinstance(source, LoadedImage) and (
                _is_clip(_head(source), name or display) or (animations_as_clips and _is_animation(source))):
            return self.check_video(source, name=name, checks=names, progress=progress)
        try:
            img = source if isinstance(source, LoadedImage) else self.load(source, name=name)
        except ImgcheckError as exc:
            return error_report(display, str(exc))
        timings = {"load": (time.perf_counter() - t0) * 1000}
        return self._run(img, names, timings)

    def check_video(self, source: str | Path | bytes, *, name: str | None = None,
                    checks: Iterable[str] | None = None, progress=None) -> Report:
        """Check one video clip (MP4, MOV, WebM, MKV, AVI, or an animated GIF/WebP read as a clip).
        Never raises for a bad clip: the report says ``verdict: error``. ``progress(fraction, text)``
        is called as the clip is read."""
        from imgcheck.video.check import VideoChecker
        from imgcheck.video.decode import open_video

        names = self.resolve_checks(checks)
        display = name or ("<bytes>" if isinstance(source, (bytes, bytearray)) else str(source))
        t0 = time.perf_counter()
        try:
            src = open_video(source, name=name, limits=self.settings.video_limits)
            return VideoChecker(self, names, progress=progress).run(src, (time.perf_counter() - t0) * 1000)
        except ImgcheckError as exc:
            return error_report(display, str(exc))
        except Exception as exc:  # noqa: BLE001 - a hostile clip must give a report, never a traceback
            log.exception("video check failed on %s", display)
            return error_report(display, f"{display}: the clip could not be checked ({type(exc).__name__})")

    def _run(self, img: LoadedImage, names: Sequence[str], timings: dict[str, float],
             ctx: CheckContext | None = None) -> Report:
        ctx = ctx or CheckContext(self)
        evidence: list[Evidence] = []
        for n in names:
            t = time.perf_counter()
            evidence.append(self._run_one(n, img, ctx))
            timings[n] = (time.perf_counter() - t) * 1000
        flags = verdict.collect_flags(evidence)
        failed = verdict.failed_checks(evidence)
        matches = tuple(m for ev in evidence for m in ev.matches)
        faces_checked = faces_were_checked(ctx)
        faces: tuple[Face, ...] = found_faces(ctx)
        return Report(source=img.source, sha256=img.sha256, image=img.info,
                      verdict=verdict.decide(flags, failed), flags=flags, reasons=verdict.reasons(evidence),
                      matches=matches, faces=faces, evidence=tuple(evidence), timings_ms=timings,
                      failed=failed, faces_checked=faces_checked)

    def _run_one(self, name: str, img: LoadedImage, ctx: CheckContext) -> Evidence:
        return self._guarded(name, lambda: self._check(name).run(img, ctx), img.source)

    def _guarded(self, name: str, run, source: str = "the profile") -> Evidence:
        """``run()``'s Evidence; an exception becomes Evidence with status ``error``."""
        try:
            return run()
        except ImgcheckError as exc:
            return Evidence(name, "error", **msg("check.could_not_run", check=name, error=str(exc)))
        except Exception as exc:  # noqa: BLE001 - one failing check must not stop the others
            # one log line (no traceback on the user's terminal); the traceback at debug level
            log.error("check %s failed on %r: %s", name, source, type(exc).__name__)
            log.debug("check %s failed", name, exc_info=True)
            return Evidence(name, "error", **msg("check.failed", check=name, error_type=type(exc).__name__))

    def check_profile(self, sources: Sequence[str | Path | bytes | LoadedImage],
                      names: Sequence[str] | None = None, checks: Iterable[str] | None = None) -> ProfileReport:
        """Check every photo of one profile and add profile-level evidence.

        ``checks``: per-image and profile-level check names (None: the per-image checks of
        ``resolve_checks(None)`` and every profile check); only what is named runs, so
        ``checks=("known_image",)`` needs no face model. ``verdict`` is ``error`` when no photo could be
        read; an unreadable photo or a check that did not run on any photo makes an unflagged profile
        ``incomplete``."""
        image_checks, profile_checks = self.resolve_profile_checks(checks)
        collectors = {n: self._check(n) for n in profile_checks}
        collected: dict[str, list] = {n: [] for n in profile_checks}
        collect_error: dict[str, str] = {}
        reports: list[Report] = []
        for i, s in enumerate(sources):
            name = names[i] if names else None
            display = name or (s.source if isinstance(s, LoadedImage) else
                               "<bytes>" if isinstance(s, (bytes, bytearray)) else str(s))
            t0 = time.perf_counter()
            try:
                img = s if isinstance(s, LoadedImage) else self.load(s, name=name)
            except ImgcheckError as exc:
                reports.append(error_report(display, str(exc)))
                continue
            ctx = CheckContext(self)
            reports.append(self._run(img, image_checks, {"load": (time.perf_counter() - t0) * 1000}, ctx))
            for n, chk in collectors.items():
                try:
                    collected[n].append(chk.collect(img, ctx, reports[-1]))
                except ImgcheckError as exc:
                    collect_error[n] = str(exc)
                except Exception as exc:  # noqa: BLE001 - the other photos and checks still count
                    log.error("%s failed on %r: %s", n, img.source, type(exc).__name__)
                    collect_error[n] = f"failed unexpectedly ({type(exc).__name__})"
        readable = [r for r in reports if r.verdict != "error"]
        failed = [FailedCheck("read", r.error or "could not be read", r.source)
                  for r in reports if r.verdict == "error"]
        failed += [FailedCheck(f.check, f.reason, r.source) for r in readable for f in r.failed]
        if not readable:
            why = "No photo of this profile could be read." if reports else "The profile has no photos."
            return ProfileReport(reports=tuple(reports), verdict="error", failed=tuple(failed), error=why)
        profile_evidence = tuple(
            Evidence(n, "error", **msg("check.could_not_run", check=n, error=collect_error[n]))
            if n in collect_error else self._guarded(n, lambda chk=chk, n=n: chk.run(collected[n], self))
            for n, chk in collectors.items())
        failed += verdict.failed_checks(profile_evidence)
        flags = verdict.collect_flags([ev for r in reports for ev in r.evidence] + list(profile_evidence))
        return ProfileReport(reports=tuple(reports), verdict=verdict.decide(flags, failed), flags=flags,
                             reasons=verdict.reasons(profile_evidence) + tuple(
                                 f"{r.source}: {x}" for r in reports for x in r.reasons),
                             evidence=profile_evidence, failed=tuple(failed))

    def resolve_profile_checks(self, names: Iterable[str] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(per-image checks, profile checks) a profile check runs."""
        if names is None:
            return self.resolve_checks(None), check_registry.profile_check_names()
        names = tuple(n.strip() for n in names if n.strip())
        profile = tuple(n for n in names if n in check_registry.profile_check_names())
        return self.resolve_checks([n for n in names if n not in profile]), profile

    # -- bank --------------------------------------------------------------------------------
    def entry_for(self, img: LoadedImage, label: str, kind: str = "other", source: str = "") -> NewEntry:
        """Everything the bank stores for one image (hashes, thumbnail; faces when a face model exists)."""
        return NewEntry(label=label, kind=kind, source=source or img.source, sha256=img.sha256,
                        width=img.width, height=img.height, hashes=views.bank_hashes(img),
                        features=views.bank_features(img), thumb_jpeg=thumbnail_jpeg(img),
                        faces=self.faces.bank_faces(img))

    def add_to_bank(self, source: str | Path | bytes | LoadedImage, label: str, kind: str = "other",
                    note: str = "") -> tuple[int, bool]:
        if self.bank is None:
            raise ImgcheckError("no bank is open")
        img = source if isinstance(source, LoadedImage) else self.load(source)
        return self.bank.store.add(self.entry_for(img, label, kind, note))

    # -- hash lists (bank/exchange.py): the app and the HMA routes reach them here, not in bank/ ----
    @staticmethod
    def hash_list_format(fmt: str) -> str:
        """The canonical name of a hash-list format (aliases accepted); InputError for an unknown one."""
        from imgcheck.bank.exchange import ALIASES, FORMATS

        fmt = ALIASES.get(fmt, fmt)
        if fmt not in FORMATS:
            raise InputError(f"choose a format: {', '.join(FORMATS)}")
        return fmt

    def export_hashes(self, path: Path, fmt: str = "te", **kw):
        """Write the bank's PDQ hashes as a hash list (``bank.exchange.export_list``)."""
        from imgcheck.bank.exchange import export_list

        return export_list(self._open_bank().store, path, fmt, **kw)

    def import_hashes(self, path: Path, **kw):
        """Read a hash list into the bank (``bank.exchange.import_list``)."""
        from imgcheck.bank.exchange import import_list

        return import_list(self._open_bank().store, path, **kw)

    def exchange_hash(self, entry_id: int):
        """The PDQ other tools compute for a bank entry's file, or None (``bank.exchange``)."""
        from imgcheck.bank.exchange import _exchange_hash

        return _exchange_hash(self._open_bank().store, entry_id)

    def _open_bank(self) -> Bank:
        if self.bank is None:
            raise ImgcheckError("no bank is open")
        return self.bank


#: file name endings of video clips: a file so named that is neither an image nor a clip gets the
#: video loader's explanation (what imgcheck reads as video), not the image loader's
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".3gp", ".qt")


def _is_clip(head: bytes, name: str) -> bool:
    from imgcheck.load import sniff_format

    if looks_like_video(head):
        return True
    return bool(head) and sniff_format(head[:32]) is None and name.lower().endswith(VIDEO_SUFFIXES)


def _is_animation(source: str | Path | bytes) -> bool:
    from imgcheck.video.decode import is_animation

    return is_animation(_head(source, 1 << 16))


def _head(source: str | Path | bytes, n: int = 64) -> bytes:
    """The first bytes of a path or of bytes (b"" when unreadable: the loader then says why)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:n])
    try:
        with open(source, "rb") as fh:
            return fh.read(n)
    except (OSError, TypeError, ValueError):
        return b""


def thumbnail_jpeg(img: LoadedImage, side: int = THUMB_SIDE) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img.rgb(side)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def error_report(source: str, message: str) -> Report:
    return Report(source=source, sha256=None, image=None, verdict="error", error=message)
