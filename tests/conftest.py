"""Shared fixtures: espeak-ng speech with a known truth, a temp outputs dir, the shared eval data."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth import VOICES, ItemSpec, SynthSession, SynthSpeaker, make_session, speak

SHORT_FRENCH_TEXT = "Bonjour à tous, je laisse maintenant la parole à Sophie Marchand pour la restitution de l'atelier."
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def small_session_items() -> list[ItemSpec]:
    """Three items, three voices, about fifty seconds: enough to test every stage quickly."""
    a = SynthSpeaker("Léa Kerbrat", "présidente du réseau des lieux numériques", *VOICES[1])
    b = SynthSpeaker("Hugo Delorme", "chef du service du numérique", *VOICES[0])
    c = SynthSpeaker("Jean-Marc Le Floch", "metteur en scène", *VOICES[2])
    return [
        ItemSpec("Introduction", [a], seconds=12),
        ItemSpec("Présentation de la méthode des ateliers", [b], seconds=12),
        ItemSpec("Restitution de l'atelier « Données »", [c], seconds=12, joiner="avec"),
    ]


@pytest.fixture(scope="session")
def synth_session(tmp_path_factory: pytest.TempPathFactory) -> SynthSession:
    """~50 s, 3 named speakers, 3 agenda items, recording 3 s late (mp3 + agenda.txt + truth.json)."""
    dest = tmp_path_factory.mktemp("synth_session")
    make_session(dest, seed=7, offset=3.0, items=small_session_items())
    return SynthSession.load(dest)


@pytest.fixture(scope="session")
def short_french_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One French sentence (SHORT_FRENCH_TEXT), 16 kHz mono WAV, about 5 s."""
    path = tmp_path_factory.mktemp("short") / "short_french.wav"
    speak(path, SHORT_FRENCH_TEXT)
    return path


@pytest.fixture
def short_french_text() -> str:
    return SHORT_FRENCH_TEXT


@pytest.fixture
def tmp_outputs(tmp_path: Path) -> Path:
    out = tmp_path / "outputs"
    out.mkdir()
    return out


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    if not SHARED_EVAL.is_dir():
        pytest.skip(f"../shared/eval is absent: the evaluation data lives beside the repository ({SHARED_EVAL})")
    return SHARED_EVAL
