"""Writers for everything published from a session, and `write_all` that runs them in order.

Every path is checked before anything is written: a file or folder of the session's output
folder that is a symlink leading outside it (a `chapters/` link to another archive) stops the
export with an OutputError naming it, and nothing is written or deleted through it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cache import StageCache, make_key
from ..options import PipelineOptions
from ..types import SessionResult

# The export stage's algorithm: bump it when any writer below changes what it writes.
EXPORT_VERSION = 1


def planned_paths(result: SessionResult, out_dir: Path) -> list[Path]:
    """Every path `write_all` writes or may delete inside `out_dir`."""
    from .chapters import chapter_stem

    sid = result.session.id
    chapter_dir = out_dir / "chapters"
    names = ["session.json", f"{sid}.vtt", f"{sid}.srt", "transcript.txt", "transcript.md", "transcript.json",
             "chapters.vtt", "chapters.json", f"{sid}.mp3", "index.html", ".work/export.mp3.json"]  # fmt: skip
    paths = [out_dir / name for name in names] + [chapter_dir]
    if chapter_dir.is_dir():
        paths += list(chapter_dir.iterdir())  # stale chapter files may be deleted
    paths += [chapter_dir / f"{chapter_stem(c)}{ext}" for c in result.chapters for ext in (".vtt", ".mp3")]
    return paths


def write_all(
    result: SessionResult,
    out_dir: Path,
    options: PipelineOptions,
    *,
    hook: Callable[..., Any] | None = None,
) -> None:
    """Write every output of one session into `out_dir`, and refresh the archive page."""
    from ..files import check_inside, confined
    from . import chapters, html, mp3, session_json, srt, text, vtt
    from .inaudible import with_gaps
    from .labels import is_placeholder, strings

    out_dir = Path(out_dir)
    for path in planned_paths(result, out_dir):
        check_inside(out_dir, path)
    sid = result.session.id
    title = result.session.title or sid
    ex = options.export
    with confined(out_dir):
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
        work = StageCache(out_dir / ".work")
        made_from = make_key("export.mp3", EXPORT_VERSION, result.audio.sha256, ex.mp3_bitrate, ex.loudnorm)
        reuse = mp3_dest.is_file() and work.fresh("export.mp3", made_from)
        labels = [options.voices.unnamed_label]
        people = [s.name for s in result.speakers if s.name and not is_placeholder(s.name, s.source, labels)]
        mp3.write_mp3(
            mp3_dest if reuse else result.session.recording,
            mp3_dest,
            result.chapters,
            title=title,
            artist=", ".join(people),
            album=title,
            date=result.session.date or "",
            comment=f"restitution: {len(result.chapters)} chapters",
            bitrate=ex.mp3_bitrate,
            loudnorm=ex.loudnorm,
            language={"fr": "fra", "en": "eng"}.get(result.language, "und"),
            toc_title=strings(result.language)["chapters_label"],
        )
        if not reuse:
            work.save("export.mp3", made_from, None, EXPORT_VERSION)
        mp3.write_chapter_files(mp3_dest, chapter_dir, result.chapters)
        html.write_session_page(result, out_dir, ex)
    html.write_archive_page(out_dir.parent)
