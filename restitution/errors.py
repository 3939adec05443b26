"""Errors the library raises. Each message is one line that names the file and says what to do."""

from __future__ import annotations

from pathlib import Path


class RestitutionError(Exception):
    """Base class: a problem the user can fix. The CLI prints it on one line and exits 1."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        text = f"{path}: {message}" if path is not None else message
        super().__init__(" ".join(text.split()))  # one line, always


class AudioError(RestitutionError):
    """The recording cannot be read, or holds no usable audio."""


class AgendaError(RestitutionError):
    """The agenda cannot be parsed or does not fit the recording."""


class ConfigError(RestitutionError):
    """A config.toml or session.toml key or value is wrong."""


class ModelError(RestitutionError):
    """A model is missing or cannot be loaded offline."""


class OutputError(RestitutionError):
    """Outputs cannot be written (permissions, full disk, locked)."""


class SearchIndexError(RestitutionError):
    """The search index is locked, corrupt, or the query is malformed."""


__all__ = [
    "RestitutionError",
    "AudioError",
    "AgendaError",
    "ConfigError",
    "ModelError",
    "OutputError",
    "SearchIndexError",
]
