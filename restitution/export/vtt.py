"""WebVTT captions: the cues of `cues.build_cues`, written with webvtt-py, `<v Name>` voice spans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import webvtt
from webvtt.models import Timestamp

from ..files import write_text
from ..options import ExportOptions
from ..types import SessionResult
from .cues import Cue, build_cues
from .inaudible import with_gaps


def escape(text: str) -> str:
    """Cue text is a tiny markup language: a bare <, > or & would be read as a tag or an entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def speaker_names(result: SessionResult) -> dict[str, str]:
    return {s.id: s.name for s in result.speakers if s.name}


def render_vtt(cues: Sequence[Cue], names: Mapping[str, str] | None = None) -> str:
    """WebVTT text for `cues`, with a `<v Name>` span on every cue whose speaker has a name."""
    names = names or {}
    doc = webvtt.WebVTT()
    for cue in cues:
        lines = [escape(line) for line in cue.lines]
        name = names.get(cue.speaker) if cue.speaker else None
        if name:
            lines[0] = f"<v {escape(' '.join(name.split()))}>{lines[0]}"
        doc.captions.append(
            webvtt.Caption(
                str(Timestamp.from_seconds(cue.start)),
                str(Timestamp.from_seconds(cue.end)),
                lines,
            )
        )
    return doc.content


def cues_for(result: SessionResult, options: ExportOptions, reserve: Mapping[str, int] | None = None) -> list[Cue]:
    return build_cues(
        with_gaps(result),
        max_chars=options.caption_max_chars,
        max_lines=options.caption_max_lines,
        max_seconds=options.caption_max_seconds,
        duration=result.audio.duration,
        reserve=reserve,
    )


def write_vtt(result: SessionResult, dest: Path, options: ExportOptions | None = None) -> list[Cue]:
    cues = cues_for(result, options or ExportOptions())
    write_text(dest, render_vtt(cues, speaker_names(result)))
    return cues
