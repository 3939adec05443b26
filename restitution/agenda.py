"""Agendas: the published "déroulé" text, or TOML / JSON giving the same fields explicitly.

A déroulé line reads `- 00:19:37 : Title avec Firstname Lastname, role et Other Person, role`
(agenda_text.py reads the lines, agenda_names.py the people). Times are session time, as
published. Every error names the file and the line (or the item). Files are read with a size cap,
so a device or a huge file fails at once; control characters and terminal escapes are stripped
before any text reaches an output or the terminal.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from . import offset as offset_mod
from .agenda_names import parse_speakers
from .agenda_text import MAX_TIME, Raw, decode_text, format_time, parse_time, read_items, sanitize, shorten
from .agenda_titles import split_title
from .errors import AgendaError
from .options import OffsetOptions
from .types import Agenda, AgendaItem, AgendaSpeaker

log = logging.getLogger("restitution")

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
MAX_BYTES = 1 << 20  # an agenda is a page of text; anything bigger is the wrong file
_TIME_HELP = "(use HH:MM:SS, MM:SS, 1h22m10 or seconds)"


def parse_text(text: str, source: str = "") -> Agenda:
    return _validate(read_items(text, source), source)


# ---- TOML and JSON ----


def _text_field(value: str) -> str:
    return " ".join(sanitize(value).split())


def _speakers_field(value: Any, where: str, source: str) -> tuple[AgendaSpeaker, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AgendaError(f"{where}: 'speakers' must be a list", source or None)
    people = []
    for given in value:
        person = dict(zip(("name", "role"), given.partition(",")[::2])) if isinstance(given, str) else given
        if not isinstance(person, dict) or not isinstance(person.get("name"), str) or not _text_field(person["name"]):
            raise AgendaError(f"{where}: each speaker needs a 'name' (text)", source or None)
        unknown = set(person) - {"name", "role"}
        if unknown:
            raise AgendaError(f"{where}: unknown speaker key {shorten(min(unknown))} (use name, role)", source or None)
        role = person.get("role")
        if role is not None and not isinstance(role, str):
            raise AgendaError(f"{where}: a speaker's 'role' must be text", source or None)
        people.append(AgendaSpeaker(_text_field(person["name"]), _text_field(role or "") or None))
    return tuple(people)


def _seconds(value: float, where: str, source: str) -> float:
    """A number of seconds, checked: finite, not negative, under 1000 hours."""
    if isinstance(value, float) and not math.isfinite(value):
        raise AgendaError(f"{where}: time {value!r} is not a finite number of seconds {_TIME_HELP}", source or None)
    if value < 0:
        raise AgendaError(f"{where}: cannot read the time {shorten(value)} {_TIME_HELP}", source or None)
    if value > MAX_TIME:
        raise AgendaError(f"{where}: time {shorten(value)} is beyond 1000 hours {_TIME_HELP}", source or None)
    return float(value)


def _time_field(value: Any, where: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.time):  # TOML's unquoted local time: time = 00:12:00
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _seconds(value, where, source)
    if isinstance(value, str) and (seconds := parse_time(value)) is not None:
        return seconds
    raise AgendaError(f"{where}: cannot read the time {shorten(value)} {_TIME_HELP}", source or None)


def parse_data(data: Any, source: str = "", lines: list[int] | None = None) -> Agenda:
    """Validate a decoded TOML or JSON agenda: {"item"/"items": [{time, title, speakers}]}."""
    if not isinstance(data, dict):
        raise AgendaError("expected a table with a list of items", source or None)
    unknown = set(data) - {"item", "items"}
    if unknown:
        raise AgendaError(f"unknown key {shorten(min(unknown))} (use item or items)", source or None)
    items = data.get("item", data.get("items", []))
    if not isinstance(items, list):
        raise AgendaError("'items' must be a list", source or None)
    raws = []
    for index, entry in enumerate(items, start=1):
        line = lines[index - 1] if lines and index <= len(lines) else None
        where = f"line {line}" if line else f"item {index}"
        if not isinstance(entry, dict):
            raise AgendaError(f"{where}: expected a table with time, title and speakers", source or None)
        unknown = set(entry) - {"time", "title", "speakers"}
        if unknown:
            raise AgendaError(
                f"{where}: unknown key {shorten(min(unknown))} (use time, title, speakers)", source or None
            )
        title = entry.get("title")
        if not isinstance(title, str):
            raise AgendaError(f"{where}: 'title' must be text", source or None)
        raws.append(
            Raw(
                _time_field(entry.get("time"), where, source),
                _text_field(title),
                _speakers_field(entry.get("speakers"), where, source),
                where,
                line,
            )
        )
    return _validate(raws, source)


def _toml_item_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*items?\s*\]\]", line)]


# ---- shared rules ----


def _validate(raws: list[Raw], source: str) -> Agenda:
    where_file = source or None
    if not raws:
        raise AgendaError("no agenda items found", where_file)
    if all(r.time is None for r in raws):
        raise AgendaError("no times found (start each item with its time, e.g. '00:12:00 : Title')", where_file)
    items: list[AgendaItem] = []
    previous: Raw | None = None
    for index, raw in enumerate(raws):
        if raw.time is None and index > 0:
            raise AgendaError(f"{raw.where}: no time (only the first item may omit it: it starts at 0)", where_file)
        time = _seconds(raw.time or 0.0, raw.where, source)
        if not raw.title:
            raise AgendaError(f"{raw.where}: no title", where_file)
        if previous is not None:
            before = previous.time or 0.0
            if time == before:
                raise AgendaError(
                    f"{raw.where}: duplicate time {format_time(time)} (also {previous.where})", where_file
                )
            if time < before:
                raise AgendaError(
                    f"{raw.where}: time {format_time(time)} comes before {format_time(before)} ({previous.where});"
                    " times must increase",
                    where_file,
                )
        items.append(AgendaItem(time=time, title=raw.title, speakers=raw.speakers, line=raw.line))
        previous = raw
    return Agenda(items=tuple(items), source=source)


def _read(path: Path) -> bytes:
    """At most MAX_BYTES + 1 bytes, so /dev/zero or a video named agenda.txt fails at once."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise AgendaError("file not found", path) from None
    except IsADirectoryError:
        raise AgendaError("is a directory, not an agenda file", path) from None
    except OSError as e:
        raise AgendaError(f"cannot read: {e.strerror or e}", path) from None
    if len(data) > MAX_BYTES:
        raise AgendaError("larger than 1 MiB: not an agenda (an agenda is a page of text)", path)
    return data


