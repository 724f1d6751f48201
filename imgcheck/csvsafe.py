"""Spreadsheet-safe CSV cells: a cell that a spreadsheet would run as a formula gets a leading ``'``.

File names, bank labels, tags and sources come from untrusted files and users. Spreadsheets run a
cell that starts with ``= + - @`` (and some with a tab, CR or LF first, after leading spaces, or with the
full-width ``＝ ＋ － ＠``), so such a cell is written with a leading apostrophe, which spreadsheets
show as text (OWASP's CSV-injection advice). ``unformula`` undoes it when a list is read back.
"""

from __future__ import annotations

#: characters that start a formula (ASCII and full-width) or a DDE payload after whitespace
_TRIGGERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_LEADING_WS = " \t\r\n\u00a0\u3000"


def needs_quote(text: str) -> bool:
    if not text:
        return False
    if text[0] in "\t\r\n":
        return True
    return text.lstrip(_LEADING_WS).startswith(_TRIGGERS)


def formula_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if needs_quote(text) else text


def unformula(text: str) -> str:
    """The original text of a cell ``formula_safe`` wrote."""
    return text[1:] if text.startswith("'") and needs_quote(text[1:]) else text
