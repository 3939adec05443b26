"""Edited exports turned into corrections (`restitution apply`). Filled in below."""

from __future__ import annotations

from pathlib import Path

from ..types import SessionResult
from .model import Correction, CorrectionsError


def from_file(result: SessionResult, path: Path) -> tuple[Correction, ...]:
    raise CorrectionsError("not yet readable", path)
