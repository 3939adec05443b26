"""The déroulé as text: bytes to clean text, its times, and its lines to raw items.

A line reads `- 00:19:37 : Title avec Firstname Lastname, role et Other Person, role`; a line of
its own may name an item's speakers ("Avec ...", "Intervenants : ..."). Validation (order, missing
times) is `agenda._validate`'s, shared with TOML and JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .agenda_titles import speaker_line, split_title
from .errors import AgendaError
from .types import AgendaSpeaker

MAX_TIME = 1000 * 3600.0  # seconds: an agenda time beyond 1000 hours is a typo

# ---- bytes to text ----

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32", "FF FE 00 00"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32", "00 00 FE FF"),
    (b"\xff\xfe", "utf-16-le", "UTF-16", "FF FE"),
    (b"\xfe\xff", "utf-16-be", "UTF-16", "FE FF"),
)
# Terminal escape sequences (CSI, OSC and other strings, two-byte escapes, their C1 forms), whole:
# stripping only the ESC of "\x1b]0;title\x07" would leave its payload in the title.
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x1b][\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# Other C0 and C1 controls (tab and line ends are kept), DEL, a stray BOM, and the bidirectional
# overrides that make a terminal or a page show text in another order than it is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff\u202a-\u202e\u2066-\u2069]")


def sanitize(text: str) -> str:
    """`text` without terminal escapes and control characters; form feeds and the like become spaces."""
    text = _ESCAPE.sub("", text)
    text = text.replace("\x0b", " ").replace("\x0c", " ").replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL.sub("", text)


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 saved without a BOM (Windows "Unicode" text): half its bytes are NULs, all on one side."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    codec = "utf-16-le" if odd > 0.4 * half and even == 0 else "utf-16-be" if even > 0.4 * half and odd == 0 else ""
    if not codec:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def decode_text(data: bytes, source: str = "") -> str:
    """UTF-8 with or without BOM, UTF-16/32 with BOM, else Windows-1252 (agendas typed on Windows);
    control characters and terminal escapes stripped."""
    for bom, codec, label, shown in _BOMS:
        if data.startswith(bom):
            try:
                return sanitize(data[len(bom) :].decode(codec))
            except UnicodeDecodeError as e:
                raise AgendaError(
                    f"starts with a {label} byte order mark ({shown}) but is not valid {label} "
                    f"(byte {e.start + len(bom)}); save it as UTF-8",
                    source or None,
                ) from None
    utf16 = _bomless_utf16(data)
    if utf16 is not None:
        return sanitize(utf16)
    try:
        return sanitize(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return sanitize(data.decode("cp1252", errors="replace"))


# ---- times ----

_TIME_FORMATS = (
    re.compile(r"(?P<h>\d{1,3}):(?P<m>[0-5]\d):(?P<s>[0-5]\d(?:\.\d+)?)"),  # H:MM:SS, HH:MM:SS
    re.compile(r"(?P<m>\d{1,3}):(?P<s>[0-5]\d(?:\.\d+)?)"),  # MM:SS
    re.compile(r"(?P<h>\d{1,3})h(?:(?P<m>[0-5]?\d)(?:m(?:(?P<s>[0-5]?\d)s?)?)?)?", re.IGNORECASE),  # 1h22, 01h22m10
)
# A run that starts like a time: digits with ':' or 'h' among them. If it is not a valid time, it
# is a typo to report, not a title to accept.
_TIME_TOKEN = re.compile(r"[\[(]?(?P<tok>\d[\dhHmMsS:.]*+)(?![^\W\d_])[\])]?")
_TIME_SEP = re.compile(r"\s*(?:[:|\-–—]\s*)?")
_BULLET = re.compile(r"(?:[-*•‣◦▪●+–—]\s*|\d{1,3}[.)]\s+)")


def parse_time(text: str) -> float | None:
    """Seconds for "1:22:10", "82:10", "1h22", "01h22m10"...; None if `text` is not one of them."""
    text = text.strip()
    if len(text) > 40:
        return None
    for pattern in _TIME_FORMATS:
        m = pattern.fullmatch(text)
        if m:
            parts = m.groupdict()
            return int(parts.get("h") or 0) * 3600 + int(parts.get("m") or 0) * 60 + float(parts.get("s") or 0)
    return None


def format_time(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = f"{int(secs):02d}" if secs == int(secs) else f"{secs:05.2f}"
    return f"{int(hours):02d}:{int(minutes):02d}:{secs_text}"


def shorten(value: object, limit: int = 40) -> str:
    """repr(value), cut to `limit` characters: a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- lines to items ----


@dataclass
class Raw:
    """An item before validation: time may be missing, `where` says where it came from."""

    time: float | None
    title: str
    speakers: tuple[AgendaSpeaker, ...]
    where: str
    line: int | None


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
        raise AgendaError(
            f"{where}: cannot read the time {shorten(token)} (use HH:MM:SS, MM:SS or 1h22m10)", source or None
        )
    after = rest[m.start("tok") + len(token) :].lstrip(")]")
    after = after[_TIME_SEP.match(after).end() :]  # type: ignore[union-attr]
    # "00:12:00 - 00:19:37 : Title": the second time is when the item ends; agendas only need starts.
    end = _TIME_TOKEN.match(after)
    if end and parse_time(end.group("tok").rstrip(":.")) is not None:
        after = after[end.end() :]
        after = after[_TIME_SEP.match(after).end() :]  # type: ignore[union-attr]
    return seconds, after


def _split_bullet(line: str) -> tuple[bool, str]:
    m = _BULLET.match(line)
    return (True, line[m.end() :]) if m and line[m.end() :] else (False, line)


def _clean(line: str) -> str:
    # No-break spaces: French typography puts them before ":" and inside « ».
    return re.sub(r"[\s\u00a0\u202f]+", " ", line).strip()


@dataclass
class _Pending:
    number: int
    time: float | None
    body: str
    bullet: bool
    extra: list[AgendaSpeaker]  # from lines of their own ("Avec ...") under the item


def read_items(text: str, source: str = "") -> list[Raw]:
    """The déroulé's items, in order, before validation."""
    lines = sanitize(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # When items carry bullets, unbulleted lines are headings ("Matin", "Programme").
    bulleted = any(_split_bullet(_clean(line))[0] for line in lines)
    pending: list[_Pending] = []
    previous_was_item = False
    for number, original in enumerate(lines, start=1):
        line = _clean(original)
        if not line or line.startswith("#"):
            previous_was_item = False
            continue
        bullet, rest = _split_bullet(line)
        time, body = _read_time(rest, f"line {number}", source)
        if previous_was_item and time is None and not bullet:
            people = speaker_line(line)
            if people:
                pending[-1].extra.extend(people)
                continue
            if original[:1].isspace():
                pending[-1].body = f"{pending[-1].body} {line}"  # an indented continuation of the item
                continue
        previous_was_item = time is not None or not (rest.endswith(":") or (bulleted and not bullet))
        if previous_was_item:
            pending.append(_Pending(number, time, body, bullet, []))
    raws = []
    for item in pending:
        title, speakers = split_title(item.body)
        raws.append(Raw(item.time, title, speakers + tuple(item.extra), f"line {item.number}", item.number))
    # "Restitution des ateliers" above "00:00 Accueil" is the document's title, not an item at 0.
    if len(raws) > 1 and not pending[0].bullet and raws[0].time is None and not raws[0].speakers and raws[1].time == 0:
        raws.pop(0)
    return raws
