"""The published export of a result rendered again, word by word: each word of each cue (or
transcript segment) traced to the reader word it shows and its times and voice, so an edited
copy of the export can be lined up with it (`imports.from_file`)."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..export import cues as cue_layout
from ..export import srt, text, vtt
from ..export.inaudible import INAUDIBLE, with_gaps
from ..export.words import rejoin
from ..options import ExportOptions
from ..types import Segment, SessionResult
from .anchor import norm
from .model import CorrectionsError

GAP = "\x00gap"  # the key of an [inaudible] mark, which no written word matches


def key(token: str) -> str:
    """What a written word is compared by."""
    return GAP if token == INAUDIBLE else (" ".join(norm(token)) or token)


@dataclass(frozen=True)
class Said:
    """One word of the published export, and where it comes from."""

    key: str
    raw: str
    start: float
    end: float
    speaker: str | None
    gap: int | None  # index in result.gaps for an [inaudible] mark
    unit: int  # the reader word (or mark) it is part of
    block: int  # the cue or segment it is shown in


# The caption layout's own unit (one reader word or mark, timed, with its voice).
_Unit = cue_layout._Unit


def _gap_index(result: SessionResult, unit: _Unit) -> int | None:
    if unit.text != INAUDIBLE:
        return None
    for k, g in enumerate(result.gaps):
        if abs(g.start - unit.start) < 1e-3:
            return k
    return None


def export_options(result: SessionResult) -> ExportOptions:
    """The caption settings the result was exported with (session.json records them)."""
    recorded = result.options.get("export") if isinstance(result.options, dict) else None
    fields = {f.name for f in dataclasses.fields(ExportOptions)}
    values = {k: v for k, v in (recorded or {}).items() if k in fields}
    try:
        return ExportOptions(**values)
    except TypeError:
        return ExportOptions()


def _walk(result: SessionResult, units: list[_Unit], blocks: list[list[str]], where: Path) -> list[Said]:
    """The tokens of `blocks` (as rendered from `units`, in order), each traced to its unit."""
    out: list[Said] = []
    u, p = 0, 0
    compact = [re.sub(r"\s+", "", x.text) for x in units]
    for b, tokens in enumerate(blocks):
        for tok in tokens:
            while u < len(units) and p >= len(compact[u]):
                u, p = u + 1, 0
            if u < len(units) and compact[u][p : p + len(tok)] != tok:
                # A cue dropped past the end of the recording: its words were never shown.
                ahead = [k for k in range(u + 1, min(len(units), u + 50)) if compact[k].startswith(tok)]
                if ahead:
                    u, p = ahead[0], 0
            if u >= len(units) or compact[u][p : p + len(tok)] != tok:
                raise CorrectionsError(
                    f"the published outputs do not line up with session.json near {tok!r}; run the session again", where
                )
            unit = units[u]
            out.append(Said(key(tok), tok, unit.start, unit.end, unit.speaker, _gap_index(result, unit), u, b))
            p += len(tok)
    return out


def _caption_units(segments: tuple[Segment, ...]) -> list[_Unit]:
    return cue_layout._units(segments)


def _segment_units(seg: Segment) -> list[_Unit]:
    if seg.words:
        return [_Unit(w.start, w.end, w.text.strip(), seg.speaker) for w in seg.words]
    return cue_layout._spread(seg)


@dataclass(frozen=True)
class Original:
    said: list[Said]
    blocks: list[tuple[float, float, str | None]]  # (start, end, speaker) of each cue or segment
    heads: dict[str, str | None]  # written speaker -> voice label (names, SRT prefixes); None: ambiguous


def original(result: SessionResult, kind: str, where: Path) -> Original:
    """The published export of `result` in format `kind`, word by word."""
    written: list[tuple[str, str]] = [(name, sid) for sid, name in vtt.speaker_names(result).items()]
    if kind in ("vtt", "srt"):
        ex = export_options(result)
        if kind == "vtt":
            cues = vtt.cues_for(result, ex)
        else:
            cues, prefixes = srt.srt_cues(result, ex)
            written += [(p.removesuffix(": "), sid) for sid, p in prefixes.items()]
        units = _caption_units(with_gaps(result))
        shown = _walk(result, units, [" ".join(c.lines).split() for c in cues], where)
        return Original(shown, [(c.start, c.end, c.speaker) for c in cues], _heads(result, written))
    segments = [s for s in with_gaps(result, rejoin(result.segments)) if " ".join(s.text.split())]
    said: list[Said] = []
    for b, seg in enumerate(segments):
        units = _segment_units(seg)
        said += [
            dataclasses.replace(s, block=b, unit=s.unit + 100_000 * b)
            for s in _walk(result, units, [seg.text.split()], where)
        ]
    written += [(text.speaker_label(result, s.id) or s.id, s.id) for s in result.speakers]
    return Original(said, [(round(s.start, 3), round(s.end, 3), s.speaker) for s in segments], _heads(result, written))


def _heads(result: SessionResult, written: list[tuple[str, str]]) -> dict[str, str | None]:
    """Written speaker -> voice label; None for a name two voices share (it tells nothing)."""
    voices: dict[str, set[str]] = defaultdict(set)
    for name, sid in [*written, *((s.id, s.id) for s in result.speakers)]:
        voices[" ".join(name.split())].add(sid)
    return {name: (next(iter(ids)) if len(ids) == 1 else None) for name, ids in voices.items()}
