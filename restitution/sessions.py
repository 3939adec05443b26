"""Find sessions: a folder `recordings/<name>/` (one recording, an agenda, maybe session.toml),
or a recording file given with `--agenda`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import AgendaError, AudioError, ConfigError
from .files import slugify
from .options import read_toml
from .types import Session

MEDIA_SUFFIXES = {
    ".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wma", ".aiff", ".aif",
    ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".avi", ".ts", ".mpg", ".mpeg",
}
AGENDA_NAMES = ("agenda.txt", "agenda.toml", "agenda.json")


def _media_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)


def is_session_folder(folder: Path) -> bool:
    return folder.is_dir() and any((folder / n).is_file() for n in AGENDA_NAMES) and bool(_media_files(folder))


def find_sessions(root: Path) -> list[Path]:
    """Session folders directly under `root` (or `root` itself), sorted by name."""
    root = Path(root)
    if is_session_folder(root):
        return [root]
    if not root.is_dir():
        raise ConfigError("not a folder", root)
    return [p for p in sorted(root.iterdir()) if is_session_folder(p)]


def _session_toml(folder: Path | None) -> tuple[dict[str, Any], Path | None]:
    if folder is None:
        return {}, None
    path = folder / "session.toml"
    if not path.is_file():
        return {}, None
    data = read_toml(path)
    for key in ("title", "date", "album", "artist", "comment"):
        if key in data and not isinstance(data[key], str):
            if key == "date" and hasattr(data[key], "isoformat"):
                data[key] = data[key].isoformat()  # TOML dates are allowed unquoted
                continue
            raise ConfigError(f"'{key}' must be a string, not {type(data[key]).__name__}", path)
    speakers = data.get("speakers", {})
    if not isinstance(speakers, dict) or not all(isinstance(v, str) for v in speakers.values()):
        raise ConfigError("'speakers' must be a table of label = \"Name\" strings", path)
    return data, path


def load_session(target: Path, agenda: Path | None = None) -> tuple[Session, dict[str, Any], Path | None]:
    """Return the session, its session.toml contents, and that file's path (or None)."""
    target = Path(target)
    if target.is_dir():
        media = _media_files(target)
        if not media:
            raise AudioError("no audio or video file in this session folder", target)
        if len(media) > 1:
            names = ", ".join(p.name for p in media)
            raise AudioError(f"more than one recording in this session folder ({names})", target)
        recording, folder = media[0], target
        if agenda is None:
            agenda = next((target / n for n in AGENDA_NAMES if (target / n).is_file()), None)
        stem = target.resolve().name
    else:
        if not target.exists():
            raise AudioError("file not found", target)
        recording, folder, stem = target, None, target.stem
    if agenda is None:
        raise AgendaError("no agenda: add agenda.txt to the session folder or pass --agenda", target)
    if not Path(agenda).is_file():
        raise AgendaError("agenda file not found", agenda)
    data, toml_path = _session_toml(folder)
    session = Session(
        id=slugify(stem),
        recording=recording,
        agenda_path=Path(agenda),
        title=data.get("title"),
        date=data.get("date"),
        folder=folder,
        speaker_names=dict(data.get("speakers", {})),
    )
    return session, data, toml_path
