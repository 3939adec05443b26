"""SubRip captions: the same cues as the WebVTT, with a "Name: " prefix where the speaker is known."""

from __future__ import annotations

from pathlib import Path

from ..files import write_text
from ..options import ExportOptions
from ..types import SessionResult
from .vtt import Cue, cues_for, speaker_names


def srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def render_srt(cues: list[Cue], names: dict[str, str]) -> str:
    blocks = []
    for number, cue in enumerate(cues, 1):
        lines = list(cue.lines)
        name = names.get(cue.speaker) if cue.speaker else None
        if name:
            lines[0] = f"{' '.join(name.split())}: {lines[0]}"
        blocks.append(f"{number}\n{srt_time(cue.start)} --> {srt_time(cue.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""


def write_srt(result: SessionResult, dest: Path, options: ExportOptions | None = None) -> None:
    write_text(dest, render_srt(cues_for(result, options or ExportOptions()), speaker_names(result)))
