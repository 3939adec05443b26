"""Reading transcripts: plain text, Markdown, and the Podcasting 2.0 JSON transcript.

The text and Markdown forms are made of paragraphs: one speaker talking without a long pause,
inside one chapter. `paragraphs()` is shared with the HTML page so the two read the same. All
of them read reader words (`words.rejoin`): a word the decoder wrote in pieces, or that speaker
assignment cut between two voices, is whole, with one speaker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..clock import hms
from ..files import write_json, write_text
from ..types import Chapter, Segment, SessionResult
from .inaudible import with_gaps
from .labels import is_placeholder, unnamed_labels
from .words import rejoin

# A silence this long starts a new paragraph even when the same person goes on.
PARAGRAPH_PAUSE = 2.5
# ... and so does this much talk, so a monologue is not one wall of text.
PARAGRAPH_MAX_SECONDS = 90.0


def human_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d}"


@dataclass(frozen=True)
class Paragraph:
    start: float
    end: float
    speaker: str | None  # display name, or None when nobody is known
    text: str
    chapter: int | None  # Chapter.index, or None before the first chapter


def speaker_label(result: SessionResult, speaker_id: str | None) -> str | None:
    if speaker_id is None:
        return None
    for s in result.speakers:
        if s.id == speaker_id:
            return s.name or s.id
    return speaker_id


def chapter_at(chapters: Sequence[Chapter], t: float) -> Chapter | None:
    """The chapter playing at media time `t` (chapters sorted by start)."""
    current = None
    for ch in chapters:
        if ch.start <= t + 1e-6:
            current = ch
        else:
            break
    return current


def _segment_text(seg: Segment) -> str:
    return " ".join(seg.text.split())


def paragraphs(result: SessionResult) -> list[Paragraph]:
    chapters = sorted(result.chapters, key=lambda c: c.start)
    out: list[Paragraph] = []
    for seg in with_gaps(result, rejoin(result.segments)):
        text = _segment_text(seg)
        if not text:
            continue
        name = speaker_label(result, seg.speaker)
        ch = chapter_at(chapters, seg.start)
        index = ch.index if ch else None
        last = out[-1] if out else None
        if (
            last is not None
            and last.speaker == name
            and last.chapter == index
            and seg.start - last.end < PARAGRAPH_PAUSE
            and seg.end - last.start <= PARAGRAPH_MAX_SECONDS
        ):
            out[-1] = Paragraph(last.start, max(last.end, seg.end), name, f"{last.text} {text}", index)
        else:
            out.append(Paragraph(seg.start, seg.end, name, text, index))
    return out


def sections(result: SessionResult) -> Iterator[tuple[Chapter | None, list[Paragraph]]]:
    """Paragraphs grouped under their chapter, chapters in order, empty chapters included."""
    paras = paragraphs(result)
    chapters = sorted(result.chapters, key=lambda c: c.start)
    before = [p for p in paras if p.chapter is None]
    if before:
        yield None, before
    for ch in chapters:
        yield ch, [p for p in paras if p.chapter == ch.index]


def title_of(result: SessionResult) -> str:
    return result.session.title or result.session.id


def _subtitle(result: SessionResult) -> str:
    parts = [result.session.date, human_duration(result.audio.duration)]
    labels = unnamed_labels({"options": result.options})
    names = [s.name for s in result.speakers if s.name and not is_placeholder(s.name, s.source, labels)]
    if names:
        parts.append(", ".join(names))
    return " · ".join(p for p in parts if p)


def render_txt(result: SessionResult) -> str:
    title = title_of(result)
    lines = [title, "=" * len(title), _subtitle(result), ""]
    for ch, paras in sections(result):
        if ch is not None:
            heading = f"{ch.index}. {ch.title} [{hms(ch.start)}]"
            lines += ["", heading, "-" * len(heading), ""]
        for p in paras:
            who = f"{p.speaker}: " if p.speaker else ""
            lines += [f"[{hms(p.start)}] {who}{p.text}", ""]
    return "\n".join(lines).rstrip() + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def md_escape(text: str) -> str:
    """Transcript text is data: no Markdown emphasis, links or raw HTML may come out of it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_md(result: SessionResult) -> str:
    audio = f"{result.session.id}.mp3"
    lines = [f"# {md_escape(title_of(result))}", "", f"*{md_escape(_subtitle(result))}*", ""]
    for ch, paras in sections(result):
        if ch is not None:
            lines += [f"## {ch.index}. {md_escape(ch.title)}", ""]
            if ch.speakers:
                lines += [f"*{md_escape(', '.join(ch.speakers))}*", ""]
        for p in paras:
            stamp = f"[{hms(p.start)}]({audio}#t={p.start:.0f})"
            who = f" **{md_escape(p.speaker)}**" if p.speaker else ""
            lines += [f"{stamp}{who} — {md_escape(p.text)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def transcript_json(result: SessionResult) -> dict:
    """The Podcasting 2.0 JSON transcript (podcastindex.org `podcast:transcript`, version 1.0.0)."""
    segments = []
    for seg in with_gaps(result, rejoin(result.segments)):
        body = _segment_text(seg)
        if not body:
            continue
        item: dict = {}
        name = speaker_label(result, seg.speaker)
        if name:
            item["speaker"] = name
        item.update(startTime=round(seg.start, 3), endTime=round(seg.end, 3), body=body)
        segments.append(item)
    return {"version": "1.0.0", "segments": segments}


def write_txt(result: SessionResult, dest: Path) -> None:
    write_text(dest, render_txt(result))


def write_md(result: SessionResult, dest: Path) -> None:
    write_text(dest, render_md(result))


def write_transcript_json(result: SessionResult, dest: Path) -> None:
    write_json(dest, transcript_json(result))
