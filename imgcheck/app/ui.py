"""The Gradio layout. It only places components and wires them to ``AppHandlers``; no logic here.

``build_app`` returns the Blocks; only ``imgcheck serve`` launches it (see ``server.py``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from imgcheck import i18n
from imgcheck.app import render
from imgcheck.app.handlers import BANK_COLUMNS, BATCH_COLUMNS, AppHandlers
from imgcheck.app.uploads import UploadPolicy, UploadRegistry
from imgcheck.engine import Engine
from imgcheck.errors import ImgcheckError
from imgcheck.examples import EXAMPLES_DIR
from imgcheck.settings import BATCH_CONCURRENCY, SERVE_CONCURRENCY
from imgcheck.types import BANK_KINDS

log = logging.getLogger(__name__)

#: example photos offered on first run: (file, message id of its caption)
EXAMPLE_PHOTOS: tuple[tuple[str, str], ...] = (
    ("stolen_astronaut.jpg", "ui.example_stolen"),
    ("obama2.jpg", "ui.example_face"),
    ("coffee.png", "ui.example_plain"),
)

#: the page's fixed text for Gradio's i18n (chosen from the browser's language), from the catalog's
#: "ui." ids; the language switch relabels the same components from the same ids
#: ui ids of the tabs a public demo does not have (its page does not carry their words either)
PRIVATE_UI = ("ui.batch", "ui.bank", "ui.tab_batch", "ui.tab_bank", "ui.refresh")


def page_i18n(public: bool = False) -> gr.I18n:
    return gr.I18n(**{lang: {code.replace(".", "_"): entry[lang] for code, entry in i18n.MESSAGES.items()
                             if code.startswith("ui.") and not (public and code.startswith(PRIVATE_UI))}
                      for lang in i18n.LANGS})


I18N = page_i18n()

INTRO = i18n.MESSAGES["ui.intro"]["en"]

WAITING = f'<div class="ic-banner ic-waiting" data-verdict="">{render.tt("app.waiting.photo")}</div>'
PROFILE_WAITING = f'<div class="ic-banner ic-waiting">{render.tt("app.waiting.profile")}</div>'

#: shows the rendered sentences of the chosen language (render.both); English until a language is set
PAGE_CSS = """
html:not([data-ic-lang="fr"]) .ic-t[lang="fr"]{display:none !important}
html[data-ic-lang="fr"] .ic-t[lang="en"]{display:none !important}
#check-examples .gallery-item img, #check-examples button img{width:150px !important;height:150px !important;
  max-width:none !important;max-height:none !important;object-fit:cover}
