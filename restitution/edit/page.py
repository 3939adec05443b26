"""The edit page: the published page's look (its style sheet) with an editor's script.

The HTML is only a shell; the script reads the session's JSON view from the server and builds
the lines, so after a save the page shows exactly what was republished. The view's lines are
the published page's: the decoder's pieces glued into reader words (export/words.py), each
word with its times and probability, so what the reader fixes is what the reader saw.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from string import Template
from typing import Any

from ..export.labels import is_placeholder, unnamed_labels
from ..export.session_json import read_session_json
from ..export.text import human_duration, title_of
from ..export.words import rejoin
from ..index.writing import result_from_session_json
from ..types import SessionResult
from .server import static_text

# Word.probability is the decoder's mean token probability for the word. Below one half the
# decoder gave the written word less weight than all its alternatives together. Measured on
# the FLEURS French clips with Whisper base (benchmarks/low_confidence.py): 13 % of the words
# fall under 0.5 and 61 % of those are wrong (26 % of all words are), a third of the errors;
# 0.7 catches two thirds of them but lights up 31 % of the text, where a reader stops looking.
LOW_CONFIDENCE = 0.5


def load(path: Path) -> tuple[dict[str, Any], SessionResult]:
    data = read_session_json(path)
    return data, result_from_session_json(data, path)


def edit_page(path: Path, threshold: float = LOW_CONFIDENCE) -> str:
    _data, result = load(path)
    meta = " · ".join(x for x in (result.session.date, human_duration(result.audio.duration)) if x)
    return Template(static_text("edit.html")).substitute(
        lang=escape(result.language or "und", quote=True),
        title=escape(title_of(result), quote=True),
        meta=escape(meta, quote=True),
        threshold=f"{threshold:g}",
    )


def session_view(path: Path) -> dict[str, Any]:
    """What the page's script needs: speakers, chapters, and lines of reader words."""
    data, result = load(path)
    labels = unnamed_labels(data)
    lines = []
    for seg in rejoin(result.segments):
        words = [[w.text.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 3)] for w in seg.words]
        lines.append(
            {"start": seg.start, "end": seg.end, "speaker": seg.speaker, "text": seg.text.strip(), "words": words}
        )
    return {
        "id": result.session.id,
        "title": title_of(result),
        "duration": result.audio.duration,
        "speakers": [
            {
                "id": sp.id,
                "name": sp.name or sp.id,
                "role": sp.role,
                "placeholder": is_placeholder(sp.name, sp.source, labels),
            }
            for sp in result.speakers
        ],
        "chapters": [{"index": c.index, "title": c.title, "start": c.start, "end": c.end} for c in result.chapters],
        "lines": lines,
    }
