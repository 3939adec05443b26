"""The experimental batched path (`asr.batch_size > 0`): clips of the speech map decoded side by side
at temperature 0, then each clip that fails Whisper's checks decoded again, alone, at higher
temperatures, its times put back where the clip is."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from restitution import audio as audio_io
from restitution.options import ASROptions
from restitution.speech import detect
from restitution.transcribe.base import JoinedSpeech, speech_groups
from restitution.transcribe.faster_whisper import _shifted


def test_a_segment_decoded_alone_moves_with_its_words() -> None:
    from faster_whisper.transcribe import Segment, Word

    seg = Segment(0, 0, 1.0, 2.5, " Bonjour", [1], -0.2, 1.1, 0.01, [Word(1.0, 1.4, " Bon", 0.9)], 0.2)
    moved = _shifted(seg, 30.0)
    assert (moved.start, moved.end, moved.text) == (31.0, 32.5, " Bonjour")
    assert moved.words == [Word(31.0, 31.4, " Bon", 0.9)]
    assert seg.start == 1.0, "the original is left as it was"


@pytest.mark.slow
def test_a_failed_clip_is_decoded_again_and_a_good_one_is_kept(short_french_wav: Path, caplog) -> None:
    from restitution.transcribe import get_transcriber

    audio = audio_io.read(short_french_wav)
    speech = detect(audio)
    (group,) = speech_groups(audio, speech)
    joined = JoinedSpeech(audio, group, speech)
    transcriber = get_transcriber(ASROptions(batch_size=8))
    raw, _ = transcriber.pipeline.transcribe(  # type: ignore[attr-defined]
        joined.audio, language="fr", batch_size=8, vad_filter=False, clip_timestamps=joined.clips(), beam_size=5,
        word_timestamps=True,
    )  # fmt: skip
    batched = list(raw)
    assert batched and all(seg.temperature == 0.0 for seg in batched)
    kept = transcriber._retry_failed(batched, joined, "fr")  # type: ignore[attr-defined]
    assert kept == batched, "a clip that passes the checks keeps its batched result"

    unlikely = [dataclasses.replace(seg, avg_logprob=-5.0, no_speech_prob=0.0) for seg in batched]
    with caplog.at_level(logging.INFO, logger="restitution"):
        again = transcriber._retry_failed(unlikely, joined, "fr")  # type: ignore[attr-defined]
    assert "1 of 1 clips decoded again" in caplog.text
    assert again and all(seg.temperature >= 0.2 for seg in again), "decoded again from temperature 0.2"
    end = len(joined.audio) / 16000
    words = [w for seg in again for w in seg.words]
    assert words and all(0.0 <= w.start <= w.end <= end + 0.05 for w in words)
    assert "restitution" in "".join(w.word for w in words).lower()


@pytest.mark.slow
def test_the_batched_path_with_its_fallback_transcribes(short_french_wav: Path) -> None:
    from restitution.transcribe import transcribe

    audio = audio_io.read(short_french_wav)
    transcript = transcribe(audio, ASROptions(batch_size=8), "fr")
    assert "batch 8" in transcript.engine
    text = " ".join(s.text for s in transcript.segments).lower()
    assert "bonjour" in text and "restitution" in text
    times = [(w.start, w.end) for s in transcript.segments for w in s.words]
    assert times == sorted(times) and all(0 <= a <= b <= transcript.duration for a, b in times)
