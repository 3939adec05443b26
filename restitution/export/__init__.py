"""Writers for everything published from a session, and `write_all` that runs them in order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..options import PipelineOptions
from ..types import SessionResult


def write_all(
    result: SessionResult,
    out_dir: Path,
    options: PipelineOptions,
    *,
    hook: Callable[..., Any] | None = None,
) -> None:
    """Write every output of one session into `out_dir`, and refresh the archive page."""
    from ..files import write_text
    from . import chapters, html, mp3, session_json, srt, text, vtt
    from .inaudible import with_gaps

    sid = result.session.id
    title = result.session.title or sid
    ex = options.export
    session_json.write_session_json(result, out_dir / "session.json")
    vtt.write_vtt(result, out_dir / f"{sid}.vtt", ex)
    srt.write_srt(result, out_dir / f"{sid}.srt", ex)
    text.write_txt(result, out_dir / "transcript.txt")
    text.write_md(result, out_dir / "transcript.md")
    text.write_transcript_json(result, out_dir / "transcript.json")
    chapters.write_chapters_vtt(result.chapters, out_dir / "chapters.vtt")
    chapters.write_chapters_json(result.chapters, out_dir / "chapters.json", title=title)
    chapter_dir = out_dir / "chapters"
    chapters.write_chapter_captions(
        with_gaps(result), result.chapters, chapter_dir, names=vtt.speaker_names(result), options=ex
    )
    if hook:
        hook("export", "mp3")
    # Re-exports (new chapters, names, title) re-tag the MP3 already encoded from this very
    # recording with these settings instead of encoding three hours again.
    mp3_dest = out_dir / f"{sid}.mp3"
    marker = out_dir / ".work" / "mp3.source"
    made_from = f"{result.audio.sha256} {ex.mp3_bitrate} {ex.loudnorm}\n"
    reuse = mp3_dest.is_file() and marker.is_file() and marker.read_text() == made_from
    mp3.write_mp3(
        mp3_dest if reuse else result.session.recording,
        mp3_dest,
        result.chapters,
        title=title,
        artist=", ".join(s.name for s in result.speakers if s.name),
        album=title,
        date=result.session.date or "",
        comment=f"restitution: {len(result.chapters)} chapters",
        bitrate=ex.mp3_bitrate,
        loudnorm=ex.loudnorm,
        language={"fr": "fra", "en": "eng"}.get(result.language, "und"),
    )
    write_text(marker, made_from)
    mp3.write_chapter_files(mp3_dest, chapter_dir, result.chapters)
    html.write_session_page(result, out_dir)
    html.write_archive_page(out_dir.parent)
