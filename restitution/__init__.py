"""restitution: recordings of public sessions into captioned, chaptered, searchable media.

from pathlib import Path
from restitution import load_session, load_options, run_session, search

session, session_toml, toml_path = load_session(Path("recordings/example"))
options = load_options(Path("config.toml"), session_toml)
result = run_session(session, options)
hits = search(options.index_path, '"économie circulaire"', speaker="Stéphanie Mabileau")
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import AgendaError, AudioError, ConfigError, ModelError, OutputError, RestitutionError, SearchIndexError
from .options import PipelineOptions, load_options
from .types import (
    Agenda,
    AgendaItem,
    AgendaSpeaker,
    AudioInfo,
    Chapter,
    Diarization,
    Offset,
    Segment,
    Session,
    SessionResult,
    Speaker,
    Transcript,
    Turn,
    Word,
)

__version__ = "0.2.0"

# Functions whose modules pull numpy, ffmpeg wrappers or models: imported on first use, so
# `import restitution` stays instant for the CLI's --help and for users who only search.
_LAZY = {
    "run_session": "pipeline",
    "run_batch": "batch",
    "load_session": "sessions",
    "find_sessions": "sessions",
    "search": "index",
    "index_session": "index",
    "rebuild_index": ("index", "rebuild"),
    "parse_agenda": ("agenda", "parse"),
    "transcribe": "transcribe",
    "diarize": "diarize",
    "write_feed": ("export.feed", "write_feed"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'restitution' has no attribute {name!r}")
    target = _LAZY[name]
    module, attr = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(f".{module}", __name__), attr)


__all__ = [
    "Agenda",
    "AgendaError",
    "AgendaItem",
    "AgendaSpeaker",
    "AudioError",
    "AudioInfo",
    "Chapter",
    "ConfigError",
    "Diarization",
    "ModelError",
    "Offset",
    "OutputError",
    "PipelineOptions",
    "RestitutionError",
    "SearchIndexError",
    "Segment",
    "Session",
    "SessionResult",
    "Speaker",
    "Transcript",
    "Turn",
    "Word",
    "load_options",
    *_LAZY,
]
