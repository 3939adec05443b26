"""`session.json`, schema `restitution/session@1` (restitution/schemas/session.schema.json).

The file is the session's durable record: the index, the archive page and the feed are all
rebuilt from it alone.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import RestitutionError
from ..files import write_json
from ..types import SessionResult

SCHEMA_ID = "restitution/session@1"


def schema() -> dict[str, Any]:
    return json.loads(resources.files("restitution").joinpath("schemas/session.schema.json").read_text("utf-8"))


def to_json(result: SessionResult) -> dict[str, Any]:
    s = result.session
    return {
        "schema": SCHEMA_ID,
        "session": {
            "id": s.id,
            "title": s.title or s.id,
            "date": s.date,
            "recording": str(s.recording),
            "duration": round(result.audio.duration, 3),
            "sha256": result.audio.sha256,
            "language": result.language,
        },
        "offset": result.offset.to_dict(),
        "speakers": [sp.to_dict() for sp in result.speakers],
        "chapters": [c.to_dict() for c in result.chapters],
        "segments": [
            {
                "start": seg.start,
                "end": seg.end,
                "speaker": seg.speaker,
                "text": seg.text,
                "words": [w.to_dict() for w in seg.words],
            }
            for seg in result.segments
        ],
        "gaps": [g.to_dict() for g in result.gaps],
        "options": result.options,
    }


def write_session_json(result: SessionResult, dest: Path) -> Path:
    write_json(dest, to_json(result))
    return dest


def read_session_json(path: Path) -> dict[str, Any]:
    """The parsed file, checked for its schema id (not fully validated: that is the tests' job)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RestitutionError(f"cannot read session.json: {e}", path) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_ID:
        raise RestitutionError(f"not a {SCHEMA_ID} file", path)
    return data
