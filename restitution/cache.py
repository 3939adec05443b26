"""Stage cache: `outputs/<session>/.work/<stage>.json`, keyed by everything that made the result.

A key hashes the stage name, the upstream key (so the audio fingerprint flows down the chain),
the stage's options and the backend version. Change one option and that stage misses, and so
does everything downstream of it, because their upstream key changed; nothing else reruns.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .files import write_json
from .types import Record

log = logging.getLogger("restitution")

R = TypeVar("R", bound=Record)

# Bump when a stage's output format or algorithm changes in a way old caches must not survive.
CACHE_VERSION = 1


def make_key(stage: str, *parts: Any) -> str:
    blob = json.dumps([CACHE_VERSION, stage, *parts], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]  # paths that are not UTF-8


class StageCache:
    def __init__(self, work_dir: Path):
        self.work_dir = Path(work_dir)

    def path(self, stage: str) -> Path:
        return self.work_dir / f"{stage}.json"

    def load(self, stage: str, key: str, cls: type[R]) -> R | None:
        path = self.path(stage)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent, or cut short by a crash before the rename: recompute
        if data.get("key") != key:
            return None
        try:
            return cls.from_dict(data["value"])
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring unreadable cache %s", path)
            return None

    def save(self, stage: str, key: str, value: Record) -> None:
        write_json(self.path(stage), {"stage": stage, "key": key, "value": value.to_dict()})

    def get_or_compute(self, stage: str, key: str, cls: type[R], compute: Callable[[], R]) -> tuple[R, bool]:
        """Return (value, was_cached)."""
        cached = self.load(stage, key, cls)
        if cached is not None:
            log.info("%s: reusing cached result", stage)
            return cached, True
        value = compute()
        self.save(stage, key, value)
        return value, False
