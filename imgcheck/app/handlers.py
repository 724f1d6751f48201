"""What the app does, as plain functions over an Engine: no Gradio here, so each is unit-tested.

The UI module (``ui.py``) only lays out components and calls these. Every handler that receives
uploads hands them to the ``UploadPolicy`` when it is done, success or not, so nothing a user sent
is kept. Errors a user can act on are raised as ``ImgcheckError`` (the UI shows them as messages).
"""

from __future__ import annotations

import io
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgcheck import i18n
from imgcheck.checks import registry as check_registry
from imgcheck.app import render
from imgcheck.app.uploads import Upload, UploadPolicy
from imgcheck.batch.inputs import ScanItem
from imgcheck.engine import Engine, _head, error_report
from imgcheck.errors import BankError, ImgcheckError, InputError
from imgcheck.load import LoadedImage
from imgcheck.types import BANK_KINDS, VERDICTS, Report
from imgcheck.video import looks_like_video

Progress = Callable[[float, str], None]

#: bank table columns (the UI's Dataframe headers)
BANK_COLUMNS = ["id", "label", "kind", "source", "added"]
#: batch table columns
BATCH_COLUMNS = ["file", "verdict", "flags", "matches", "reason"]


@dataclass(frozen=True)
class CheckView:
    report: dict[str, Any]
    banner: str
    advice: str
    evidence: str


@dataclass(frozen=True)
class ProfileView:
    report: dict[str, Any]
    banner: str
    advice: str
    evidence: str


@dataclass(frozen=True)
class BatchResult:
    rows: list[list[Any]]
    files: list[str]
    summary: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def ai_score_checks() -> frozenset[str]:
    """Registered checks that can raise an AI-likeness flag (their score gets the meter view).

    Reads each check class's ``flags`` without instantiating it, so no model is loaded.
    """
    names = set()
    for name in check_registry.check_names():
        try:
            flags = getattr(check_registry.check_class(name), "flags", ())
        except ImportError:
            continue
        if render.AI_SCORE_FLAGS & set(flags):
            names.add(name)
    return frozenset(names)


