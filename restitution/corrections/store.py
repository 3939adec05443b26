"""`outputs/<id>/corrections.toml`: read with errors naming the file and the line, written whole.

The file is meant to be read and edited by people: one `[[correction]]` table per correction,
in the order they were made (later ones apply on top of earlier ones). It lives beside the
outputs, not in `.work/`, so `--force` and a deleted cache keep it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..files import write_text
from .model import Correction, CorrectionsError

FILE_NAME = "corrections.toml"
MAX_BYTES = 8 * 1024 * 1024  # far beyond any session's corrections; a bounded read all the same
_TABLE = re.compile(r"^\s*\[\[\s*correction\s*\]\]\s*(#.*)?$")
_HEADER = (
    "# Corrections of this session, applied in order on every run (restitution apply / edit).\n"
    '# Times are seconds of the recording. See README.md, "Correcting and republishing".\n'
)


def path_for(out_dir: Path) -> Path:
    return Path(out_dir) / FILE_NAME


def _read(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CorrectionsError(f"cannot read: {e.strerror or e}", path) from None
    if len(raw) > MAX_BYTES:
        raise CorrectionsError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not a corrections file", path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise CorrectionsError(f"line {line}: not UTF-8 text", path) from None


def fingerprint(out_dir: Path) -> str:
    """What the `correct` stage's key holds: the file's bytes ("" when there is none)."""
    path = path_for(out_dir)
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read(MAX_BYTES + 1)).hexdigest()[:32]
    except FileNotFoundError:
        return ""
    except OSError as e:
        return f"unreadable: {e.strerror or e}"  # load() fails and says why


def parse(text: str, path: Path) -> tuple[Correction, ...]:
    """The corrections in `text` (the content of `path`), checked."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CorrectionsError(f"not valid TOML: {e}", path) from None
    unknown = sorted(set(data) - {"correction"})
    if unknown:
        line = _line_of_key(text, unknown[0])
        raise CorrectionsError(
            f"line {line}: unknown key {unknown[0]!r}; write each correction as a [[correction]] table", path
        )
    tables = data.get("correction", [])
    if not isinstance(tables, list):
        raise CorrectionsError("'correction' must be written as [[correction]] tables", path)
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if _TABLE.match(line)]
    out = []
    for k, table in enumerate(tables):
        where = f"line {lines[k]}" if k < len(lines) else f"correction {k + 1}"
        try:
            out.append(Correction.from_dict(table))
        except CorrectionsError as e:
            raise CorrectionsError(f"{where} (correction {k + 1}): {e}", path) from None
    return tuple(out)


def _line_of_key(text: str, key: str) -> int:
    for n, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*\[?\s*\"?{re.escape(key)}\b", line):
            return n
    return 1


def load(out_dir: Path) -> tuple[Correction, ...]:
    """The session's corrections (none when the file is absent); CorrectionsError naming the
    file and the line when it was edited into something this cannot read."""
    path = path_for(out_dir)
    text = _read(path)
    return () if text is None else parse(text, path)


def render(corrections: Sequence[Correction]) -> str:
    blocks = [_HEADER]
    for c in corrections:
        rows = [f"{key} = {_value(value)}" for key, value in c.to_table().items()]
        blocks.append("[[correction]]\n" + "\n".join(rows) + "\n")
    return "\n".join(blocks)


def save(out_dir: Path, corrections: Sequence[Correction]) -> Path:
    """Write the whole file (temp then rename); checked by reading it back before it replaces the old one."""
    path = path_for(out_dir)
    text = render(corrections)
    if parse(text, path) != tuple(corrections):  # what is written must read back the same
        raise CorrectionsError("internal error: the corrections would not read back as written", path)
    write_text(path, text)
    return path


def add(out_dir: Path, new: Sequence[Correction]) -> None:
    """Append `new` to the session's corrections (the caller holds the session's lock)."""
    if new:
        save(out_dir, (*load(out_dir), *new))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # already rounded to the millisecond: reads back the same
    return _string(str(value))


def _string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
