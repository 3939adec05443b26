"""The chaptered MP3: the recording encoded once, ID3v2.4 tags with one CHAP frame per chapter
under one ordered top-level CTOC (what podcast apps read), and one MP3 per chapter cut from it
without a second encode."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TDRC, TIT2, TPE1, TRCK, TXXX, CTOCFlags, ID3NoHeaderError
from mutagen.id3._tags import save_frame  # the public save() offers no frame order

from ..audio import ffmpeg, run_tool
from ..audio import url as _url
from ..errors import AudioError, OutputError
from ..files import atomic_path
from ..types import Chapter
from .chapters import chapter_stem, remove_stale

log = logging.getLogger("restitution")

TARGET_LUFS = -16.0  # the podcast norm (Apple, Spotify), integrated loudness
TRUE_PEAK = -1.5  # dBTP
LOUDNESS_RANGE = 11.0  # LU
MP3_SAMPLE_RATE = 44100
# Marks an MP3 we encoded, with its settings: given again as a source, it is copied, not re-encoded.
_ENCODING_TAG = "restitution-encoding"
_NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets: unused, times rule
MAX_TOC = 255  # a CTOC frame counts its entries in one byte (ID3v2 Chapter Frame Addendum)


class _InOrderID3(ID3):
    """ID3 tags written in the order frames were added.

    mutagen sorts frames by size when saving; CHAP frames would land in the file in no useful
    order, and ffmpeg (ffprobe, players built on it) lists chapters in file order, not CTOC order.
    """

    def _write(self, config: Any) -> bytearray:
        return bytearray().join(save_frame(frame, config=config) for frame in self.values())


def _ffmpeg(args: list[str], path: Path, what: str) -> str:
    return ffmpeg(["-y", *args], path, what)[1]


def _loudnorm_filter(source: Path) -> str:
    """Measure the source (first pass), then return the filter that corrects it linearly."""
    base = f"loudnorm=I={TARGET_LUFS}:TP={TRUE_PEAK}:LRA={LOUDNESS_RANGE}"
    stderr = _ffmpeg(
        ["-v", "info", "-i", _url(source), "-map", "0:a:0", "-af", f"{base}:print_format=json", "-f", "null", "-"],
        source,
        "loudness measurement",
    )
    found = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if not found:
        raise AudioError("loudness measurement failed: ffmpeg printed no loudnorm summary", source)
    m = json.loads(found.group(0))
    if m["input_i"] in ("-inf", "inf"):
        log.warning("%s: silent recording, loudness left as is", source)
        return ""
    return (
        f"{base}:measured_I={m['input_i']}:measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}"
        f":measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true"
    )


def _encoding(bitrate: str, loudnorm: bool) -> str:
    return f"libmp3lame {bitrate} {MP3_SAMPLE_RATE} loudnorm={'on' if loudnorm else 'off'}"


def _tags(path: Path) -> ID3 | None:
    try:
        return ID3(path)
    except (ID3NoHeaderError, MutagenError, OSError):
        return None


def _already_encoded(source: Path, encoding: str) -> bool:
    tags = _tags(source)
    frames = tags.getall(f"TXXX:{_ENCODING_TAG}") if tags is not None else []
    return bool(frames) and str(frames[0].text[0]) == encoding


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def _chapter_frames(chapters: Sequence[Chapter], duration: float, toc_title: str) -> list[CHAP | CTOC]:
    ids = [f"chp{c.index}" for c in chapters]
    frames: list[CHAP | CTOC] = [
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text=[toc_title])],
        )
    ]
    limit = _ms(duration)
    for element_id, chapter in zip(ids, chapters):
        start = min(_ms(chapter.start), limit)
        end = max(min(_ms(chapter.end), limit), start)
        frames.append(
            CHAP(
                element_id=element_id,
                start_time=start,
                end_time=end,
                start_offset=_NO_OFFSET,
                end_offset=_NO_OFFSET,
                sub_frames=[TIT2(encoding=3, text=[" ".join(chapter.title.split())])],
            )
        )
    return frames


def _duration(path: Path) -> float:
    run = run_tool(["-v", "error", "-show_entries", "format=duration", "-of", "json", _url(path)], "ffprobe")
    try:
        if run.returncode != 0:
            raise ValueError(run.returncode)
        return float(json.loads(run.stdout)["format"]["duration"])
    except (KeyError, ValueError):
        raise AudioError("cannot read the duration of the encoded MP3", path) from None


def write_mp3(
    source: Path,
    dest: Path,
    chapters: Sequence[Chapter],
    *,
    title: str,
    artist: str = "",
    album: str = "",
    date: str = "",
    comment: str = "",
    bitrate: str = "128k",
    loudnorm: bool = False,
    language: str = "fra",
    toc_title: str = "Chapters",
) -> Path:
    """Encode `source` to `dest` once and tag it (ID3v2.4, CHAP + CTOC); returns `dest`.

    `source` may be an MP3 this function wrote earlier with the same settings: it is then
    copied as is, so a re-export after a chapter or title change costs no encode.
    """
    source, dest = Path(source), Path(dest)
    encoding = _encoding(bitrate, loudnorm)
    with atomic_path(dest) as tmp:
        args = ["-v", "error", "-i", _url(source), "-map", "0:a:0", "-vn", "-sn", "-dn"]
        if _already_encoded(source, encoding):
            args += ["-c:a", "copy"]
        else:
            audio_filter = _loudnorm_filter(source) if loudnorm else ""
            args += ["-af", audio_filter] if audio_filter else []
            args += ["-c:a", "libmp3lame", "-b:a", bitrate, "-ar", str(MP3_SAMPLE_RATE)]
        args += ["-map_metadata", "-1", "-map_chapters", "-1", "-id3v2_version", "0", "-write_xing", "1"]
        _ffmpeg([*args, "-f", "mp3", _url(tmp)], source, "MP3 encoding")
        tags = _InOrderID3()
        tags.add(TIT2(encoding=3, text=[title]))
        for frame, value in ((TPE1, artist), (TALB, album), (TDRC, date)):
            if value:
                tags.add(frame(encoding=3, text=[value]))
        if comment:
            tags.add(COMM(encoding=3, lang=language, desc="", text=[comment]))
        tags.add(TXXX(encoding=3, desc=_ENCODING_TAG, text=[encoding]))
        if len(chapters) > MAX_TOC:
            log.warning(
                "%s: %d chapters, but an MP3's table of contents holds at most %d: chapters %d to %d are left out"
                " of it (every other output has them all)",
                dest,
                len(chapters),
                MAX_TOC,
                MAX_TOC + 1,
                len(chapters),
            )
        for chapter_frame in _chapter_frames(chapters[:MAX_TOC], _duration(tmp), toc_title):
            tags.add(chapter_frame)
        try:
            tags.save(tmp, v2_version=4)
        except (MutagenError, OSError) as e:
            raise OutputError(f"cannot write ID3 tags: {e}", dest) from None
    return dest


def write_chapter_files(mp3: Path, dest_dir: Path, chapters: Sequence[Chapter]) -> list[Path]:
    """`dest_dir/NN-<slug>.mp3` per chapter, cut from `mp3` by stream copy (frame-accurate)."""
    mp3 = Path(mp3)
    whole = _tags(mp3)
    written = []
    for chapter in chapters:
        path = Path(dest_dir) / f"{chapter_stem(chapter)}.mp3"
        with atomic_path(path) as tmp:
            # -ss/-t after -i: packets are dropped up to the cut instead of a TOC-based seek.
            _ffmpeg(
                ["-v", "error", "-i", _url(mp3),
                 "-ss", f"{chapter.start:.3f}", "-t", f"{chapter.end - chapter.start:.3f}",
                 "-map", "0:a:0", "-c:a", "copy", "-map_metadata", "-1", "-map_chapters", "-1",
                 "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", _url(tmp)],
                mp3,
                f"cutting chapter {chapter.index}",
            )  # fmt: skip
            tags = ID3()
            tags.add(TIT2(encoding=3, text=[" ".join(chapter.title.split())]))
            tags.add(TRCK(encoding=3, text=[f"{chapter.index}/{len(chapters)}"]))
            if chapter.speakers:
                tags.add(TPE1(encoding=3, text=list(chapter.speakers)))
            for key in ("TALB", "TDRC") if chapter.speakers else ("TPE1", "TALB", "TDRC"):
                for frame in whole.getall(key) if whole is not None else []:
                    tags.add(frame)
            try:
                tags.save(tmp, v2_version=4)
            except (MutagenError, OSError) as e:
                raise OutputError(f"cannot write ID3 tags: {e}", path) from None
        written.append(path)
    remove_stale(Path(dest_dir), ".mp3", written)
    return written
