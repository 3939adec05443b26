"""The published pages: one per session (player, captions, chapters, transcript, search) and
the archive's index. Self-contained: CSS and JS are inlined, nothing is fetched from elsewhere.

Every string that comes from an agenda or a transcript is escaped for HTML; data given to the
script travels as JSON inside <script type="application/json"> with `<`, `>` and `&` escaped,
so no `</script>` or `<!--` can close or confuse it. A per-page nonce in the Content Security
Policy would stop an inline script that escaping somehow let through.
"""

from __future__ import annotations

import hashlib
import json
import logging
from html import escape
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from ..errors import RestitutionError
from ..files import confined, write_json, write_text
from ..options import ExportOptions
from ..types import SessionResult
from .labels import is_placeholder, strings, unnamed_labels
from .text import Paragraph, hms, human_duration, sections, title_of
from .vtt import cues_for, speaker_names
from .vtt import escape as escape_cue

log = logging.getLogger("restitution")

# Speaker colours: distinct, readable on light and dark backgrounds.
PALETTE = ("#2f6fdf", "#d9480f", "#2b8a3e", "#ae3ec9", "#0c8599", "#e8590c", "#5c7cfa", "#c2255c")


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no `</script>`, `<!--` or `]]>` can appear in it."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _asset(name: str) -> str:
    return resources.files("restitution.export").joinpath("templates", name).read_text(encoding="utf-8")


def _render(template: str, script: str, values: dict[str, str]) -> str:
    """Fill the page; the CSP nonce is derived from the page itself, so nobody can predict it."""
    page = Template(_asset(template)).substitute(values, css=_asset("style.css"), js=_asset(script))
    nonce = hashlib.sha256(page.encode("utf-8")).hexdigest()[:24]
    csp = "script-src 'unsafe-inline'"
    return page.replace(csp, f"script-src 'nonce-{nonce}'", 1).replace("<script>", f'<script nonce="{nonce}">')


def _people(result: SessionResult) -> tuple[str, dict[str | None, str]]:
    colours: dict[str | None, str] = {}
    items = []
    for i, sp in enumerate(s for s in result.speakers if s.name or s.seconds > 0):
        colours[sp.name or sp.id] = PALETTE[i % len(PALETTE)]
        role = f' <span class="role">— {_e(sp.role)}</span>' if sp.role else ""
        flag, doubt = ("", "")
        if sp.uncertain:
            flag, doubt = ' class="uncertain"', _DOUBT.format(_e(strings(result.language)["check"]))
        items.append(
            f'<li{flag}><span class="dot" style="background:{colours[sp.name or sp.id]}"></span>'
            f"{_e(sp.name or sp.id)}{doubt}{role}</li>"
        )
    return "".join(items), colours


_DOUBT = '<abbr class="doubt" title="{}">?</abbr>'  # a name the run was unsure of


def _paragraph(p: Paragraph, colours: dict[str | None, str], doubtful: set[str], check: str) -> str:
    who = ""
    if p.speaker:
        dot = f'<span class="dot" style="background:{colours.get(p.speaker, "#868e96")}"></span>'
        doubt = _DOUBT.format(_e(check)) if p.speaker in doubtful else ""
        who = f'<span class="who">{dot}{_e(p.speaker)}{doubt}</span>'
    return (
        f'<div class="para" tabindex="0" data-start="{p.start:.2f}" data-end="{p.end:.2f}">'
        f'<time datetime="PT{p.start:.0f}S">{hms(p.start)}</time>{who}<p class="text">{_e(p.text)}</p></div>'
    )


def _cue_data(result: SessionResult, options: ExportOptions) -> list[list[Any]]:
    """The captions again, for browsers that will not load the .vtt of a page opened from disk."""
    names = speaker_names(result)
    out = []
    for cue in cues_for(result, options):
        name = names.get(cue.speaker) if cue.speaker else None
        voice = f"<v {escape_cue(name)}>" if name else ""
        out.append([cue.start, cue.end, voice + escape_cue(" ".join(cue.lines))])
    return out


