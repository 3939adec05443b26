"""Long recordings are decoded in bounded groups of speech, cut in pauses."""

import numpy as np
import pytest

from restitution.audio import read
from restitution.options import ASROptions
from restitution.speech import detect
from restitution.transcribe import base, transcribe

SR = 16000


@pytest.mark.slow
def test_groups_are_bounded_and_cover_all_speech(short_french_wav):
    voice = read(short_french_wav)
    audio = np.concatenate([voice, np.zeros(3 * SR, np.float32), voice, np.zeros(3 * SR, np.float32), voice])
    speech = detect(audio)
    chunks = base.speech_chunks(audio, speech)
    assert len(chunks) == 3
    groups = base.speech_groups(audio, speech, group_seconds=len(voice) / SR + 1.0)
    assert [len(g) for g in groups] == [1, 1, 1]
    assert [c for g in groups for c in g] == chunks
    one = base.speech_groups(audio, speech, group_seconds=600)
    assert len(one) == 1


def test_a_chunk_longer_than_a_group_is_split():
    groups = base.speech_groups(np.zeros(10 * SR, np.float32), None, group_seconds=4)
    assert [(c["start"], c["end"]) for g in groups for c in g] == [(0, 4 * SR), (4 * SR, 8 * SR), (8 * SR, 10 * SR)]


@pytest.mark.slow
def test_transcribing_in_groups_keeps_recording_times(short_french_wav, monkeypatch):
    voice = read(short_french_wav)
    gap = np.zeros(5 * SR, np.float32)
    audio = np.concatenate([voice, gap, voice])
    second = (len(voice) + len(gap)) / SR
    monkeypatch.setattr(base, "GROUP_SECONDS", len(voice) / SR + 1.0)
    assert len(base.speech_groups(audio, detect(audio))) == 2  # the engine will decode two groups
    t = transcribe(audio, ASROptions(), "fr")
    starts = [w.start for s in t.segments for w in s.words]
    assert any(s < len(voice) / SR for s in starts) and any(s >= second - 0.5 for s in starts)
    assert starts == sorted(starts)