def parse(path: Path) -> Agenda:
    """Parse an agenda file: .txt (déroulé), .toml or .json."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES | {".toml", ".json"}:
        raise AgendaError(f"unsupported agenda format {shorten(suffix)} (use .txt, .toml or .json)", path)
    text = decode_text(_read(path), source)
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise AgendaError(f"invalid TOML: {e}", path) from None
        except (ValueError, RecursionError):
            raise AgendaError("invalid TOML: a value too long or nested too deeply to read", path) from None
        return parse_data(data, source, _toml_item_lines(text))
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise AgendaError(f"invalid JSON: {e.msg} (line {e.lineno})", path) from None
        except (ValueError, RecursionError):
            raise AgendaError("invalid JSON: a value too long or nested too deeply to read", path) from None
        return parse_data(data, source)
    return parse_text(text, source)


UNCERTAIN_MARK = " (?)"


def format_table(agenda: Agenda) -> Table:
    """The agenda as a rich table, for `restitution agenda FILE`. Cells are Text, not markup:
    a title like "[Replay] ..." must print as written. Names the parser is unsure of are marked."""
    unsure = any(p.uncertain for item in agenda.items for p in item.speakers)
    caption = f"{UNCERTAIN_MARK.strip()} not sure this is a person's name: check it (never enrolled as a voice)"
    table = Table(title=Text(agenda.source) if agenda.source else None, caption=Text(caption) if unsure else None)
    table.add_column("#", justify="right")
    table.add_column("Time", no_wrap=True)
    table.add_column("Title")
    table.add_column("Speakers")
    for index, item in enumerate(agenda.items, start=1):
        people = "\n".join(
            (p.name + (UNCERTAIN_MARK if p.uncertain else "")) + (f", {p.role}" if p.role else "")
            for p in item.speakers
        )
        table.add_row(str(index), format_time(item.time), Text(item.title), Text(people))
    return table


def check_fits(agenda: Agenda, duration: float, offset_seconds: float) -> list[AgendaItem]:
    """Items that start at or past the end of the recording (media time = session time - offset)."""
    return [item for item in agenda.items if item.time - offset_seconds >= duration]


def fit_recording(
    agenda: Agenda, duration: float, offset: float | str, search: OffsetOptions, *, lenient: bool = False
) -> Agenda:
    """`agenda` once every item can start inside the recording; else an AgendaError naming the
    first that cannot, or with `lenient` the agenda without them (a warning names each).

    A manual offset (seconds; "none" is 0) places each item; an automatic one may be anything the
    offset search would accept (`offset.latest_plausible`), so an item is refused only when no
    plausible offset brings it inside.
    """
    automatic = not isinstance(offset, (int, float)) and offset != "none"
    if automatic:
        latest = offset_mod.latest_plausible(agenda, duration, search)
    else:
        latest = 0.0 if offset == "none" else float(offset)
    late = check_fits(agenda, duration, latest)
    for item in late:
        where = f"line {item.line}" if item.line else f"item {agenda.items.index(item) + 1}"
        if automatic:
            message = (
                f"{where}: item '{item.title}' at {format_time(item.time)} cannot start inside the recording "
                f"({duration:.0f} s) at any plausible offset (at most {latest:.0f} s late); "
                "check its time or give --offset"
            )
        else:
            message = f"{where}: item '{item.title}' starts after the end of the recording ({duration:.0f} s)"
        if not lenient:
            raise AgendaError(f"{message}; use --lenient to drop it", agenda.source or None)
        log.warning("%s: %s; item dropped (lenient)", agenda.source or "agenda", message)
    if not late:
        return agenda
    kept = tuple(item for item in agenda.items if item not in late)
    if not kept:
        raise AgendaError("no agenda item starts inside the recording", agenda.source or None)
    return dataclasses.replace(agenda, items=kept)


__all__ = [
    "MAX_BYTES",
    "check_fits",
    "decode_text",
    "fit_recording",
    "format_table",
    "format_time",
    "parse",
    "parse_data",
    "parse_speakers",
    "parse_text",
    "parse_time",
    "sanitize",
    "split_title",
]
