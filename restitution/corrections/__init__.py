"""Corrections made by people, kept as data beside a session's outputs and applied as the
pipeline's `correct` stage, so every output follows them and a rerun keeps them.

    corrections = load(out_dir)                      # outputs/<id>/corrections.toml
    c = anchored(result, {"kind": "words", "start": 12.3, "end": 12.8, "new": "Delassus"})
    save(out_dir, [c])                                # under the session's lock
    republish(session, options)                       # correct, export, index: seconds
    from_file(result, Path("edited.vtt"))             # an edited export -> corrections
"""

from __future__ import annotations

from .apply import CORRECT_VERSION, Unplaced, apply
from .edits import anchored
from .imports import from_file
from .learn import known_spellings, learn
from .model import KINDS, Correction, CorrectionsError
from .republish import correct, out_dir_of, published, republish, save
from .store import FILE_NAME, add, fingerprint, load, path_for

__all__ = [
    "CORRECT_VERSION",
    "FILE_NAME",
    "KINDS",
    "Correction",
    "CorrectionsError",
    "Unplaced",
    "add",
    "anchored",
    "apply",
    "correct",
    "fingerprint",
    "from_file",
    "known_spellings",
    "learn",
    "load",
    "out_dir_of",
    "path_for",
    "published",
    "republish",
    "save",
]