class AppHandlers:
    """The app's operations on one Engine.

    ``uploads`` decides which received files to delete after each request; ``work_dir`` is where
    batch reports and bank exports are written for download (the server removes it on exit).
    """

    def __init__(
        self,
        engine: Engine,
        uploads: UploadPolicy | None = None,
        work_dir: Path | None = None,
        preview_side: int = 768,
    ) -> None:
        self.engine = engine
        self.uploads = uploads or UploadPolicy()
        self.work_dir = work_dir
        self.preview_side = preview_side
        self._ai_checks: frozenset[str] | None = None

    @property
    def ai_checks(self) -> frozenset[str]:
        if self._ai_checks is None:
            self._ai_checks = ai_score_checks()
        return self._ai_checks

    def _thumb(self, entry_id: int) -> bytes | None:
        return self.engine.bank.store.thumb(entry_id) if self.engine.bank is not None else None

    # -- one photo -------------------------------------------------------------------------------
    def _check_one(self, up: Upload) -> tuple[Report, LoadedImage | None]:
        if not Path(up.path).is_file():
            # Gradio names upload folders by content: an identical upload finished a moment ago
            return error_report(
                up.name, f"{up.name}: the upload is no longer on the server; please upload it again"
            ), None
        if looks_like_video(_head(up.path)):
            return self.engine.check_video(up.path, name=up.name), None
        try:
            img = self.engine.load(up.path, name=up.name)
        except ImgcheckError as exc:
            return error_report(up.name, str(exc)), None
        return self.engine.check(img), img

    def _preview(self, img: LoadedImage | None) -> render.Preview | None:
        if img is None:
            return None
        try:
            return render.preview_of(img.rgb(self.preview_side), img.width, img.height)
        except ImgcheckError:
            return None

    def _one_upload(self, value: Any) -> Upload:
        ups = self.uploads.received(value)
        if not ups:
            raise InputError("choose a photo first")
        if len(ups) > 1:
            self.uploads.discard(ups)
            raise InputError("one photo at a time here; use 'Check a profile' for several")
        return ups[0]

    def check(self, value: Any) -> dict[str, Any]:
        """``/check``: one image file -> the report JSON (the document ``imgcheck check --json`` prints)."""
        up = self._one_upload(value)
        try:
            return self._check_one(up)[0].to_dict()
        finally:
            self.uploads.discard([up])

    def check_view(self, value: Any) -> CheckView:
        """The 'Check a photo' tab: verdict banner, reasons and next steps, evidence, report JSON."""
        up = self._one_upload(value)
        try:
            report, img = self._check_one(up)
            preview = self._preview(img)
        finally:
            self.uploads.discard([up])
        d = report.to_dict()
        return CheckView(
            report=d,
            banner=render.banner_html(d["verdict"], error=d.get("error"), failed=d.get("failed_checks") or ()),
            advice=render.advice_html(d["verdict"], d["flags"], render.report_reasons(d)),
            evidence=render.report_html(d, preview, self._thumb, self.ai_checks),
        )

    # -- one video clip ----------------------------------------------------------------------------
    def check_video_view(self, value: Any, progress: Progress | None = None) -> CheckView:
        """The 'Check a video' tab: verdict banner, reasons, a timeline strip of sampled frames, evidence.
        ``progress(fraction, text)`` follows the pass over the clip."""
        up = self._one_upload(value)
        try:
            if not Path(up.path).is_file():
                report = error_report(up.name, f"{up.name}: the upload is no longer on the server; "
                                                "please upload it again")
            else:
                report = self.engine.check_video(up.path, name=up.name, progress=progress)
        finally:
            self.uploads.discard([up])
        d = report.to_dict()
        strip = render.timeline_html(d, report.video.thumbnails) if report.video is not None else ""
        return CheckView(
            report=d,
            banner=render.banner_html(d["verdict"], subject="video", error=d.get("error"),
                                      failed=d.get("failed_checks") or ()),
            advice=render.advice_html(d["verdict"], d["flags"], render.report_reasons(d)),
            evidence=strip + render.report_html(d, None, self._thumb, self.ai_checks),
        )

    # -- one profile -----------------------------------------------------------------------------
    def _profile(self, value: Any, with_previews: bool) -> tuple[dict[str, Any], list[render.Preview | None]]:
        ups = self.uploads.received(value)
        try:
            if not ups:
                raise InputError("choose the profile's photos first")
            sources: list[str | LoadedImage] = []
            previews: list[render.Preview | None] = []
            for up in ups:
                try:
                    img = self.engine.load(up.path, name=up.name)
                except ImgcheckError:
                    sources.append(up.path)  # the engine turns it into an error report with the reason
                    previews.append(None)
                    continue
                sources.append(img)
                previews.append(self._preview(img) if with_previews else None)
            result = self.engine.check_profile(sources, names=[u.name for u in ups])
        finally:
            self.uploads.discard(ups)
        return result.to_dict(), previews

    def profile(self, value: Any) -> dict[str, Any]:
        """``/profile``: several image files -> the profile report JSON (``imgcheck profile --json``)."""
        return self._profile(value, with_previews=False)[0]

    def profile_view(self, value: Any) -> ProfileView:
        d, previews = self._profile(value, with_previews=True)
        return ProfileView(
            report=d,
            banner=render.banner_html(d["verdict"], subject="profile", error=d.get("error"),
                                      failed=d.get("failed_checks") or ()),
            advice=render.advice_html(d["verdict"], d["flags"], render.profile_reasons(d)),
            evidence=render.profile_html(d, previews, self._thumb, self.ai_checks),
        )

    # -- batch -----------------------------------------------------------------------------------
    def batch(self, value: Any, progress: Progress | None = None, lang: str = i18n.DEFAULT_LANG) -> BatchResult:
        """Check many files (images or zips of images) with ``imgcheck.batch``, the code behind
        ``imgcheck scan``, and write its JSON Lines, CSV and HTML reports; the summary, progress and
        HTML report in ``lang``."""
        from imgcheck.batch import Summary, scan_iter, write_csv, write_html, write_jsonl
        from imgcheck.batch.inputs import LIST_SUFFIXES, ZIP_SEP, iter_items, unique_items
        from imgcheck.batch.report_html import thumbnail_uri
        from imgcheck.batch.records import error_record
        from imgcheck.batch.scan import with_source

        ups = self.uploads.received(value)
        try:
            if not ups:
                raise InputError("choose image files or a zip file first")
            # a listing (.txt) names server paths: never let an upload do that
            refused = [
                u
                for u in ups
                if Path(u.name).suffix.lower() in LIST_SUFFIXES
                or Path(u.path).suffix.lower() in LIST_SUFFIXES
            ]
            scan = [u for u in ups if u not in refused]
            names = {u.path: u.name for u in scan}

            def shown(source: str) -> str:
                if source in names:
                    return names[source]
                head, sep, member = source.partition(ZIP_SEP)
                return f"{names.get(head, Path(head).name)}{sep}{member}"

            paths = list(names)
            total = sum(1 for _ in unique_items(iter_items(paths))) + len(refused)
            records: list[dict[str, Any]] = [
                error_record(u.name, f"{u.name}: not an image or a zip file") for u in refused
            ]
            real_source: dict[str, str] = {}
            skipped: list[str] = []  # files in zips that are not images: no record, counted
            for rec in scan_iter(paths, self.engine, on_skip=lambda src: skipped.append(shown(src))):
                real = str(rec["source"])
                rec = with_source(rec, shown(real))
                real_source[rec["source"]] = real  # where the HTML report reads its thumbnail
                records.append(rec)
                if progress is not None:
                    progress(len(records) / max(total, 1), i18n.t("app.batch.progress", lang, n=len(records),
                                                                  total=total))
            out = self._out_dir("scan")
            limits = self.engine.settings.limits
            files = [
                write_jsonl(records, out / "imgcheck-report.jsonl"),
                write_csv(records, out / "imgcheck-report.csv"),
                write_html(
                    records,
                    out / "imgcheck-report.html",
                    bank=self.engine.bank,
                    limits=limits,
                    thumb_for=lambda src: thumbnail_uri(real_source.get(src, ""), limits),
                    lang=lang,
                ),
            ]
        finally:
            self.uploads.discard(ups)
        counts: dict[str, int] = dict(Summary.of(records).verdicts)  # the scan's own counts (batch/records.py)
        summary = ", ".join(i18n.t(f"app.batch.count.{v}", lang, n=counts[v]) for v in VERDICTS if v in counts)
        text = i18n.t("app.batch.checked", lang, n=len(records), counts=summary or i18n.t("app.batch.nothing", lang))
        if skipped:
            text += " " + i18n.t("app.batch.skipped", lang, n=len(skipped), examples=", ".join(skipped[:3]))
        return BatchResult(
            rows=[batch_row(r) for r in records],
            files=[str(f) for f in files],
            summary=text,
            counts=counts,
            skipped=skipped,
        )

    def _out_dir(self, prefix: str) -> Path:
        """A fresh folder for downloads; folders older than an hour are removed on the way."""
        if self.work_dir is None:
            raise ImgcheckError("downloads are not available (no work folder)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for old in self.work_dir.iterdir():
            if old.is_dir() and now - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)
        out = self.work_dir / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        out.mkdir()
        return out

    # -- bank ------------------------------------------------------------------------------------
    def _bank(self):
        if self.engine.bank is None:
            raise BankError("no bank is open")
        return self.engine.bank

    def bank_table(self) -> list[list[Any]]:
        return [[e.id, e.label, e.kind, e.source, e.added_at] for e in self._bank().store.entries()]

    def bank_summary(self, lang: str = i18n.DEFAULT_LANG) -> str:
        s = self._bank().store.stats()
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(s["by_kind"].items())) or i18n.t("app.bank.empty", lang)
        return i18n.t("app.bank.summary", lang, entries=s["entries"], labels=s["labels"], kinds=kinds)

    def bank_add(self, value: Any, label: str, kind: str, lang: str = i18n.DEFAULT_LANG) -> str:
        ups = self.uploads.received(value)
        try:
            label = (label or "").strip()
            if not ups:
                raise InputError("choose one or more photos to add")
            if not label:
                raise InputError("give a label: who or what the photos show")
            if kind not in BANK_KINDS:
                raise InputError(f"kind must be one of {', '.join(BANK_KINDS)}")
            from imgcheck.batch.file_jobs import add_items

            self._bank()
            items = [ScanItem(up.name, str(up.path)) for up in ups]
            done = add_items(self.engine, items, label=label, kind=kind, workers=1,
                             source=lambda item: f"added in the app: {item.source}")
        finally:
            self.uploads.discard(ups)
        msg = i18n.t("app.bank.added", lang, added=done.added, label=label, kind=kind, same=done.same)
        if done.refused:
            msg += " " + i18n.t("app.bank.skipped", lang, why="; ".join(done.refused))
        return msg

    def bank_remove(self, ids_text: str, lang: str = i18n.DEFAULT_LANG) -> str:
        ids = parse_ids(ids_text)
        if not ids:
            raise InputError("give the ids to remove, e.g. 3, 5, 8")
        n = self._bank().store.remove(ids)
        return i18n.t("app.bank.removed", lang, n=n, total=len(ids))

    def bank_export(self, fmt: str = "te") -> str:
        fmt = self.engine.hash_list_format(fmt or "te")
        name = {"te": "imgcheck-hashes.txt", "te-csv": "imgcheck-hashes-te.csv", "te-indicators":
                "simple.HASH_PDQ.te", "imgcheck": "imgcheck-hashes.csv"}[fmt]
        path = self._out_dir("bank") / name
        self._bank()
        summary = self.engine.export_hashes(path, fmt)
        if summary.written == 0:
            raise InputError("the bank holds no PDQ hashes to export in this format (" + summary.describe() + ")")
        return str(path)

    def bank_import(self, value: Any, kind: str, lang: str = i18n.DEFAULT_LANG) -> str:
        ups = self.uploads.received(value)
        try:
            if len(ups) != 1:
                raise InputError("choose one hash list")
            self._bank()
            summary = self.engine.import_hashes(Path(ups[0].path), default_kind=kind or "known_scam",
                                  display_name=ups[0].name)
        finally:
            self.uploads.discard(ups)
        msg = i18n.t("app.bank.imported", lang, name=ups[0].name, what=summary.describe())
        if summary.errors:
            msg += " " + i18n.t("app.bank.refused", lang, why="; ".join(summary.errors[:5]))
        if not summary.ok and not summary.imported:
            raise InputError(msg + " Nothing was imported.")
        return msg


def parse_ids(text: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,;]+", text or "") if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise InputError(f"ids are whole numbers separated by commas, not {text!r}") from None


def batch_row(report: dict[str, Any]) -> list[Any]:
    matches = "; ".join(f"{m['label']} ({m['method']})" for m in report.get("matches") or [])
    reason = "; ".join(report.get("reasons") or []) or (report.get("error") or "")
    return [
        report.get("source", ""),
        report.get("verdict", ""),
        ", ".join(report.get("flags") or []),
        matches,
        reason,
    ]


def warm_up(engine: Engine) -> float:
    """Run every check once on a small synthetic photo so models load before the first user does."""
    from PIL import Image

    t = time.perf_counter()
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 100, 90)).save(buf, "PNG")
    engine.check(buf.getvalue(), name="warm-up")
    return time.perf_counter() - t
