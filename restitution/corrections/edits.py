"""`anchored`: an edit as a person made it (the page sends kind and fields) turned into a
correction that can be found again, with what it replaces and the words around it filled in
from the result it was made on."""

from __future__ import annotations

from typing import Any

from ..clock import hms
from ..types import SessionResult
from .anchor import anchor_words, norm
from .model import KINDS, Correction, CorrectionsError
from .people import voice_for


def _time(edit: dict[str, Any], name: str) -> float:
    value = edit.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CorrectionsError(f"a {edit.get('kind')} edit needs {name!r} in seconds, not {value!r}")
    return float(value)


def anchored(result: SessionResult, edit: dict[str, Any]) -> Correction:
    """The correction `edit` makes on `result`; CorrectionsError (one line) when it does not fit it."""
    if not isinstance(edit, dict) or edit.get("kind") not in KINDS:
        kind = edit.get("kind") if isinstance(edit, dict) else edit
        raise CorrectionsError(f"an edit of kind {kind!r}; kinds: {', '.join(KINDS)}")
    data = {k: v for k, v in edit.items() if v is not None}
    kind = data["kind"]
    if kind == "words":
        start, end = _time(data, "start"), _time(data, "end")
        speaker = voice_for(result, data["speaker"]) if data.get("speaker") else None
        old, before, after = anchor_words(result, start, end, speaker)
        given = data.get("old")
        if isinstance(given, str) and given.strip() and norm(given) != norm(old):
            raise CorrectionsError(f"the words at {hms(start)} read {old!r}, not {given!r}; reload the session")
        if end > start and not old:
            raise CorrectionsError(f"no words between {hms(start)} and {hms(end)} to replace")
        if speaker is None and old:
            speaker = _speaker_at(result, start, end)
        data.update(old=old, before=before, after=after, speaker=speaker or "")
    elif kind in ("rename", "merge"):
        for field in ("speaker", "into") if kind == "merge" else ("speaker",):
            ref = data.get(field)
            label = voice_for(result, ref) if isinstance(ref, str) else None
            if label is None:
                raise CorrectionsError(f"no voice {ref!r} in session {result.session.id}")
            data[field] = label
        if kind == "rename":
            data["old"] = next((s.name or "" for s in result.speakers if s.id == data["speaker"]), "")
    elif kind == "chapter":
        index = data.get("index")
        if not isinstance(index, int) or not 1 <= index <= len(result.chapters):
            raise CorrectionsError(
                f"no chapter {index!r} in session {result.session.id} ({len(result.chapters)} chapters)"
            )
        data["old"] = result.chapters[index - 1].title
    elif kind == "gap":
        start, end = _time(data, "start"), _time(data, "end")
        hits = [g for g in result.gaps if min(end, g.end) > max(start, g.start)]
        if not hits:
            raise CorrectionsError(f"no inaudible stretch between {hms(start)} and {hms(end)}")
        data.update(start=hits[0].start, end=hits[-1].end)
    elif kind == "speaker":
        # The voice it is taken from: as the edit says (the segment's speaker), else who says most of it.
        given = data.get("old")
        source = voice_for(result, given) if isinstance(given, str) and given else None
        if given and source is None:
            raise CorrectionsError(f"no voice {given!r} in session {result.session.id}")
        data["old"] = source or _speaker_at(result, _time(data, "start"), _time(data, "end")) or ""
    try:
        return Correction.from_dict(data)
    except CorrectionsError as e:
        raise CorrectionsError(f"edit {edit!r}: {e}") from None


def _speaker_at(result: SessionResult, start: float, end: float) -> str | None:
    """The voice that says most of [start, end]."""
    said: dict[str, float] = {}
    for seg in result.segments:
        overlap = min(end, seg.end) - max(start, seg.start)
        if seg.speaker and overlap > 0:
            said[seg.speaker] = said.get(seg.speaker, 0.0) + overlap
    return max(said, key=lambda k: said[k]) if said else None