def session_page(result: SessionResult, options: ExportOptions | None = None) -> str:
    """The session's page; `options` lay out its captions as in the session's .vtt file."""
    s = strings(result.language)
    sid = result.session.id
    people, colours = _people(result)
    doubtful = {sp.name for sp in result.speakers if sp.uncertain and sp.name}
    chapter_items, blocks = [], []
    for ch, paras in sections(result):
        body = "".join(_paragraph(p, colours, doubtful, s["check"]) for p in paras)
        body = body or f'<p class="empty">{_e(s["empty"])}</p>'
        if ch is None:
            heading = f"<h3>{_e(s['before'])}</h3>" if result.chapters else ""
            blocks.append(f'<section class="chapter">{heading}{body}</section>')
            continue
        who = f'<span class="who">{_e(", ".join(ch.speakers))}</span>' if ch.speakers else ""
        chapter_items.append(
            f'<li><button type="button" class="chapter-link" data-start="{ch.start:.2f}">'
            f"<time>{hms(ch.start)}</time><span>{_e(ch.title)}{who}</span></button></li>"
        )
        blocks.append(
            f'<section class="chapter" id="{s["anchor"]}-{ch.index}" aria-labelledby="ch-{ch.index}">'
            f'<h3 id="ch-{ch.index}"><span class="num">{ch.index}.</span>{_e(ch.title)}</h3>{body}</section>'
        )
    if not chapter_items:
        chapter_items.append(f'<li class="empty">{_e(s["no_chapters"])}</li>')
    meta = " · ".join(x for x in (result.session.date, human_duration(result.audio.duration)) if x)
    values = {k: _e(v) for k, v in s.items()}
    values.update(
        lang=_e(result.language or "und"),
        title=_e(title_of(result)),
        meta=_e(meta),
        people=people,
        audio=_e(f"{sid}.mp3"),
        captions=_e(f"{sid}.vtt"),
        chapters="".join(chapter_items),
        sections="\n".join(blocks),
        data=script_json(
            {
                "session": sid,
                "strings": {k: s[k] for k in ("one", "many", "colon")},
                "cues": _cue_data(result, options or ExportOptions()),
            }
        ),
    )
    return _render("session.html", "session.js", values)


def write_session_page(result: SessionResult, out_dir: Path, options: ExportOptions | None = None) -> Path:
    dest = Path(out_dir) / "index.html"
    write_text(dest, session_page(result, options))
    return dest


# What the archive page needs from each session.json, cached by file size and mtime: a batch
# rewrites the page after every session, and parsing every transcript each time would not scale.
_CACHE = ".archive-cache.json"
_SUMMARY_VERSION = 2  # bumped when _summary changes, so cached summaries are made again


def _summary(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    sess = data.get("session") or {}
    labels = unnamed_labels(data)
    return {
        "title": str(sess.get("title") or sess.get("id") or path.parent.name),
        "date": str(sess.get("date") or ""),
        "duration": float(sess.get("duration") or 0),
        "language": str(sess.get("language") or ""),
        "speakers": [
            str(sp["name"])
            for sp in data.get("speakers") or []
            if not is_placeholder(sp.get("name"), sp.get("source"), labels)
        ],
    }


def _summaries(outputs_dir: Path) -> dict[str, dict[str, Any]]:
    cache_path = outputs_dir / _CACHE
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    fresh = {}
    for path in sorted(outputs_dir.glob("*/session.json")):
        folder = path.parent.name
        try:
            st = path.stat()
            stamp = [st.st_size, st.st_mtime_ns, _SUMMARY_VERSION]
            entry = cache.get(folder) if isinstance(cache, dict) else None
            if not (isinstance(entry, dict) and entry.get("stamp") == stamp):
                entry = {"stamp": stamp, "summary": _summary(path)}
            fresh[folder] = entry
        except (OSError, ValueError, TypeError, AttributeError, KeyError) as e:
            log.warning("archive page: skipping %s (%s)", path, e)
    if fresh != cache:
        try:
            write_json(cache_path, fresh)
        except RestitutionError as e:  # the cache is an optimisation; the page still gets written
            log.warning("archive page: %s", e)
    return {folder: entry["summary"] for folder, entry in fresh.items()}


def _archive_row(folder: str, summary: dict[str, Any]) -> str:
    return (
        f'<tr><td><a class="title" href="{_e(folder)}/index.html">{_e(summary["title"])}</a></td>'
        f'<td class="num">{_e(summary["date"])}</td><td class="num">{_e(human_duration(summary["duration"]))}</td>'
        f"<td>{_e(', '.join(summary['speakers']))}</td></tr>"
    )


def archive_page(outputs_dir: Path) -> str:
    summaries = _summaries(Path(outputs_dir))
    langs = [x["language"] for x in summaries.values()]
    lang = max(set(langs), key=langs.count) if langs else "en"
    s = strings(lang)
    # Newest first; undated sessions last.
    ordered = sorted(summaries.items(), key=lambda item: item[1]["date"], reverse=True)
    values = {k: _e(v) for k, v in s.items()}
    values.update(
        lang=_e(lang or "und"),
        title=_e(s["archive_title"]),
        meta=_e(s["session_one"] if len(ordered) == 1 else s["sessions"].replace("{n}", str(len(ordered)))),
        search_placeholder=_e(s["archive_search"]),
        rows="".join(_archive_row(folder, summary) for folder, summary in ordered),
        data=script_json({"strings": {"one": s["session_one"], "many": s["sessions"]}}),
    )
    return _render("archive.html", "archive.js", values)


def write_archive_page(outputs_dir: Path) -> Path:
    outputs_dir = Path(outputs_dir)
    if not outputs_dir.is_dir():
        raise RestitutionError("no such outputs folder", outputs_dir)
    dest = outputs_dir / "index.html"
    with confined(outputs_dir):
        write_text(dest, archive_page(outputs_dir))
    return dest
