"""`outputs/feed.xml`: an RSS 2.0 podcast feed of every processed session.

Built from the `session.json` files alone, with the iTunes and Podcasting 2.0 namespaces: the
MP3 enclosure, its duration, `podcast:transcript` links to the captions (VTT), the SRT and the
JSON transcript, `podcast:chapters`, and one `podcast:person` per speaker the run could name
(never a placeholder such as "Intervenant 2"). ElementTree escapes text and attributes;
characters XML cannot carry at all are dropped first.

Identity: the archive's id is the Podcasting 2.0 `podcast:guid` of its feed URL, kept in
`outputs/.archive-id` once made, so it survives a change of `--base-url`; an item's `<guid>` is
a UUIDv5 of the session id in that namespace, unique per session and the same on every rerun.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..clock import hms
from ..errors import ConfigError, RestitutionError
from ..files import atomic_open, confined, write_text
from .labels import is_placeholder, strings, unnamed_labels
from .session_json import read_session_json

log = logging.getLogger("restitution")

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
# Podcasting 2.0: podcast:guid is a UUIDv5 of the feed URL (without scheme) in this namespace.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
ARCHIVE_ID = ".archive-id"

ET.register_namespace("itunes", ITUNES)
ET.register_namespace("podcast", PODCAST)
ET.register_namespace("atom", ATOM)

# Everything outside XML 1.0's Char production: control characters, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: Any) -> str:
    return _NOT_XML.sub("", str(text))


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrs: Any) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _clean(text)
    return el


def _it(name: str) -> str:
    return f"{{{ITUNES}}}{name}"


def _pc(name: str) -> str:
    return f"{{{PODCAST}}}{name}"


def _pub_date(date: str | None, fallback: Path) -> dt.datetime:
    if date:
        try:
            parsed = dt.datetime.fromisoformat(date)
        except ValueError:
            log.warning("%s: date %r is not an ISO date; using the file's time", fallback, date)
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(fallback.stat().st_mtime, dt.UTC)


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"the feed needs an absolute http(s) base URL where outputs/ is published, not {base_url!r} "
            "(--base-url or export.base_url)"
        )
    return base_url.rstrip("/") + "/"


def _people(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, podcast role) per named speaker: those of the opening agenda item host, the others are guests."""
    chapters = data.get("chapters") or []
    opening = set(chapters[0].get("speakers") or []) if chapters else set()
    labels = unnamed_labels(data)
    people: list[tuple[str, str]] = []
    for speaker in data.get("speakers") or []:
        name = speaker.get("name")
        if is_placeholder(name, speaker.get("source"), labels):
            continue
        if name not in (p[0] for p in people):
            people.append((name, "host" if name in opening else "guest"))
    return people


def _description(data: dict[str, Any]) -> str:
    lines = [c["title"] for c in data.get("chapters") or [] if c.get("title")]
    names = [name for name, _ in _people(data)]
    text = "\n".join(f"- {line}" for line in lines)
    if names:
        label = strings(data["session"].get("language"))["speakers_colon"]
        text += ("\n\n" if text else "") + label + ", ".join(names)
    return text or data["session"].get("title") or data["session"]["id"]


def item_guid(archive_id: uuid.UUID, session_id: str) -> str:
    return str(uuid.uuid5(archive_id, f"session:{session_id}"))


def _item(
    channel: ET.Element, data: dict[str, Any], folder: Path, base: str, date: dt.datetime, archive_id: uuid.UUID
) -> None:
    s = data["session"]
    sid = s["id"]
    url = base + quote(sid) + "/"
    mp3 = folder / f"{sid}.mp3"
    item = _sub(channel, "item")
    _sub(item, "title", s.get("title") or sid)
    _sub(item, "description", _description(data))
    if (folder / "index.html").is_file():
        _sub(item, "link", url + "index.html")
    _sub(item, "guid", item_guid(archive_id, sid), isPermaLink="false")
    _sub(item, "pubDate", email.utils.format_datetime(date))
    _sub(item, "enclosure", url=url + quote(mp3.name), length=mp3.stat().st_size, type="audio/mpeg")
    _sub(item, _it("duration"), hms(float(s["duration"]), nearest=True))
    _sub(item, _it("explicit"), "false")
    language = s.get("language") or ""
    transcripts: tuple[tuple[str, str, dict[str, str]], ...] = (
        (f"{sid}.vtt", "text/vtt", {"rel": "captions"}),
        (f"{sid}.srt", "application/x-subrip", {}),
        ("transcript.json", "application/json", {}),
    )
    for name, mime, extra in transcripts:
        if (folder / name).is_file():
            attrs = {"url": url + quote(name), "type": mime, **extra}
            if language:
                attrs["language"] = language
            _sub(item, _pc("transcript"), **attrs)
    if (folder / "chapters.json").is_file():
        _sub(item, _pc("chapters"), url=url + "chapters.json", type="application/json+chapters")
    for name, role in _people(data):
        _sub(item, _pc("person"), name, role=role, group="cast")


