"""The Engine: owns settings, the bank and model sessions; runs checks and builds reports."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image

from imgcheck import checks as check_registry
from imgcheck import verdict
from imgcheck.bank import Bank, NewEntry
from imgcheck.checks import Check, CheckContext
from imgcheck.errors import ImgcheckError, InputError
from imgcheck.hashing import views
from imgcheck.load import LoadedImage, load_image
from imgcheck.models import ModelRegistry
from imgcheck.settings import Settings
from imgcheck.types import Evidence, Face, ProfileReport, Report

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
              checks: Iterable[str] | None = None) -> Report:
        """Check one image. Never raises for a bad image: the report says ``verdict: error``."""
        names = self.resolve_checks(checks)
        t0 = time.perf_counter()
        display = name or (source.source if isinstance(source, LoadedImage) else
                           "<bytes>" if isinstance(source, (bytes, bytearray)) else str(source))
        try:
            img = source if isinstance(source, LoadedImage) else self.load(source, name=name)
        except ImgcheckError as exc:
            return error_report(display, str(exc))
        timings = {"load": (time.perf_counter() - t0) * 1000}
        return self._run(img, names, timings)

    def _run(self, img: LoadedImage, names: Sequence[str], timings: dict[str, float],
             ctx: CheckContext | None = None) -> Report:
        ctx = ctx or CheckContext(self)
        evidence: list[Evidence] = []
        for n in names:
            t = time.perf_counter()
            try:
                ev = self._check(n).run(img, ctx)
            except ImgcheckError as exc:
                ev = Evidence(n, "error", f"The {n} check could not run: {exc}")
            except Exception as exc:  # noqa: BLE001 - one failing check must not stop the others
                log.exception("check %s failed on %s", n, img.source)
                ev = Evidence(n, "error", f"The {n} check failed unexpectedly ({type(exc).__name__}).")
            timings[n] = (time.perf_counter() - t) * 1000
            evidence.append(ev)
        flags = verdict.collect_flags(evidence)
        matches = tuple(m for ev in evidence for m in ev.matches)
        faces: tuple[Face, ...] = tuple(ctx.memo.get("faces", ()))
        return Report(source=img.source, sha256=img.sha256, image=img.info, verdict=verdict.decide(flags),
                      flags=flags, reasons=verdict.reasons(evidence), matches=matches, faces=faces,
                      evidence=tuple(evidence), timings_ms=timings)

    def check_profile(self, sources: Sequence[str | Path | bytes | LoadedImage],
                      names: Sequence[str] | None = None) -> ProfileReport:
        """Check every photo of one profile and add profile-level evidence."""
        from imgcheck.faces import face_observations
        from imgcheck.faces.consistency import PhotoFaces, face_consistency

        checks = self.resolve_checks(None)
        reports: list[Report] = []
        photos: list[PhotoFaces] = []
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
            reports.append(self._run(img, checks, {"load": (time.perf_counter() - t0) * 1000}, ctx))
            photos.append(PhotoFaces(Path(reports[-1].source).name, face_observations(ctx, img)))
        cfg = self.settings
        profile_evidence: tuple[Evidence, ...] = (
            face_consistency(photos, cfg.face_same_distance, cfg.face_different_distance),)
        flags = verdict.collect_flags([ev for r in reports for ev in r.evidence] + list(profile_evidence))
        return ProfileReport(reports=tuple(reports), verdict=verdict.decide(flags), flags=flags,
                             reasons=verdict.reasons(profile_evidence) + tuple(
                                 f"{r.source}: {x}" for r in reports for x in r.reasons),
                             evidence=profile_evidence)

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


def thumbnail_jpeg(img: LoadedImage, side: int = THUMB_SIDE) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img.rgb(side)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def error_report(source: str, message: str) -> Report:
    return Report(source=source, sha256=None, image=None, verdict="error", error=message)