#check-examples .gallery-item{max-width:none !important;width:auto !important;height:auto !important}
#lang-switch{max-width:360px}
"""
#: the browser's languages, for the server to pick ours (imgcheck.i18n.pick_lang)
DETECT_LANG_JS = ("(v) => (navigator.languages && navigator.languages.length ? navigator.languages.join(',') "
                  ": navigator.language) || 'en'")
SET_LANG_JS = "(v) => { document.documentElement.setAttribute('data-ic-lang', v || 'en'); return v; }"
#: on page load, before any event: the browser's first supported language, so results show in it at once
PAGE_JS = ("() => { const l = (navigator.languages && navigator.languages[0]) || navigator.language || 'en'; "
           "document.documentElement.setAttribute('data-ic-lang', l.toLowerCase().startsWith('fr') ? 'fr' "
           ": 'en'); }")


def _guard(call: Callable[..., Any]) -> Callable[..., Any]:
    """Show ImgcheckError as a message; hide any other exception behind a generic one (no traceback)."""

    @functools.wraps(call)  # Gradio reads the signature to inject gr.Request and gr.Progress
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except ImgcheckError as exc:
            raise gr.Error(str(exc)) from None
        except gr.Error:
            raise
        except Exception:  # users never see tracebacks
            log.exception("app handler %s failed", getattr(call, "__name__", call))
            raise gr.Error("Something went wrong on our side; the error was logged.") from None

    return run


def _html(value: str = "", **kw: Any) -> gr.HTML:
    return gr.HTML(value, css_template=render.CSS, **kw)


def L(code: str) -> Any:
    """A fixed page text by message id (translated in the browser by Gradio's i18n)."""
    return I18N(code.replace(".", "_"))


def _example_paths(examples_dir: Path) -> list[list[str]]:
    return [
        [str(examples_dir / "photos" / f)]
        for f, _ in EXAMPLE_PHOTOS
        if (examples_dir / "photos" / f).is_file()
    ]


def _keep_set(blocks: gr.Blocks) -> Callable[[], set[str]]:
    def keep() -> set[str]:
        out: set[str] = set()
        for comp in list(blocks.blocks.values()):
            out.update(getattr(comp, "keep_in_cache", ()) or ())
        return out

    return keep


def _is_example_bank(engine: Engine) -> bool:
    return engine.bank is not None and Path(engine.bank.path).name.startswith("example-bank-")


def build_app(
    engine: Engine,
    *,
    public: bool = False,
    auth: Sequence[tuple[str, str]] | None = None,
    work_dir: Path | None = None,
    upload_root: Path | None = None,
    bank_editable: bool | None = None,
    examples_dir: Path = EXAMPLES_DIR,
    delete_cache: tuple[int, int] = (120, 600),
    concurrency: int = SERVE_CONCURRENCY,
) -> gr.Blocks:
    """The app on ``engine``.

    ``public``: only the check tabs exist (photo, video, profile; no bank, no batch, and no endpoints for them).
    ``auth``: the users allowed in; bank and batch handlers refuse requests without a logged-in user.
    ``upload_root``: Gradio's upload folder; uploads found there are deleted after each request
    (default: Gradio's current upload folder). ``work_dir``: where downloads are written.
    ``concurrency``: checks running at once (every event that uses the engine shares this lane).
    """
    login_required = bool(auth)
    blocks = gr.Blocks(title="imgcheck", analytics_enabled=False, delete_cache=delete_cache)
    if upload_root is None:
        upload_root = Path(blocks.GRADIO_CACHE)
    registry = UploadRegistry()  # counts concurrent uploads of the same photo (see uploads.py)
    blocks.temp_file_sets = [registry if s is blocks.upload_file_set else s for s in blocks.temp_file_sets]
    blocks.upload_file_set = registry
    policy = UploadPolicy(root=upload_root, keep=_keep_set(blocks), registry=registry)
    h = AppHandlers(engine, policy, work_dir)
    editable = (not _is_example_bank(engine)) if bank_editable is None else bank_editable
    engine_lane = {"concurrency_id": "engine", "concurrency_limit": concurrency}

    def require_login(request: gr.Request | None) -> None:
        if login_required and not (request is not None and getattr(request, "username", None)):
            raise gr.Error("Log in to use this part of the app.")

    # -- thin adapters from Gradio values to handler calls -----------------------------------------
    def check_view(photo: Any) -> tuple[Any, ...]:
        if photo is None:
            return WAITING, "", "", None
        v = h.check_view(photo)
        return v.banner, v.advice, v.evidence, v.report

    def video_view(clip: Any, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if clip is None:
            return WAITING, "", "", None
        v = h.check_video_view(clip, progress=lambda frac, desc: progress(frac, desc=desc))
        return v.banner, v.advice, v.evidence, v.report

    def profile_view(files: Any) -> tuple[Any, ...]:
        v = h.profile_view(files)
        return v.banner, v.advice, v.evidence, v.report, None

    # The batch and bank events of the page take the page's language (the switch) as their last input
    # and answer in it; the API endpoints of the same names keep their inputs and answer in English.
    def batch_scan(files: Any, request: gr.Request, progress: gr.Progress = gr.Progress(track_tqdm=True)):  # noqa: B008
        return batch_scan_in(files, i18n.DEFAULT_LANG, request, progress)

    def batch_scan_in(files: Any, chosen: str | None, request: gr.Request,
                      progress: gr.Progress = gr.Progress(track_tqdm=True)):  # noqa: B008
        require_login(request)
        r = h.batch(files, progress=lambda frac, desc: progress(frac, desc=desc), lang=i18n.pick_lang(chosen))
        return r.summary, r.rows, r.files, None

    def bank_list(request: gr.Request):
        return bank_list_in(i18n.DEFAULT_LANG, request)

    def bank_list_in(chosen: str | None, request: gr.Request):
        require_login(request)
        return h.bank_summary(i18n.pick_lang(chosen)), h.bank_table()

    def bank_add(files: Any, label: str, kind: str, request: gr.Request):
        return bank_add_in(files, label, kind, i18n.DEFAULT_LANG, request)

    def bank_add_in(files: Any, label: str, kind: str, chosen: str | None, request: gr.Request):
        require_login(request)
        lang = i18n.pick_lang(chosen)
        return h.bank_add(files, label, kind, lang), h.bank_summary(lang), h.bank_table(), None

    def bank_remove(ids: str, request: gr.Request):
        return bank_remove_in(ids, i18n.DEFAULT_LANG, request)

    def bank_remove_in(ids: str, chosen: str | None, request: gr.Request):
        require_login(request)
        lang = i18n.pick_lang(chosen)
        return h.bank_remove(ids, lang), h.bank_summary(lang), h.bank_table()

    def bank_export(fmt: str, request: gr.Request):
        require_login(request)
        return h.bank_export(fmt)

    def bank_import(file: Any, kind: str, request: gr.Request):
        return bank_import_in(file, kind, i18n.DEFAULT_LANG, request)

    def bank_import_in(file: Any, kind: str, chosen: str | None, request: gr.Request):
        require_login(request)
        lang = i18n.pick_lang(chosen)
        return h.bank_import(file, kind, lang), h.bank_summary(lang), h.bank_table(), None

    #: (trigger, page function, API function, inputs, outputs, api_name, event options), wired after
    #: the layout: the page's event with the language switch as an extra input (no API), and a hidden
    #: button per endpoint for the API without it
    two_way: list[tuple[Any, ...]] = []

    #: (component, property, message id): what the language switch relabels
    texts: list[tuple[Any, str, str]] = []

    def said(component: Any, **props: str) -> Any:
        for prop, code in props.items():
            texts.append((component, prop, code))
        return component

    def result_panel(prefix: str, waiting: str, json_code: str, json_label: str,
                     json_id: str | None = None) -> list[Any]:
        """A check tab's result column: verdict banner, reasons, evidence and the JSON report."""
        shown = [_html(waiting, label="verdict", elem_id=f"{prefix}-banner"),
                 _html(label="reasons", elem_id=f"{prefix}-advice"),
                 _html(label="evidence", elem_id=f"{prefix}-evidence")]
        with said(gr.Accordion(L(json_code), open=False), label=json_code):
            return [*shown, gr.JSON(label=json_label, elem_id=json_id)]

    def on_engine(event: Any, fn: Callable[..., Any], inputs: Any, outputs: list[Any], api_name: str) -> None:
        """Run ``fn`` (guarded) in the engine's lane when ``event`` fires, scrolled to its output."""
        event(_guard(fn), inputs=inputs, outputs=outputs, preprocess=False, api_name=api_name,
              scroll_to_output=True, **engine_lane)

    with blocks:
        with gr.Row(equal_height=True):
            intro = said(gr.Markdown(L("ui.intro"), elem_id="intro"), value="ui.intro")
            lang = said(gr.Radio([(i18n.LANG_NAMES[x], x) for x in i18n.LANGS], value=i18n.DEFAULT_LANG,
                                 label=L("ui.language"), elem_id="lang-switch", scale=0, min_width=200),
                        label="ui.language")
        del intro
        with gr.Tabs():
            with said(gr.Tab(L("ui.tab_check"), id="check", elem_id="tab-check"), label="ui.tab_check"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=280):
                        photo = gr.Image(
                            type="filepath",
                            image_mode=None,
                            label=L("ui.photo"),
                            sources=["upload", "clipboard", "webcam"],
                            elem_id="photo-input",
                            height=360,
                        )
                        examples = _example_paths(examples_dir)
                        if examples:
                            shown = {Path(e[0]).name for e in examples}
                            gr.Examples(
                                examples,
                                inputs=[photo],
                                label=L("ui.examples"),
                                examples_per_page=3,
                                elem_id="check-examples",
                            )
                            # one caption per example, in the order shown (in every language: render.both)
                            _html('<ol class="ic-ex-captions">' + "".join(
                                f"<li>{render.tt(code)}</li>" for f, code in EXAMPLE_PHOTOS if f in shown)
                                + "</ol>", elem_id="check-example-captions")
                    with gr.Column(scale=3, min_width=280):
                        panel = result_panel("check", WAITING, "ui.report_json", "Report", "check-report")
                on_engine(photo.change, check_view, photo, panel, "check_view")

            with said(gr.Tab(L("ui.tab_video"), id="video", elem_id="tab-video"), label="ui.tab_video"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=280):
                        clip = gr.File(
                            label=L("ui.video_clip"),
                            file_types=[".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".gif", ".webp"],
                            type="filepath",
                            elem_id="video-input",
                        )
                    with gr.Column(scale=3, min_width=280):
                        vpanel = result_panel("video", WAITING, "ui.report_json", "Report", "video-report")
                on_engine(clip.change, video_view, clip, vpanel, "check_video_view")

            with said(gr.Tab(L("ui.tab_profile"), id="profile", elem_id="tab-profile"), label="ui.tab_profile"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=280):
                        pfiles = gr.File(
                            file_count="multiple",
                            file_types=["image"],
                            type="filepath",
                            label=L("ui.profile_photos"),
                            elem_id="profile-input",
                        )
                        pbtn = said(gr.Button(L("ui.profile_run"), variant="primary", elem_id="profile-run"),
                                    value="ui.profile_run")
                        profile_example = [p[0] for p in _example_paths(examples_dir)]
                        if len(profile_example) > 1:
                            gr.Examples([[profile_example]], inputs=[pfiles], label=L("ui.profile_example"))
                    with gr.Column(scale=3, min_width=280):
                        ppanel = result_panel("profile", PROFILE_WAITING, "ui.profile_json", "Profile report")
                on_engine(pbtn.click, profile_view, pfiles, [*ppanel, pfiles], "profile_view")

            if not public:
                with said(gr.Tab(L("ui.tab_batch"), id="batch", elem_id="tab-batch"), label="ui.tab_batch"):
                    said(gr.Markdown(L("ui.batch_intro")), value="ui.batch_intro")
                    bfiles = said(gr.File(
                        file_count="multiple",
                        file_types=["image", ".zip"],
                        type="filepath",
                        label=L("ui.batch_files"),
                        elem_id="batch-input",
                    ), label="ui.batch_files")
                    bbtn = said(gr.Button(L("ui.batch_run"), variant="primary", elem_id="batch-run"),
                                value="ui.batch_run")
                    bsummary = gr.Markdown(label="summary", elem_id="batch-summary")
                    btable = said(gr.Dataframe(
                        headers=BATCH_COLUMNS,
                        interactive=False,
                        wrap=True,
                        label=L("ui.batch_results"),
                        elem_id="batch-table",
                    ), label="ui.batch_results")
                    bfiles_out = said(gr.File(
                        file_count="multiple",
                        label=L("ui.batch_downloads"),
                        interactive=False,
                        elem_id="batch-downloads",
                    ), label="ui.batch_downloads")
                    two_way.append((bbtn.click, batch_scan_in, batch_scan, [bfiles],
                                    [bsummary, btable, bfiles_out, bfiles], "batch",
                                    {"preprocess": False, "concurrency_id": "batch",
                                     "concurrency_limit": BATCH_CONCURRENCY}))

                with said(gr.Tab(L("ui.tab_bank"), id="bank", elem_id="tab-bank"), label="ui.tab_bank"):
                    bank_summary = gr.Markdown(label="summary", elem_id="bank-summary")
                    if not editable:
                        said(gr.Markdown(L("ui.bank_example_note")), value="ui.bank_example_note")
                    bank_table = said(gr.Dataframe(
                        headers=BANK_COLUMNS,
                        interactive=False,
                        wrap=True,
                        label=L("ui.bank_entries"),
                        elem_id="bank-table",
                    ), label="ui.bank_entries")
                    refresh = said(gr.Button(L("ui.refresh"), size="sm"), value="ui.refresh")
                    two_way.append((refresh.click, bank_list_in, bank_list, [], [bank_summary, bank_table],
                                    "bank_list", {}))
                    blocks.load(_guard(bank_list), outputs=[bank_summary, bank_table], api_name="bank_load")
                    # the summary follows the language switch
                    bank_relist = (_guard(bank_list_in), [bank_summary, bank_table])
                    if editable:
                        status = gr.Markdown(label="status", elem_id="bank-status")
                        with said(gr.Accordion(L("ui.bank_add_title"), open=True), label="ui.bank_add_title"):
                            afiles = said(gr.File(
                                file_count="multiple",
                                file_types=["image"],
                                type="filepath",
                                label=L("ui.bank_add_files"),
                            ), label="ui.bank_add_files")
                            with gr.Row():
                                alabel = said(gr.Textbox(label=L("ui.bank_label")), label="ui.bank_label")
                                akind = said(gr.Dropdown(list(BANK_KINDS), value="celebrity", label=L("ui.bank_kind")),
                                             label="ui.bank_kind")
                            abtn = said(gr.Button(L("ui.bank_add_run"), variant="primary"), value="ui.bank_add_run")
                            two_way.append((abtn.click, bank_add_in, bank_add, [afiles, alabel, akind],
                                            [status, bank_summary, bank_table, afiles], "bank_add",
                                            {"preprocess": False, **engine_lane}))
                        with said(gr.Accordion(L("ui.bank_remove_title"), open=False), label="ui.bank_remove_title"):
                            rids = said(gr.Textbox(label=L("ui.bank_ids")), label="ui.bank_ids")
                            rbtn = said(gr.Button(L("ui.bank_remove_run"), variant="stop"), value="ui.bank_remove_run")
                            two_way.append((rbtn.click, bank_remove_in, bank_remove, [rids],
                                            [status, bank_summary, bank_table], "bank_remove", {}))
                        with said(gr.Accordion(L("ui.bank_share"), open=False), label="ui.bank_share"):
                            efmt = said(gr.Dropdown(
                                [("pdq <hash> lines (threatexchange local_file)", "te"),
                                 ("threatexchange dataset CSV", "te-csv"),
                                 ("ThreatExchange indicator CSV", "te-indicators"),
                                 ("imgcheck CSV (every column)", "imgcheck")],
                                value="te", label=L("ui.bank_format")), label="ui.bank_format")
                            ebtn = said(gr.Button(L("ui.bank_export_run")), value="ui.bank_export_run")
                            efile = said(gr.File(label=L("ui.bank_hash_list"), interactive=False),
                                         label="ui.bank_hash_list")
                            ebtn.click(_guard(bank_export), inputs=efmt, outputs=efile, api_name="bank_export")
                            ifile = said(gr.File(file_types=[".csv", ".txt", ".tsv", ".te", ".json", ".jsonl"],
                                                 type="filepath", label=L("ui.bank_import_file")),
                                         label="ui.bank_import_file")
                            ikind = said(gr.Dropdown(
                                list(BANK_KINDS), value="known_scam", label=L("ui.bank_import_kind")
                            ), label="ui.bank_import_kind")
                            ibtn = said(gr.Button(L("ui.bank_import_run")), value="ui.bank_import_run")
                            two_way.append((ibtn.click, bank_import_in, bank_import, [ifile, ikind],
                                            [status, bank_summary, bank_table, ifile], "bank_import",
                                            {"preprocess": False}))

        # API-only endpoints with clean signatures: one file -> report JSON; several -> profile JSON
        with gr.Group(visible=False):
            for trigger, page_fn, api_fn, inputs, outputs, api_name, options in two_way:
                trigger(_guard(page_fn), inputs=[*inputs, lang], outputs=outputs, api_visibility="private",
                        **options)
                gr.Button(api_name).click(_guard(api_fn), inputs=inputs, outputs=outputs, api_name=api_name,
                                          **options)
            api_file = gr.File(type="filepath", label="image")
            api_files = gr.File(file_count="multiple", type="filepath", label="images")
            api_out = gr.JSON(label="report")
            api_check = gr.Button("check")
            api_profile = gr.Button("profile")
        api_check.click(
            _guard(h.check),
            inputs=api_file,
            outputs=api_out,
            preprocess=False,
            api_name="check",
            api_description="One image file -> the imgcheck report (same JSON as `imgcheck check --json`).",
            **engine_lane,
        )
        api_profile.click(
            _guard(h.profile),
            inputs=api_files,
            outputs=api_out,
            preprocess=False,
            api_name="profile",
            api_description="All photos of one profile -> the profile "
            "report (same JSON as `imgcheck profile --json`).",
            **engine_lane,
        )

        # language: picked from the browser's languages on load, then the switch. Sentences the checks
        # wrote are already on the page in every language (render.both): CSS shows the chosen one; the
        # fixed texts are relabelled from the same message ids.
        def pick_language(browser: str | None) -> str:
            return i18n.pick_lang(browser)

        def relabel(choice: str | None) -> list[Any]:
            chosen = i18n.pick_lang(choice)
            return [gr.update(**{prop: i18n.text(code, {}, chosen)}) for _, prop, code in texts]

        browser = gr.Textbox(visible=False)  # the browser's languages (a Radio refuses values it does not list)
        blocks.load(pick_language, inputs=browser, outputs=lang, js=DETECT_LANG_JS, api_name="browser_language",
                    queue=False)
        lang.change(relabel, inputs=lang, outputs=[c for c, _, _ in texts], js=SET_LANG_JS,
                    api_name="set_language", queue=False)
        if not public:
            lang.change(bank_relist[0], inputs=lang, outputs=bank_relist[1], api_visibility="private")
    return blocks
