"""Messages by id, rendered per language (English and French).

Checks never build sentences themselves: they name a message id and its parameters
(``msg("known_image.match", label=..., distance=16, bits=256)``). The report keeps the id and the
parameters (language-neutral) plus the English text in ``reason``; the CLI and the app render the same
id in the reader's language. Parameters are numbers and strings that came from the photo or the bank
(labels, file names, metadata excerpts); those are never translated.

Templates are ``str.format`` strings over the parameters, with two additions: a float formatted
with a spec (``{p:.0%}``, ``{d:.2f}``) gets the language's decimal comma and percent spacing, the
spec ``q`` quotes a string or each item of a list and joins them (``'Jane', 'Joe'`` / « Jane », « Joe »),
and the spec ``m`` renders a parameter that is itself a message id (``{part:m}``).
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

from imgcheck.messages import MESSAGES

LANGS: tuple[str, ...] = ("en", "fr")
DEFAULT_LANG = "en"
LANG_NAMES = {"en": "English", "fr": "Français"}


def pick_lang(*specs: str | None) -> str:
    """The first supported language named by any of ``specs``: a code (``fr``), a locale
    (``fr_FR.UTF-8``, ``fr-CA``) or an Accept-Language / navigator.languages list
    (``fr-FR,fr;q=0.9,en``). English when none is supported."""
    for spec in specs:
        if not spec:
            continue
        for part in re.split(r"[,:]", str(spec)):
            code = part.split(";")[0].strip().lower().replace("_", "-").split(".")[0].split("-")[0]
            if code in LANGS:
                return code
    return DEFAULT_LANG


def env_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``)."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return pick_lang(value)
    return DEFAULT_LANG


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, spec: str) -> str:
        if spec == "m":  # the parameter is itself a message id (a part name, a kind): render it
            return text(str(value), {}, self.lang) if str(value) in MESSAGES else str(value)
        if spec == "q":
            items = value if isinstance(value, (list, tuple)) else [value]
            quote = ("« {} »" if self.lang == "fr" else "'{}'").format
            return ", ".join(quote(str(v)) for v in items)
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        out = super().format_field(value, spec)  # not named "text": that would shadow text() above
        if self.lang == "fr" and isinstance(value, (int, float)) and not isinstance(value, bool) and spec:
            out = out.replace(".", ",")
            if out.endswith("%"):
                out = out[:-1] + "\u202f%"
        return out


def text(code: str, params: Mapping[str, Any] | None = None, lang: str = DEFAULT_LANG) -> str:
    """Message ``code`` in ``lang`` (English when that language lacks it). Unknown ids raise KeyError."""
    entry = MESSAGES[code]
    template = entry.get(lang) or entry[DEFAULT_LANG]
    return _Formatter(lang if lang in entry else DEFAULT_LANG).vformat(template, (), dict(params or {}))


def t(code: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """``text`` with keyword parameters, for interface strings."""
    return text(code, params, lang)


def msg(code: str, **params: Any) -> dict[str, Any]:
    """Keyword arguments for ``Evidence``: the message id, its parameters and its English text."""
    return {"reason": text(code, params), "code": code, "params": params}


def reason_text(ev: Mapping[str, Any], lang: str = DEFAULT_LANG) -> str:
    """An evidence dict's reason in ``lang``: from its message id when it has one the catalog knows
    (any report of schema 2 or later), else its English ``reason`` as it is."""
    code = ev.get("code")
    if isinstance(code, str) and code in MESSAGES:
        try:
            return text(code, ev.get("params") or {}, lang)
        except (KeyError, IndexError, ValueError, TypeError):
            pass  # parameters that do not fit (a report from another version): the stored text
    return str(ev.get("reason") or "")


def placeholders(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def missing(langs: Iterable[str] = LANGS) -> list[str]:
    """Message ids that some language lacks or whose placeholders differ from English (for tests)."""
    bad = []
    for code, entry in MESSAGES.items():
        for lang in langs:
            if lang not in entry or placeholders(entry[lang]) != placeholders(entry[DEFAULT_LANG]):
                bad.append(f"{code}:{lang}")
    return bad
