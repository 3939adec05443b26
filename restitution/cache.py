"""Stage cache: `outputs/<session>/.work/<stage>.json`, one entry per stage, valid for one key.

A stage's key (`pipeline.stage_keys`) hashes what makes its result and nothing else: the stage's
name and algorithm version, the keys of its inputs (so the audio fingerprint flows down the
chain), the options that change its result, and its model and backend fingerprint. Threads,
progress and paths are not in it, so changing them recomputes nothing; change anything else and
that stage misses, and so does every stage after it that reads its result, since an input key
changed.

An entry also records the algorithm version and the restitution release that made it, for the
people reading .work/. A result that is a file (the decoded samples, the encoded MP3) has an
entry without a value, which says which key made the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .files import write_json
from .types import Record

log = logging.getLogger("restitution")

R = TypeVar("R", bound=Record)


def make_key(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]  # paths that are not UTF-8


@dataclass(frozen=True)
class StageKey:
    """A stage's key and the parts it was made of, so a changed key can say what changed."""

    key: str
    algorithm: int
    options: str  # hash of the options that change the result
    model: str  # hash of the model and backend fingerprint

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "algorithm": self.algorithm, "options": self.options, "model": self.model}


class StageCache:
    def __init__(self, work_dir: Path):
        self.work_dir = Path(work_dir)

    def path(self, name: str) -> Path:
        return self.work_dir / f"{name}.json"

    def _entry(self, name: str, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent, or cut short by a crash before the rename: recompute
        return data if isinstance(data, dict) and data.get("key") == key else None

    def fresh(self, name: str, key: str) -> bool:
        """Whether the file result of `name` was made under `key`."""
        return self._entry(name, key) is not None

    def load(self, name: str, key: str, cls: type[R]) -> R | None:
        data = self._entry(name, key)
        if data is None:
            return None
        try:
            return cls.from_dict(data["value"])
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring unreadable cache %s", self.path(name))
            return None

    def save(self, name: str, key: str, value: Record | None, algorithm: int) -> None:
        entry = {"stage": name, "key": key, "algorithm": algorithm, "made_by": __version__}
        if value is not None:
            entry["value"] = value.to_dict()
        write_json(self.path(name), entry)

    def forget(self, stage: str) -> None:
        """Drop the entries of `stage`: its own and those of its parts (`<stage>.<part>.json`)."""
        for path in [self.path(stage), *self.work_dir.glob(f"{stage}.*.json")]:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class SessionKeys:
    """What a run of one session is made of: its sources' fingerprints and each stage's key.

    `sources`: "audio" (the recording's sha256), "agenda" and "session" (the details a
    session.toml gives); `stages`: the stages that run, in the table's order.
    """

    sources: dict[str, str]
    stages: dict[str, StageKey]