def url_guid(base: str) -> uuid.UUID:
    """Podcasting 2.0's `podcast:guid`: a UUIDv5 of the feed URL without its scheme."""
    return uuid.uuid5(PODCAST_GUID_NAMESPACE, (base + "feed.xml").split("://", 1)[1])


def _archive_id(outputs_dir: Path, base: str) -> uuid.UUID:
    """The archive's id from `outputs/.archive-id`, made from the feed URL the first time."""
    path = outputs_dir / ARCHIVE_ID
    try:
        return uuid.UUID(path.read_text(encoding="utf-8").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as e:
        raise RestitutionError(f"cannot read the archive id ({e}); delete the file to make a new one", path) from None
    made = url_guid(base)
    write_text(path, f"{made}\n")
    return made


def _mistyped(s: Any) -> str | None:
    """The first field of a hand-edited session.json's `session` the feed cannot use, if any."""
    if not isinstance(s, dict):
        return "session"
    if not isinstance(s.get("id"), str) or not s["id"]:
        return "session.id"
    for key in ("title", "date", "language"):
        if not isinstance(s.get(key), str | None):
            return f"session.{key}"
    duration = s.get("duration")
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not 0 <= duration < float("inf"):
        return "session.duration"
    return None


def _sessions(outputs_dir: Path) -> list[tuple[dict[str, Any], Path, dt.datetime]]:
    found = []
    for path in sorted(outputs_dir.glob("*/session.json")):
        try:
            data = read_session_json(path)
        except RestitutionError as e:
            log.warning("leaving a session out of the feed: %s", e)
            continue
        wrong = _mistyped(data.get("session"))
        if wrong:
            log.warning("leaving a session out of the feed: %s: %s is missing or mistyped", path, wrong)
            continue
        mp3 = path.parent / f"{data['session']['id']}.mp3"
        if not mp3.is_file():
            log.warning("leaving %s out of the feed: %s is missing", path.parent.name, mp3.name)
            continue
        found.append((data, path.parent, _pub_date(data["session"].get("date"), path)))
    # Newest first, as podcast apps expect; the id breaks ties so the file is stable.
    found.sort(key=lambda entry: (entry[2], entry[0]["session"]["id"]), reverse=True)
    return found


def build_feed(
    outputs_dir: Path,
    *,
    base_url: str,
    title: str,
    description: str = "",
    author: str = "",
    language: str = "fr",
    image: str = "",
    category: str = "Society & Culture",
    archive_id: uuid.UUID | None = None,
) -> ET.ElementTree:
    """The feed; `archive_id` defaults to the `podcast:guid` of the feed URL."""
    base = _check_base_url(base_url)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", base)
    _sub(channel, "description", description or title)
    _sub(channel, "language", language)
    _sub(channel, "generator", "restitution")
    _sub(channel, f"{{{ATOM}}}link", href=base + "feed.xml", rel="self", type="application/rss+xml")
    archive_id = archive_id or url_guid(base)
    _sub(channel, _pc("guid"), archive_id)
    if author:
        _sub(channel, _it("author"), author)
    _sub(channel, _it("summary"), description or title)
    _sub(channel, _it("explicit"), "false")
    ET.SubElement(channel, _it("category"), {"text": _clean(category)})  # Apple's category is an attribute
    if image:
        _sub(channel, _it("image"), href=image)
    sessions = _sessions(Path(outputs_dir))
    if sessions:
        _sub(channel, "lastBuildDate", email.utils.format_datetime(sessions[0][2]))
    for data, folder, date in sessions:
        item = ET.Element("channel")  # built apart: a hand-edited session.json that breaks it is left out whole
        try:
            _item(item, data, folder, base, date, archive_id)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            log.warning("leaving a session out of the feed: %s: a field is missing or mistyped (%s)", folder, e)
            continue
        channel.extend(item)
    ET.indent(rss, space="  ")
    return ET.ElementTree(rss)


def write_feed(
    outputs_dir: Path,
    *,
    base_url: str,
    title: str,
    description: str = "",
    author: str = "",
    language: str = "fr",
    image: str = "",
    category: str = "Society & Culture",
) -> Path:
    """Write `outputs_dir/feed.xml` (atomically) and return its path."""
    outputs_dir = Path(outputs_dir)
    with confined(outputs_dir):
        tree = build_feed(
            outputs_dir,
            base_url=base_url,
            title=title,
            description=description,
            author=author,
            language=language,
            image=image,
            category=category,
            archive_id=_archive_id(outputs_dir, _check_base_url(base_url)),
        )
        dest = outputs_dir / "feed.xml"
        with atomic_open(dest, "wb") as f:
            tree.write(f, encoding="utf-8", xml_declaration=True)
    log.info("feed: %d sessions in %s", sum(1 for _ in tree.iter("item")), dest)
    return dest
