"""Agendas: the published "déroulé" text, or TOML / JSON giving the same fields explicitly.

A déroulé line reads `- 00:19:37 : Title avec Firstname Lastname, role et Other Person, role`.
Times are session time, as published. Every error names the file and the line.
"""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from .errors import AgendaError
from .types import Agenda, AgendaItem, AgendaSpeaker

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}

# ---- times ----

_TIME_FORMATS = (
    re.compile(r"(?P<h>\d{1,3}):(?P<m>[0-5]\d):(?P<s>[0-5]\d(?:\.\d+)?)"),  # H:MM:SS, HH:MM:SS
    re.compile(r"(?P<m>\d{1,3}):(?P<s>[0-5]\d(?:\.\d+)?)"),  # MM:SS
    re.compile(r"(?P<h>\d{1,3})h(?:(?P<m>[0-5]?\d)(?:m(?:(?P<s>[0-5]?\d)s?)?)?)?", re.I),  # 1h22, 01h22m10
)
# A run that starts like a time: digits with ':' or 'h' among them. If it is not a valid time, it
# is a typo to report, not a title to accept.
_TIME_TOKEN = re.compile(r"[\[(]?(?P<tok>\d[\dhHmMsS:.]*+)(?![^\W\d_])[\])]?")
_TIME_SEP = re.compile(r"\s*(?:[:|\-–—]\s*)?")
_BULLET = re.compile(r"(?:[-*•‣◦▪●+–—]\s*|\d{1,3}[.)]\s+)")


def parse_time(text: str) -> float | None:
    """Seconds for "1:22:10", "82:10", "1h22", "01h22m10"...; None if `text` is not one of them."""
    for pattern in _TIME_FORMATS:
        m = pattern.fullmatch(text.strip())
        if m:
            parts = m.groupdict()
            return int(parts.get("h") or 0) * 3600 + int(parts.get("m") or 0) * 60 + float(parts.get("s") or 0)
    return None


