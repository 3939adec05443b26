"""Chapter tracks: `chapters.vtt` (WebVTT chapters), `chapters.json` (Podcasting 2.0 JSON
chapters 1.2.0) and `chapters/NN-<slug>.vtt`, captions timed from the start of each chapter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import webvtt
from webvtt.models import Timestamp

from ..files import remove, slugify, write_json, write_text
from ..options import ExportOptions
from ..types import Chapter, Segment, Word
from .cues import build_cues
from .vtt import escape, render_vtt
from .words import rejoin

# https://github.com/Podcastindex-org/podcast-namespace/blob/main/chapters/jsonChapters.md
JSON_CHAPTERS_VERSION = "1.2.0"
_NUMBERED = re.compile(r"^\d{2,}-.+")


def chapter_stem(chapter: Chapter) -> str:
    """`NN-<slug>`: the name shared by a chapter's .mp3 and .vtt files."""
    return f"{chapter.index:02d}-{slugify(chapter.title, fallback='chapter')}"


def remove_stale(dest_dir: Path, suffix: str, keep: Iterable[Path]) -> None:
    """Drop numbered chapter files a previous run left behind (titles or chapter count changed)."""
    kept = {p.name for p in keep}
    for path in sorted(dest_dir.glob(f"*{suffix}")):
        if _NUMBERED.match(path.name) and path.name not in kept:
            remove(path)


def write_chapters_vtt(chapters: Sequence[Chapter], dest: Path) -> Path:
    doc = webvtt.WebVTT()
    for chapter in chapters:
        doc.captions.append(
            webvtt.Caption(
                str(Timestamp.from_seconds(chapter.start)),
                str(Timestamp.from_seconds(chapter.end)),
                [escape(" ".join(chapter.title.split()))],
            )
        )
    write_text(dest, doc.content)
    return dest


def write_chapters_json(chapters: Sequence[Chapter], dest: Path, title: str | None = None) -> Path:
    data: dict[str, object] = {"version": JSON_CHAPTERS_VERSION}
    if title:
        data["title"] = title
    data["chapters"] = [
        {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": " ".join(c.title.split())}
        for c in chapters
    ]
    write_json(dest, data)
    return dest


def _within(segments: Iterable[Segment], chapter: Chapter) -> list[Segment]:
    """The chapter's share of `segments`, word by word, on the chapter file's own clock."""
    length = chapter.end - chapter.start

    def shift(t: float) -> float:
        return round(min(max(t - chapter.start, 0.0), length), 3)

    out = []
    for segment in segments:
        if segment.words:
            words = tuple(
                Word(shift(w.start), shift(w.end), w.text, w.probability)
                for w in segment.words
                if chapter.start <= w.start < chapter.end
            )
            if words:
                text = "".join(w.text for w in words).strip()
                out.append(Segment(words[0].start, words[-1].end, text, words, segment.speaker))
        elif chapter.start <= (segment.start + segment.end) / 2 < chapter.end:
            out.append(Segment(shift(segment.start), shift(segment.end), segment.text, (), segment.speaker))
    return out


def write_chapter_captions(
    segments: Sequence[Segment],
    chapters: Sequence[Chapter],
    dest_dir: Path,
    *,
    names: Mapping[str, str] | None = None,
    options: ExportOptions | None = None,
) -> list[Path]:
    """`dest_dir/NN-<slug>.vtt` per chapter, with times relative to the chapter's start."""
    options = options or ExportOptions()
    whole = rejoin(segments)  # before cutting at chapter starts, so no word is cut there
    written = []
    for chapter in chapters:
        cues = build_cues(
            _within(whole, chapter),
            max_chars=options.caption_max_chars,
            max_lines=options.caption_max_lines,
            max_seconds=options.caption_max_seconds,
            duration=chapter.end - chapter.start,
        )
        path = dest_dir / f"{chapter_stem(chapter)}.vtt"
        write_text(path, render_vtt(cues, names))
        written.append(path)
    if dest_dir.is_dir():
        remove_stale(dest_dir, ".vtt", written)
    return written
