"""Synthesized French sessions with a known truth: a test helper, not part of the product.

Used by the tests (tests/conftest.py), the benchmarks and scripts/make_example.py; it lives at
the top of the repository, outside the `restitution` package, so the wheel does not ship it.
Run from the repository root (pytest's `pythonpath = ["."]` does it for the tests).

    from synth import make_session, SynthSession
    make_session(folder, seed=7, offset=3.0, minutes=10)   # recording.mp3, agenda.txt, truth.json
    session = SynthSession.load(folder)                    # the truth, in media time
"""

from __future__ import annotations

from .audio import VOICES, SynthSpeaker, noise_section, speak
from .session import (
    ItemSpec,
    agenda_text,
    default_items,
    default_speakers,
    make_session,
)
from .truth import SynthSession, SynthTruth

__all__ = [
    "VOICES",
    "ItemSpec",
    "SynthSession",
    "SynthSpeaker",
    "SynthTruth",
    "agenda_text",
    "default_items",
    "default_speakers",
    "make_session",
    "noise_section",
    "speak",
]
