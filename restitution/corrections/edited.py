"""Reading an edited export back: WebVTT, SubRip, transcript.txt or transcript.json, as this
tool writes them and as subtitle editors (Subtitle Edit, Aegisub) and text editors save them.

Each file becomes blocks (a cue, a paragraph, a segment): where it is, when it plays, who
speaks (as written: a `<v Name>` span, a `Name: ` prefix, a `speaker` field) and its text.
What cannot be read is a CorrectionsError naming the file and the line.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .model import CorrectionsError

MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the file where it starts
    start: float | None  # seconds; None when the format gives no time for it
    end: float | None
    speaker: str | None  # as written in the file; None when it names nobody
    text: str
    heading: int | None = None  # transcript.txt: the number of the chapter this heading is


_STAMP = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_STAMP}\s*-->\s*{_STAMP}(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+([^>]*))?>")
_TAG = re.compile(r"</?[^>]*>")  # WebVTT: its text is escaped, so every <...> is markup
_SRT_TAG = re.compile(r"(?i)</?(?:i|b|u|font)(?:\s[^>]*)?>")  # SubRip's few tags; other <...> is text
_ASS = re.compile(r"\{\\[^}]*\}")  # Aegisub override blocks: {\an8}, {\i1}


def read_text(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise CorrectionsError(f"cannot read: {e.strerror or e}", path) from None
    if len(raw) > MAX_BYTES:
        raise CorrectionsError("too large for an edited export of one session", path)
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                raise CorrectionsError("starts like UTF-16 but is not", path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        try:
            return raw.decode("cp1252")  # what older Windows editors save
        except UnicodeDecodeError:
            line = raw[: e.start].count(b"\n") + 1
            raise CorrectionsError(f"line {line}: neither UTF-8 nor Windows-1252 text", path) from None


def _seconds(h: str | None, m: str, s: str, frac: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def _timing(line: str, n: int, path: Path) -> tuple[float, float]:
    match = _TIMING.match(line)
    if not match:
        raise CorrectionsError(f"line {n}: {line.strip()!r} is not a cue timing (00:01:02.500 --> 00:01:04.000)", path)
    g = match.groups()
    start, end = _seconds(*g[:4]), _seconds(*g[4:])
    if any(int(x) >= 60 for x in (g[1], g[2], g[5], g[6])):
        raise CorrectionsError(f"line {n}: {line.strip()!r} has minutes or seconds of 60 or more", path)
    if end < start:
        raise CorrectionsError(f"line {n}: the cue ends before it starts", path)
    return start, end


def _chunks(lines: list[str], first: int) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines, with the 1-based number of their first line."""
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for n, line in enumerate(lines[first:], start=first + 1):
        if line.strip():
            if not current:
                out.append((n, current))
            current.append(line)
        else:
            current = []
    return out


def _cue_text(lines: list[str], webvtt: bool = True) -> tuple[str | None, str]:
    joined = " ".join(_ASS.sub("", line) for line in lines)
    if not webvtt:
        return None, " ".join(_SRT_TAG.sub("", joined).split())
    voice = _VOICE.search(joined)
    speaker = html.unescape(voice.group(1)).strip() if voice and voice.group(1) else None
    text = html.unescape(_TAG.sub("", joined))
    return speaker or None, " ".join(text.split())


