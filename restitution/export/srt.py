"""SubRip captions: a "Name: " prefix where the speaker is known, counted in the line width.

SubRip has no voice tag, so the name is part of the first line; the cues are laid out with
room for it (`cues.build_cues(reserve=...)`) and every line, prefix included, stays within
`caption_max_chars`. A name that would take more than half a line is shortened to the first
name, or cut with an ellipsis; the WebVTT file always carries the full name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..files import write_text
from ..options import ExportOptions
from ..types import SessionResult
from .cues import Cue
from .vtt import cues_for, speaker_names


def srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def prefix(name: str, max_chars: int) -> str:
    """`Name: ` as shown on a line of `max_chars`: at most half of it, or "" when nothing fits."""
    room = max_chars // 2
    name = " ".join(name.split())
    for candidate in (name, name.split(" ")[0] if name else ""):
        if candidate and len(candidate) + 2 <= room:
            return f"{candidate}: "
    return f"{name[: room - 3].rstrip()}…: " if room - 3 >= 1 and name else ""


def prefixes(names: Mapping[str, str], max_chars: int) -> dict[str, str]:
    return {sid: p for sid, name in names.items() if (p := prefix(name, max_chars))}


def render_srt(cues: list[Cue], prefixes: Mapping[str, str]) -> str:
    blocks = []
    for number, cue in enumerate(cues, 1):
        lines = list(cue.lines)
        head = prefixes.get(cue.speaker, "") if cue.speaker else ""
        if head:
            lines[0] = f"{head}{lines[0]}" if lines[0] else head.rstrip()
        blocks.append(f"{number}\n{srt_time(cue.start)} --> {srt_time(cue.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def srt_cues(result: SessionResult, options: ExportOptions) -> tuple[list[Cue], dict[str, str]]:
    heads = prefixes(speaker_names(result), options.caption_max_chars)
    return cues_for(result, options, reserve={sid: len(p) for sid, p in heads.items()}), heads


def write_srt(result: SessionResult, dest: Path, options: ExportOptions | None = None) -> None:
    cues, heads = srt_cues(result, options or ExportOptions())
    write_text(dest, render_srt(cues, heads))
