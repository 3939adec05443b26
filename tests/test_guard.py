"""Hallucination guard: nothing written over silence, noise, applause, music or tones; no loops."""

import random

import numpy as np
import pytest

from restitution.audio import read
from restitution.options import ASROptions
from restitution.transcribe import transcribe
from restitution.transcribe.guard import clean, compression_ratio
from restitution.types import Segment, Transcript, Word
from synth import noise_section, speak

SR = 16000


def seg(start, text):
    return Segment(start, start + 2.0, text, (Word(start, start + 2.0, text, 0.9),))


def transcript(*segments):
    return Transcript(tuple(segments), "fr", 1.0, 60.0)


def test_phantom_credits_are_dropped_but_real_sentences_stay():
    t = clean(
        transcript(
            seg(0, "Bonjour à tous."),
            seg(3, "Sous-titres réalisés par la communauté d'Amara.org"),
            seg(6, "Merci d'avoir regardé cette vidéo !"),
            seg(
                9, "Nous avons parlé des sous-titres pour les personnes sourdes dans les lieux culturels du territoire."
            ),
        )
    )
    assert [s.text for s in t.segments] == [
        "Bonjour à tous.",
        "Nous avons parlé des sous-titres pour les personnes sourdes dans les lieux culturels du territoire.",
    ]


def test_a_looping_window_is_dropped():
    loop = "de la présentation " * 12
    assert compression_ratio(loop) > 2.4
    t = clean(transcript(seg(0, "Bonjour."), seg(3, loop)))
    assert [s.text for s in t.segments] == ["Bonjour."]


def test_a_line_repeated_in_a_row_is_kept_at_most_twice():
    t = clean(transcript(*[seg(i * 3, "Merci.") for i in range(6)], seg(20, "Au revoir.")))
    assert [s.text for s in t.segments] == ["Merci.", "Merci.", "Au revoir."]


@pytest.mark.slow
def test_no_text_over_silence_noise_applause_music_and_tones(tmp_path):
    """Real Whisper base on speech, then a minute of non-speech, then speech."""
    speak(tmp_path / "a.wav", "Bonjour à tous, nous allons commencer la restitution de l'atelier.")
    speak(tmp_path / "b.wav", "Merci beaucoup pour cette présentation, je laisse la parole à la salle.")
    a, b = read(tmp_path / "a.wav"), read(tmp_path / "b.wav")
    rng = random.Random(3)
    g = np.random.default_rng(3)
    t = np.arange(SR * 10) / SR
    gap = [
        np.zeros(SR * 15, np.float32),
        noise_section(rng, "applause", 10, SR),
        noise_section(rng, "music", 12, SR),
        (0.05 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
        g.normal(0, 0.02, SR * 10).astype(np.float32),
    ]
    audio = np.concatenate([a, *gap, b])
    quiet_from, quiet_to = len(a) / SR + 0.5, (len(audio) - len(b)) / SR - 0.5
    result = clean(transcribe(audio, ASROptions(), "fr"))  # as the pipeline runs it
    words = [w for s in result.segments for w in s.words]
    assert words, "the speech itself must be transcribed"
    inside = [w for w in words if quiet_from < (w.start + w.end) / 2 < quiet_to]
    assert not inside, inside
    texts = [s.text for s in result.segments]
    assert all(texts.count(x) <= 2 for x in texts)
