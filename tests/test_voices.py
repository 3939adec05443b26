"""The voiceprint library on a real SQLite file, and voiceprints from real espeak-ng clips."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from restitution.errors import AudioError
from restitution.types import Diarization, Speaker, Turn
from restitution.voices import VoiceLibrary, embed_clips, enroll_from_session


def test_round_trip_match_and_forget(tmp_path: Path):
    path = tmp_path / "sub" / "voices.sqlite"
    lib = VoiceLibrary(path)
    assert lib.list() == [] and lib.match([1, 0], model="m") is None and lib.forget("X") == 0
    lib.enroll("Anne  Martin", [2.0, 0.0, 0.0], model="m", seconds=30)
    lib.enroll("Anne Martin", [1.0, 0.2, 0.0], model="m", seconds=20)
    lib.enroll("Paul Durand", [0.0, 1.0, 0.0], model="m")
    lib.enroll("Paul Durand", [0.0, 0.0, 1.0], model="other")
    assert path.is_file()
    again = VoiceLibrary(path)  # a new handle reads what the first one wrote
    listed = {(v.name, v.model): (v.prints, v.seconds) for v in again.list()}
    assert listed == {
        ("Anne Martin", "m"): (2, 50.0),
        ("Paul Durand", "m"): (1, 0.0),
        ("Paul Durand", "other"): (1, 0.0),
    }
    name, sim = again.match([0.8, 0.3, 0.0], model="m")
    assert name == "Anne Martin" and 0.9 < sim < 0.99
    assert again.match([0.8, 0.3, 0.0], model="m", threshold=0.99) is None
    assert again.match([0.0, 0.0, 1.0], model="other")[0] == "Paul Durand"
    assert again.forget("Paul Durand") == 2
    assert [v.name for v in again.list()] == ["Anne Martin"]
    with pytest.raises(ValueError):
        again.enroll("Zero", [0.0, 0.0, 0.0], model="m")


def test_enroll_from_session_takes_only_agenda_names(tmp_path: Path):
    lib = VoiceLibrary(tmp_path / "voices.sqlite")
    speakers = (
        Speaker("S1", "Anne Martin", seconds=12, source="agenda"),
        Speaker("S2", "Intervenant 1", source="unnamed"),
        Speaker("S3", "Marc Leroy", source="voiceprint"),
    )
    dia = Diarization(
        turns=(Turn(0, 1, "S1"),),
        engine="embedded/campplus",
        centroids={"S1": [1.0, 0.0], "S2": [0.0, 1.0], "S3": [0.5, 0.5]},
    )
    assert enroll_from_session(lib, speakers, dia, session="conseil-2025") == ["Anne Martin"]
    assert enroll_from_session(lib, speakers, dia, session="conseil-2025") == ["Anne Martin"]  # a re-run
    assert [(v.name, v.model, v.prints, v.seconds) for v in lib.list()] == [
        ("Anne Martin", "embedded/campplus", 1, 12.0)
    ]
    enroll_from_session(lib, speakers, dia, session="conseil-2026")
    assert lib.list()[0].prints == 2


def clip(path: Path, text: str, voice: str, pitch: int, speed: int) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(path), text], check=True)
    return path


@pytest.mark.slow
def test_voiceprints_from_clips_recognise_the_same_voice(tmp_path: Path):
    anne = ("fr+f2", 62, 168)
    paul = ("fr+m1", 38, 150)
    a1 = clip(tmp_path / "a1.wav", "Bonjour à tous, la séance est ouverte et je donne la parole au rapporteur.", *anne)
    a2 = clip(tmp_path / "a2.wav", "Nous passons maintenant au vote sur le budget de la communauté.", *anne)
    p1 = clip(tmp_path / "p1.wav", "Merci madame la présidente, les ateliers ont réuni beaucoup de monde.", *paul)
    p2 = clip(tmp_path / "p2.wav", "Les transports et le logement reviennent dans toutes les discussions.", *paul)
    lib = VoiceLibrary(tmp_path / "voices.sqlite")
    vec, model, seconds = embed_clips([a1])
    assert model == "embedded/campplus" and 2.0 < seconds < 8.0 and abs(np.linalg.norm(vec) - 1) < 1e-5
    lib.enroll("Anne Martin", vec, model=model, seconds=seconds)
    vec, model, seconds = embed_clips([p1])
    lib.enroll("Paul Durand", vec, model=model, seconds=seconds)
    assert lib.match(embed_clips([a2])[0], model=model)[0] == "Anne Martin"
    query = embed_clips([p2])[0]
    known = lib.voices(model)
    assert float(query @ known["Paul Durand"]) > float(query @ known["Anne Martin"]) + 0.1
    assert lib.match(query, model=model)[0] == "Paul Durand"


@pytest.mark.slow
def test_clip_without_speech_is_one_clear_error(tmp_path: Path):
    silent = tmp_path / "silence.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", str(silent)], check=True
    )
    with pytest.raises(AudioError, match="no speech"):
        embed_clips([silent])
