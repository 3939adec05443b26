"""The transcription stage on real models and real (espeak-ng or shared) speech."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from restitution.errors import ConfigError
from restitution.options import ASROptions
from restitution.transcribe import ENGINES, check, get_transcriber, transcribe
from restitution.types import Transcript

SR = 16000
FRENCH = (
    "Bonjour à tous et merci d'être venus si nombreux ce matin. Nous allons commencer la séance par une "
    "présentation des ateliers, puis nous laisserons la parole au public."
)
ENGLISH = "Good morning everyone. Today we will talk about the budget of the public library and the new reading room."
FAST = ASROptions(threads=1)


def decode(path: Path) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ar", str(SR), "-ac", "1", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, np.float32).copy()


def espeak(tmp: Path, text: str, voice: str) -> np.ndarray:
    wav = tmp / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), text], check=True)
    return decode(wav)


@pytest.fixture(scope="module")
def french(tmp_path_factory) -> np.ndarray:
    """The French sentence with 1.5 s of silence before it, which the VAD must cut and restore."""
    speech = espeak(tmp_path_factory.mktemp("fr"), FRENCH, "fr+m3")
    return np.concatenate([np.zeros(int(1.5 * SR), np.float32), speech, np.zeros(SR // 2, np.float32)])


def words_of(transcript: Transcript) -> list[str]:
    return [w.text.strip(" ,.").lower() for s in transcript.segments for w in s.words]


def assert_invariants(t: Transcript) -> None:
    assert t.segments, "no speech recognised"
    previous_word_end, previous_segment_start = 0.0, 0.0
    for s in t.segments:
        assert 0.0 <= s.start <= s.end <= t.duration
        assert s.start >= previous_segment_start
        previous_segment_start = s.start
        assert s.words and s.start == s.words[0].start and s.end == s.words[-1].end
        for w in s.words:
            assert previous_word_end <= w.start <= w.end <= t.duration, w
            assert 0.0 <= w.probability <= 1.0
            previous_word_end = w.end


@pytest.mark.slow
def test_faster_whisper_french_words_in_order_and_language_detected(french):
    calls = []
    t = transcribe(french, FAST, None, hook=lambda step, artifact=None, **kw: calls.append((step, kw)))
    assert t.language == "fr" and 0.3 < t.language_probability <= 1.0
    assert t.duration == pytest.approx(len(french) / SR)
    assert t.engine.startswith("faster-whisper") and " int8" in t.engine
    words = words_of(t)
    # espeak-ng is hard on a base model: most, not all, content words must come through.
    assert (
        len({"bonjour", "merci", "matin", "séance", "présentation", "ateliers", "parole", "public"} & set(words)) >= 5
    ), words
    assert_invariants(t)
    # Times are back on the recording's clock after the VAD cut the leading silence.
    assert t.segments[0].words[0].start >= 1.0
    # Loading the model is a step of its own; then decoding reports seconds of audio, in order.
    assert calls[0][0] == "load model" and {step for step, _ in calls} <= {"load model", "speech", "transcribe"}
    progress = [kw for step, kw in calls if step == "transcribe"]
    done = [kw["completed"] for kw in progress]
    assert done == sorted(done) and done[-1] == progress[-1]["total"] == pytest.approx(t.duration)


@pytest.mark.slow
def test_forced_language_and_memmap_input(french, tmp_path):
    path = tmp_path / "audio.f32"
    french.tofile(path)
    audio = np.memmap(path, dtype=np.float32, mode="r")
    t = transcribe(audio, FAST, "fr")
    assert t.language == "fr" and t.language_probability == 1.0
    assert "bonjour" in words_of(t)


@pytest.mark.slow
def test_silence_gives_an_empty_transcript():
    t = transcribe(np.zeros(3 * SR, np.float32), FAST, "fr")
    assert t.segments == () and t.duration == 3.0


@pytest.mark.slow
def test_model_is_loaded_once_per_process():
    assert get_transcriber(FAST) is get_transcriber(FAST)
    # A session's own decoding settings reuse the weights; only what loads them loads again.
    other_beam = get_transcriber(dataclasses.replace(FAST, beam_size=FAST.beam_size + 1, vad_filter=False))
    assert other_beam.model is get_transcriber(FAST).model and other_beam.options.beam_size == FAST.beam_size + 1


@pytest.mark.slow
def test_the_decoder_runs_with_its_own_threads_whatever_the_launcher_set(monkeypatch):
    from restitution.transcribe.faster_whisper import FasterWhisper

    # A Dask worker starts with MKL_NUM_THREADS=1; CTranslate2's MKL would take it over ours.
    monkeypatch.setenv("MKL_NUM_THREADS", "1")
    FasterWhisper(dataclasses.replace(FAST, threads=2))
    assert os.environ["MKL_NUM_THREADS"] == "2"


def test_unknown_engine_lists_the_valid_ones():
    with pytest.raises(ConfigError) as e:
        transcribe(np.zeros(SR, np.float32), ASROptions(engine="whisper.cpp"), "fr")
    assert "whisper.cpp" in str(e.value) and all(name in str(e.value) for name in ENGINES)


@pytest.mark.parametrize(
    "options, named",
    [
        (ASROptions(engine="openai-whisper", compute_type="int8"), "compute_type"),
        (ASROptions(engine="openai-whisper", batch_size=8), "batch_size"),
        (ASROptions(compute_type="float16x"), "compute_type"),
        (
            ASROptions(batch_size=8, temperature_fallback=False, condition_on_previous_text=True),
            "condition_on_previous_text",
        ),
        (ASROptions(batch_size=8, temperature_fallback=False, vad_filter=False), "vad_filter"),
    ],
)
def test_an_option_the_engine_lacks_is_an_error_naming_it(options, named):
    with pytest.raises(ConfigError, match=named):
        check(options)
    with pytest.raises(ConfigError, match=named):
        transcribe(np.zeros(SR, np.float32), options, "fr")


def test_options_each_engine_has_pass_the_check():
    check(ASROptions(engine="openai-whisper"))  # "auto" is float32 there
    check(ASROptions(engine="openai-whisper", compute_type="float32", beam_size=1, condition_on_previous_text=True))
    check(ASROptions(batch_size=8, temperature_fallback=False))
    check(ASROptions(batch_size=8))  # the fallback then applies per clip


# Parity (issue 3): same weights, greedy decoding, both engines give the same text and word times.


def parity_clips(tmp_path_factory) -> list[tuple[str, np.ndarray, str]]:
    shared = Path(__file__).resolve().parents[2] / "shared" / "eval"
    if shared.is_dir():
        return [
            ("jfk_en", decode(shared / "jfk_en" / "jfk.flac"), "en"),
            ("fleurs_fr", decode(shared / "fleurs_fr" / "fleurs-fr-000.ogg"), "fr"),
        ]
    # Without ../shared a synthesized clip takes the same path (VAD, both decoders, alignment).
    return [("espeak_en", espeak(tmp_path_factory.mktemp("en"), ENGLISH, "en-us"), "en")]


@pytest.mark.slow
def test_engines_agree_with_greedy_decoding_on_the_same_weights(tmp_path_factory):
    pytest.importorskip("whisper", reason="openai-whisper (extra `openai`) is not installed")
    greedy = dict(beam_size=1, threads=1, temperature_fallback=False)
    for name, audio, lang in parity_clips(tmp_path_factory):
        fast = transcribe(audio, ASROptions(engine="faster-whisper", compute_type="float32", **greedy), lang)
        ref = transcribe(audio, ASROptions(engine="openai-whisper", **greedy), lang)
        assert ref.engine.startswith("openai-whisper")
        assert_invariants(ref)
        assert [s.text for s in fast.segments] == [s.text for s in ref.segments], name
        fw = [w for s in fast.segments for w in s.words]
        rw = [w for s in ref.segments for w in s.words]
        assert [w.text for w in fw] == [w.text for w in rw], name
        gap = np.mean([(abs(a.start - b.start) + abs(a.end - b.end)) / 2 for a, b in zip(fw, rw)])
        assert gap < 0.2, (name, gap)


@pytest.mark.slow
def test_openai_whisper_detects_language(french):
    pytest.importorskip("whisper", reason="openai-whisper (extra `openai`) is not installed")
    t = transcribe(
        french, ASROptions(engine="openai-whisper", threads=1, beam_size=1, temperature_fallback=False), None
    )
    assert t.language == "fr" and t.language_probability > 0.3
    assert "bonjour" in words_of(t)
    assert_invariants(t)
    assert t.segments[0].words[0].start >= 1.0