def format_time(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{int(secs):02d}" if secs == int(secs) else f"{secs:05.2f}"
    return f"{int(hours):02d}:{int(minutes):02d}:{secs_text}"


# ---- speakers ----

_UPPER = "A-ZÀ-ÖØ-ÞŒŠŽŸ"
_CAP = rf"[{_UPPER}](?:[\w'’.]|-(?=\w))*"  # Yves-Armel, O'Neil, J.-P.
_PARTICLE = r"(?:de|du|des|van|von|der|den|da|di|dos|del|della|le|la|y|bin|ibn|al|el)"
_END = r"(?=\s*(?:,|\(|$)|\s+(?:et|and)\s)"  # a name ends before a role, a next person, or the end
_NAME = re.compile(rf"{_CAP}(?:(?:\s+{_PARTICLE})*(?:\s+|\s+d['’]){_CAP})+{_END}")
_NAME_STRICT = re.compile(rf"{_CAP}(?:\s+{_CAP})+{_END}")  # after a comma: no particles
_NEXT = re.compile(r",\s*(?:et|and)\s+|\s+(?:et|and)\s+|\s*;\s*|,\s*")
_MARKER = re.compile(r"\s(?:par|avec|by|with)\s")
# Capitalised words that begin roles and organisations, never names: "Fondateur du Bureau des
# Possibles" looks like a name to the pattern above.
_ROLE_WORDS = {
    "président", "présidente", "vice-président", "vice-présidente", "directeur", "directrice",
    "fondateur", "fondatrice", "cofondateur", "cofondatrice", "co-fondateur", "co-fondatrice",
    "chef", "cheffe", "chargé", "chargée", "responsable", "maire", "ministre", "député", "députée",
    "sénateur", "sénatrice", "conseiller", "conseillère", "délégué", "déléguée", "professeur",
    "professeure", "coordinateur", "coordinatrice", "adjoint", "adjointe", "secrétaire",
    "administrateur", "administratrice", "chercheur", "chercheuse", "ministère", "université",
    "service", "direction", "bureau", "mairie", "région", "département", "centre", "théâtre",
    "musée", "conseil", "agence", "association", "collectif", "réseau", "fondation", "compagnie",
    "head", "ceo", "director", "president", "founder", "manager", "professor", "chair", "mayor",
    "minister", "university", "department",
}


def _name_at(text: str, pos: int, strict: bool) -> re.Match[str] | None:
    m = (_NAME_STRICT if strict else _NAME).match(text, pos)
    if m and not any(word.lower() in _ROLE_WORDS for word in m.group(0).split()):
        return m
    return None


def _next_person(text: str, pos: int) -> tuple[int, re.Match[str] | None]:
    """Where the current role ends, and the next person's name (None if nobody else follows)."""
    for sep in _NEXT.finditer(text, pos):
        name = _name_at(text, sep.end(), strict=sep.group(0).strip() == ",")
        if name:
            return sep.start(), name
    return len(text), None


def parse_speakers(text: str) -> tuple[AgendaSpeaker, ...] | None:
    """People in "A B, role et C D, role, with, commas"; None if `text` does not start with a name."""
    text = text.strip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    name = _name_at(text, 0, strict=False)
    if name is None:
        return None
    people = []
    while name is not None:
        role_end, following = _next_person(text, name.end())
        role = text[name.end():role_end].strip().lstrip(",").strip()
        if role.startswith("(") and role.endswith(")"):
            role = role[1:-1].strip()
        people.append(AgendaSpeaker(name.group(0), role or None))
        name = following
    return tuple(people)


def _inside_quotes(text: str) -> bool:
    return text.count("«") > text.count("»") or text.count("“") > text.count("”") or text.count('"') % 2 == 1


def split_title(text: str) -> tuple[str, tuple[AgendaSpeaker, ...]]:
    """Title and speakers: the first "par"/"avec"/"by"/"with" followed by a name splits them."""
    for marker in _MARKER.finditer(text):
        if _inside_quotes(text[: marker.start()]):
            continue
        speakers = parse_speakers(text[marker.end():])
        if speakers:
            return _clean_title(text[: marker.start()]), speakers
    return _clean_title(text), ()


def _clean_title(text: str) -> str:
    text = text.strip().rstrip(" ,;:–—-").strip()
    return text[:-1].rstrip() if text.endswith(".") and not text.endswith("..") else text


# ---- the déroulé text ----


@dataclass
class _Raw:
    """An item before validation: time may be missing, `where` says where it came from."""

    time: float | None
    title: str
    speakers: tuple[AgendaSpeaker, ...]
    where: str
    line: int | None


def decode_text(data: bytes) -> str:
    """UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 (agendas typed on Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_time(rest: str, where: str, source: str) -> tuple[float | None, str]:
    """The leading time of a line (None if it has none) and the text after its separator."""
    m = _TIME_TOKEN.match(rest)
    if not m:
        return None, rest
    token = m.group("tok").rstrip(":.")
    if not re.search(r"\d[:hH]", token):
        return None, rest  # "2024 : bilan", "3 ateliers": digits, but not a time
    seconds = parse_time(token)
    if seconds is None:
        raise AgendaError(f"{where}: cannot read the time {token!r} (use HH:MM:SS, MM:SS or 1h22m10)",
                          source or None)
    after = rest[m.start("tok") + len(token):].lstrip(")]")
    after = after[_TIME_SEP.match(after).end():]  # type: ignore[union-attr]
    # "00:12:00 - 00:19:37 : Title": the second time is when the item ends; agendas only need starts.
    end = _TIME_TOKEN.match(after)
    if end and parse_time(end.group("tok").rstrip(":.")) is not None:
        after = after[end.end():]
        after = after[_TIME_SEP.match(after).end():]  # type: ignore[union-attr]
    return seconds, after


def parse_text(text: str, source: str = "") -> Agenda:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # When items carry bullets, unbulleted lines are headings ("Matin", "Programme").
    bulleted = any(_split_bullet(_clean(line))[0] for line in lines)
    pending: list[tuple[int, float | None, str]] = []
    first_bulleted = False
    previous_was_item = False
    for number, original in enumerate(lines, start=1):
        line = _clean(original)
        if not line or line.startswith("#"):
            previous_was_item = False
            continue
        bullet, rest = _split_bullet(line)
        time, body = _read_time(rest, f"line {number}", source)
        if previous_was_item and original[:1].isspace() and not bullet and time is None:
            start, start_time, start_body = pending[-1]  # an indented continuation of the item
            pending[-1] = (start, start_time, f"{start_body} {line}")
            continue
        previous_was_item = time is not None or not (rest.endswith(":") or (bulleted and not bullet))
        if previous_was_item:
            if not pending:
                first_bulleted = bullet
            pending.append((number, time, body))
    raws = []
    for number, time, body in pending:
        title, speakers = split_title(body)
        raws.append(_Raw(time, title, speakers, f"line {number}", number))
    # "Restitution des ateliers" above "00:00 Accueil" is the document's title, not an item at 0.
    if len(raws) > 1 and not first_bulleted and raws[0].time is None and not raws[0].speakers and raws[1].time == 0:
        raws.pop(0)
    return _validate(raws, source)


def _split_bullet(line: str) -> tuple[bool, str]:
    m = _BULLET.match(line)
    return (True, line[m.end():]) if m and line[m.end():] else (False, line)


def _clean(line: str) -> str:
    # No-break spaces: French typography puts them before ":" and inside « ».
    return re.sub(r"[\s\u00a0\u202f]+", " ", line).strip()


# ---- TOML and JSON ----


def _speakers_field(value: Any, where: str, source: str) -> tuple[AgendaSpeaker, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AgendaError(f"{where}: 'speakers' must be a list", source or None)
    people = []
    for person in value:
        if isinstance(person, str):
            name, _, role = person.partition(",")
            person = {"name": name.strip(), "role": role.strip() or None}
        if not isinstance(person, dict) or not isinstance(person.get("name"), str) or not person["name"].strip():
            raise AgendaError(f"{where}: each speaker needs a 'name' (text)", source or None)
        unknown = set(person) - {"name", "role"}
        if unknown:
            raise AgendaError(f"{where}: unknown speaker key {sorted(unknown)[0]!r} (use name, role)",
                              source or None)
        role = person.get("role")
        if role is not None and not isinstance(role, str):
            raise AgendaError(f"{where}: a speaker's 'role' must be text", source or None)
        people.append(AgendaSpeaker(person["name"].strip(), (role or "").strip() or None))
    return tuple(people)


def _time_field(value: Any, where: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.time):  # TOML's unquoted local time: time = 00:12:00
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str) and (seconds := parse_time(value)) is not None:
        return seconds
    raise AgendaError(f"{where}: cannot read the time {value!r} (use HH:MM:SS, MM:SS, 1h22m10 or seconds)",
                      source or None)


def parse_data(data: Any, source: str = "", lines: list[int] | None = None) -> Agenda:
    """Validate a decoded TOML or JSON agenda: {"item"/"items": [{time, title, speakers}]}."""
    if not isinstance(data, dict):
        raise AgendaError("expected a table with a list of items", source or None)
    unknown = set(data) - {"item", "items"}
    if unknown:
        raise AgendaError(f"unknown key {sorted(unknown)[0]!r} (use item or items)", source or None)
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
            raise AgendaError(f"{where}: unknown key {sorted(unknown)[0]!r} (use time, title, speakers)", source or None)
        title = entry.get("title")
        if not isinstance(title, str):
            raise AgendaError(f"{where}: 'title' must be text", source or None)
        raws.append(_Raw(_time_field(entry.get("time"), where, source), title.strip(),
                         _speakers_field(entry.get("speakers"), where, source), where, line))
    return _validate(raws, source)


def _toml_item_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*items?\s*\]\]", line)]


# ---- shared rules ----


def _validate(raws: list[_Raw], source: str) -> Agenda:
    where_file = source or None
    if not raws:
        raise AgendaError("no agenda items found", where_file)
    if all(r.time is None for r in raws):
        raise AgendaError("no times found (start each item with its time, e.g. '00:12:00 : Title')", where_file)
    items: list[AgendaItem] = []
    previous: _Raw | None = None
    for index, raw in enumerate(raws):
        if raw.time is None and index > 0:
            raise AgendaError(f"{raw.where}: no time (only the first item may omit it: it starts at 0)", where_file)
        time = raw.time or 0.0
        if not raw.title:
            raise AgendaError(f"{raw.where}: no title", where_file)
        if previous is not None:
            before = previous.time or 0.0
            if time == before:
                raise AgendaError(f"{raw.where}: duplicate time {format_time(time)} (also {previous.where})", where_file)
            if time < before:
                raise AgendaError(
                    f"{raw.where}: time {format_time(time)} comes before {format_time(before)} ({previous.where});"
                    " times must increase", where_file)
        items.append(AgendaItem(time=time, title=raw.title, speakers=raw.speakers, line=raw.line))
        previous = raw
    return Agenda(items=tuple(items), source=source)


def parse(path: Path) -> Agenda:
    """Parse an agenda file: .txt (déroulé), .toml or .json."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES | {".toml", ".json"}:
        raise AgendaError(f"unsupported agenda format {suffix!r} (use .txt, .toml or .json)", path)
    try:
        text = decode_text(path.read_bytes())
    except FileNotFoundError:
        raise AgendaError("file not found", path) from None
    except IsADirectoryError:
        raise AgendaError("is a directory, not an agenda file", path) from None
    except OSError as e:
        raise AgendaError(f"cannot read: {e.strerror}", path) from None
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise AgendaError(f"invalid TOML: {e}", path) from None
        return parse_data(data, source, _toml_item_lines(text))
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise AgendaError(f"invalid JSON: {e.msg} (line {e.lineno})", path) from None
        return parse_data(data, source)
    return parse_text(text, source)


def format_table(agenda: Agenda) -> Table:
    """The agenda as a rich table, for `restitution agenda FILE`. Cells are Text, not markup:
    a title like "[Replay] ..." must print as written."""
    table = Table(title=Text(agenda.source) if agenda.source else None)
    table.add_column("#", justify="right")
    table.add_column("Time", no_wrap=True)
    table.add_column("Title")
    table.add_column("Speakers")
    for index, item in enumerate(agenda.items, start=1):
        people = "\n".join(f"{p.name}, {p.role}" if p.role else p.name for p in item.speakers)
        table.add_row(str(index), format_time(item.time), Text(item.title), Text(people))
    return table


def check_fits(agenda: Agenda, duration: float, offset_seconds: float) -> list[AgendaItem]:
    """Items that start at or past the end of the recording (media time = session time - offset)."""
    return [item for item in agenda.items if item.time - offset_seconds >= duration]


__all__ = ["parse", "parse_text", "parse_data", "parse_time", "format_time", "format_table", "check_fits",
           "split_title", "parse_speakers", "decode_text"]