def read_vtt(text: str, path: Path) -> list[Block]:
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise CorrectionsError("line 1: not a WebVTT file (it must start with WEBVTT)", path)
    blocks = []
    for n, chunk in _chunks(lines, 1):
        if chunk[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        k = 0 if "-->" in chunk[0] else 1
        if k >= len(chunk) or "-->" not in chunk[k]:
            raise CorrectionsError(f"line {n}: a cue without a timing line (00:01:02.500 --> 00:01:04.000)", path)
        start, end = _timing(chunk[k], n + k, path)
        speaker, body = _cue_text(chunk[k + 1 :])
        blocks.append(Block(n, start, end, speaker, body))
    return blocks


def read_srt(text: str, path: Path) -> list[Block]:
    lines = text.splitlines()
    blocks = []
    for n, chunk in _chunks(lines, 0):
        k = 1 if chunk[0].strip().isdigit() else 0
        if k >= len(chunk) or "-->" not in chunk[k]:
            raise CorrectionsError(f"line {n}: a subtitle without a timing line (00:01:02,500 --> 00:01:04,000)", path)
        start, end = _timing(chunk[k], n + k, path)
        _, body = _cue_text(chunk[k + 1 :], webvtt=False)
        blocks.append(Block(n, start, end, None, body))
    if not blocks and text.strip():
        raise CorrectionsError("line 1: no subtitles in this file", path)
    return blocks


_PARAGRAPH = re.compile(r"^\[(\d+):(\d{2}):(\d{2})\]\s*(.*)$")
_HEADING = re.compile(r"^(\d+)\.\s+(.*?)\s*\[(\d+):(\d{2}):(\d{2})\]\s*$")
_LOOKS_STAMPED = re.compile(r"^\[\s*\d[^\]]{0,12}\]")


def read_txt(text: str, path: Path) -> list[Block]:
    """transcript.txt: `[HH:MM:SS] Name: text` paragraphs (a paragraph may go on over several
    lines), under `N. Title [HH:MM:SS]` headings underlined with dashes; the title lines above
    the first heading or paragraph are the file's header."""
    lines = text.splitlines()
    blocks: list[Block] = []
    started = False
    for n, line in enumerate(lines, start=1):
        stripped = line.strip()
        following = lines[n].strip() if n < len(lines) else ""
        heading = _HEADING.match(stripped)
        if heading and following and set(following) == {"-"}:
            h, m, s = (int(x) for x in heading.groups()[2:])
            blocks.append(Block(n, h * 3600 + m * 60 + s, None, None, heading.group(2), heading=int(heading.group(1))))
            started = True
            continue
        if not stripped or (stripped and set(stripped) <= {"-", "="}):
            continue
        para = _PARAGRAPH.match(stripped)
        if para:
            h, m, s = (int(x) for x in para.groups()[:3])
            if m >= 60 or s >= 60:
                raise CorrectionsError(f"line {n}: [{h}:{m:02d}:{s:02d}] is not a time", path)
            blocks.append(Block(n, h * 3600 + m * 60 + s, None, None, para.group(4)))
            started = True
        elif _LOOKS_STAMPED.match(stripped):
            raise CorrectionsError(f"line {n}: {stripped[:20]!r} is not a [HH:MM:SS] time stamp", path)
        elif started and blocks and blocks[-1].heading is None:
            last = blocks[-1]
            blocks[-1] = Block(last.line, last.start, None, None, f"{last.text} {stripped}")
        elif started:
            raise CorrectionsError(f"line {n}: text under a chapter heading with no [HH:MM:SS] stamp before it", path)
    return blocks


def _line_of(text: str, key: str, k: int) -> int:
    """The line of the k-th (0-based) occurrence of `"key"` in a JSON text, or 0."""
    pos = -1
    for _ in range(k + 1):
        pos = text.find(f'"{key}"', pos + 1)
        if pos < 0:
            return 0
    return text.count("\n", 0, pos) + 1


def read_json(text: str, path: Path) -> list[Block]:
    """A Podcasting 2.0 JSON transcript: {"segments": [{speaker?, startTime, endTime, body}]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CorrectionsError(f"line {e.lineno}: not valid JSON ({e.msg})", path) from None
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise CorrectionsError('line 1: not a JSON transcript (no "segments" list)', path)
    blocks = []
    for k, seg in enumerate(segments):
        line = _line_of(text, "body", k) or _line_of(text, "startTime", k)
        where = f"line {line} (segment {k + 1})" if line else f"segment {k + 1}"
        if not isinstance(seg, dict):
            raise CorrectionsError(f"{where}: a segment must be an object", path)
        start, end, body, speaker = seg.get("startTime"), seg.get("endTime"), seg.get("body"), seg.get("speaker")
        for name, value in (("startTime", start), ("endTime", end)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CorrectionsError(f"{where}: {name} must be seconds, not {value!r}", path)
        if not isinstance(body, str):
            raise CorrectionsError(f"{where}: body must be text", path)
        if speaker is not None and not isinstance(speaker, str):
            raise CorrectionsError(f"{where}: speaker must be text", path)
        assert isinstance(start, (int, float)) and isinstance(end, (int, float))
        if end < start:
            raise CorrectionsError(f"{where}: endTime is before startTime", path)
        blocks.append(
            Block(line or 1, float(start), float(end), (speaker or "").strip() or None, " ".join(body.split()))
        )
    return blocks


def kind_of(path: Path) -> str:
    """ "vtt", "srt", "txt" or "json" from the file's name; CorrectionsError for anything else."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("vtt", "srt", "txt", "json"):
        return suffix
    raise CorrectionsError(
        "not an export this can read back: give a .vtt, .srt, transcript.txt or transcript.json", path
    )


READERS = {"vtt": read_vtt, "srt": read_srt, "txt": read_txt, "json": read_json}
