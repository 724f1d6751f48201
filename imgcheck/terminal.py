"""Printing strings that come from files or users (metadata, file names, labels, reasons) literally.

A photo's EXIF Make of ``Evil[/dim][/]`` must not end the CLI in a markup error, a Model of
``[link=...]`` must not become a clickable link, and an escape sequence in a file name must not move
the cursor, retitle the window or write a hyperlink (OSC 8). So the CLI never hands such a string to
Rich as markup: lines are built as ``rich.text.Text`` (no markup, no emoji codes), and control
characters (C0, DEL, C1 with ESC and the 8-bit CSI/OSC among them) and the bidirectional overrides that
can reorder what a terminal shows are written as visible escapes (``\\x1b``, ``\\u202e``).

Lines go out through ``emit``: styled on a terminal, and off a terminal (a pipe, a file) written in
one piece, however long, with no style codes, so ``grep`` and ``cut`` see one item per line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console
from rich.text import Text

#: the command line's shared options (``--lang``, ``--quiet``), set once per process
OPTIONS: dict[str, object] = {"lang": None, "quiet": False}

#: what is shown as an escape: C0 controls (tab and newline included: every field is one line), DEL,
#: C1 controls, and the Unicode bidi embedding/override/isolate marks
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
#: the same set minus what JSON itself escapes (C0), for JSON Lines on a terminal
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def clean(value: object) -> str:
    """``value`` as one printable line: control and bidi characters written as visible escapes."""
    return UNSAFE.sub(_escape, "" if value is None else str(value))


def line(*parts: str | tuple[object, str]) -> Text:
    """A line of literal text: each part is a string or ``(string, style)``; every string is cleaned and
    none is read as markup. Styles are the caller's own constants."""
    text = Text(no_wrap=False)
    for part in parts:
        if isinstance(part, tuple):
            text.append(clean(part[0]), style=part[1])
        else:
            text.append(clean(part))
    return text


def json_line(obj: Any) -> str:
    """One JSON document on one line, non-ASCII kept readable but C1 and bidi controls escaped (JSON
    already escapes C0), so a JSON Lines stream printed on a terminal cannot drive it either."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))


def emit(console: Console, *parts: str | tuple[object, str]) -> None:
    """Write one ``line(*parts)``: with its styles on a terminal, as plain unwrapped text elsewhere."""
    text = line(*parts)
    if console.is_terminal:
        console.print(text, soft_wrap=True)
        return
    stream = console.file
    stream.write(text.plain + "\n")
    stream.flush()
