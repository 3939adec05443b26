"""Text made safe to show: what the CLI prints goes through `printable`.

File names and arguments that are not valid UTF-8 reach Python as lone surrogates
(surrogateescape): a terminal or a log cannot encode them, so they are shown decoded with
replacement characters, while the paths themselves keep their bytes. Control characters (ESC,
OSC sequences, NUL) from a recording's name or an agenda would drive the terminal: they are
shown escaped.
"""

from __future__ import annotations

import os
import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"[\t\n]")


def decoded(text: str) -> str:
    """`text` with the bytes that were not UTF-8 (lone surrogates) as U+FFFD: for text that is
    stored or searched (a name, a query), never for a path, which must keep its bytes."""
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that never was a byte (from JSON "\ud800")
        return _SURROGATE.sub("\ufffd", text)


def printable(text: object) -> str:
    """`text` as a str any UTF-8 terminal shows as it is: undecodable bytes as U+FFFD, control
    characters as \\xNN, tabs and newlines as spaces."""
    text = decoded(os.fspath(text) if isinstance(text, os.PathLike) else str(text))
    text = _SPACE.sub(" ", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


__all__ = ["decoded", "printable"]
