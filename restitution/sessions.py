"""Find sessions: a folder `recordings/<name>/` (one recording, an agenda, maybe session.toml),
or a recording file given with `--agenda`; and give each an id no other session of the archive has.

A session's id is the slug of its folder's (or file's) name. Two names can slug alike (`Séance`
and `seance`); the output folder `outputs/<id>/` then belongs to the session whose source name
its books record (`.work/done.json`, `.work/failed.json`, else session.json's recording), and
another session gets `<slug>-<hash of its name>` instead, with a warning: never someone else's
outputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from .errors import AgendaError, AudioError, ConfigError, OutputError
from .files import slugify
from .options import read_toml
from .types import Session

MEDIA_SUFFIXES = {
    ".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wma", ".aiff", ".aif",
    ".mp4", ".m4v", ".mkv", ".mov", ".webm", ".avi", ".ts", ".mpg", ".mpeg",
}  # fmt: skip
AGENDA_NAMES = ("agenda.txt", "agenda.toml", "agenda.json")


def _media_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)


def is_session_folder(folder: Path) -> bool:
    return folder.is_dir() and any((folder / n).is_file() for n in AGENDA_NAMES) and bool(_media_files(folder))


def _maybe_session(folder: Path) -> bool:
    """A session folder, or a folder that cannot be read: the batch reports it rather than skip it."""
    try:
        return is_session_folder(folder)
    except OSError:
        return folder.is_dir()


def find_sessions(root: Path) -> list[Path]:
    """Session folders directly under `root` (or `root` itself), sorted by name."""
    root = Path(root)
    if is_session_folder(root):
        return [root]
    if not root.is_dir():
        raise ConfigError("not a folder", root)
    try:
        return [p for p in sorted(root.iterdir()) if _maybe_session(p)]
    except OSError as e:
        raise ConfigError(f"cannot read this folder: {e.strerror or e}", root) from None


def _session_toml(folder: Path | None) -> tuple[dict[str, Any], Path | None]:
    if folder is None:
        return {}, None
    path = folder / "session.toml"
    if not path.exists():
        return {}, None
    if not path.is_file():
        raise ConfigError("is not a file (a folder?): cannot read the session's settings", path)
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
    try:
        return _load(target, agenda)
    except OSError as e:  # an unreadable folder or file, even as root (a folder where a file should be)
        where = e.filename or target
        raise ConfigError(f"cannot read: {e.strerror or e}", where) from None


def _load(target: Path, agenda: Path | None) -> tuple[Session, dict[str, Any], Path | None]:
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


# --- ids that never collide --------------------------------------------------------------------

log = logging.getLogger("restitution")
SOURCE_KEY = "source"  # in done.json and failed.json: the name of the folder (or file) the outputs come from


def source_name(session: Session) -> str:
    """The name of what the session comes from: its folder, or its recording file."""
    return Path(session.folder or session.recording).absolute().name


def _recorded_source(out_dir: Path) -> str | None:
    for name in ("done.json", "failed.json"):
        try:
            data = json.loads((out_dir / ".work" / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get(SOURCE_KEY), str):
            return str(data[SOURCE_KEY])
    try:
        data = json.loads((out_dir / "session.json").read_text(encoding="utf-8"))
        recording = Path(data["session"]["recording"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return f"{recording.parent.name}/{recording.name}"  # which of the two is the source is not recorded


def owner(out_dir: Path, session: Session) -> str | None:
    """Who else owns `out_dir`: the source name its books record, when it is not `session`'s; None
    when the folder is free or already `session`'s."""
    recorded = _recorded_source(out_dir)
    if recorded is None:
        return None
    mine = source_name(session)
    if "/" in recorded:  # from session.json's recording: a folder session's folder, or the file itself
        folder, file = recorded.split("/", 1)
        ours = folder == mine if session.folder is not None else file == Path(session.recording).name
        return None if ours else (folder if session.folder is not None else file)
    return None if recorded == mine else recorded


def alternative_id(session: Session) -> str:
    digest = hashlib.sha256(source_name(session).encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{session.id}-{digest}"


def with_id(session: Session, sid: str, why: str) -> Session:
    log.warning("session %s gets the id %s: %s", source_name(session), sid, why)
    return dataclasses.replace(session, id=sid)


def own_id(session: Session, outputs_dir: Path) -> Session:
    """`session`, with an id whose output folder is free or already its own."""
    taken = owner(Path(outputs_dir) / session.id, session)
    if taken is None:
        return session
    other = alternative_id(session)
    if owner(Path(outputs_dir) / other, session) is not None:
        raise OutputError(f"both {session.id} and {other} belong to other sessions; rename the folder", session.folder)
    return with_id(session, other, f"{Path(outputs_dir) / session.id} holds the outputs of {taken}")


def distinct_ids(sessions: list[Session], outputs_dirs: list[Path]) -> list[Session]:
    """The sessions of one batch (sorted by folder name), with ids that never share an output
    folder: one that already owns `<outputs>/<id>` keeps that id, else the first by name."""
    result = list(sessions)
    groups: dict[Path, list[int]] = {}
    for i, (session, outputs) in enumerate(zip(sessions, outputs_dirs, strict=True)):
        groups.setdefault(Path(outputs) / session.id, []).append(i)
    for out_dir, members in groups.items():
        # Those the folder is free for, or already belongs to (the books say whose): the first keeps it.
        mine = [i for i in members if owner(out_dir, sessions[i]) is None]
        keeper = mine[0] if mine else None
        for i in members:
            if i == keeper:
                continue
            why = (
                f"its slug is also that of {sessions[keeper].folder}"
                if keeper is not None
                else f"{out_dir} holds the outputs of {owner(out_dir, sessions[i])}"
            )
            result[i] = with_id(sessions[i], alternative_id(sessions[i]), why)
    return result
