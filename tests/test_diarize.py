"""Diarization on real models: espeak-ng French voices taking turns, with a known truth."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from restitution.diarize import diarize
from restitution.errors import ConfigError
from restitution.options import DiarizationOptions

RATE = 16000
VOICES = [("fr+m1", 38, 150), ("fr+f2", 62, 168), ("fr+m3", 52, 178)]
LINES = [
    "Bonjour à tous, nous allons commencer la séance de ce matin avec un point sur le budget.",
    "Merci monsieur le président, je voudrais revenir sur les chiffres de l'année dernière.",
    "Les ateliers ont réuni plus de cent participants venus de toute la région.",
    "Nous avons entendu beaucoup de propositions sur les transports et le logement.",
    "Il faudra en tenir compte dans le prochain plan d'action, sans attendre la rentrée.",
    "Je propose que nous passions maintenant aux questions de la salle.",
    "La commission se réunira de nouveau au mois de mars pour examiner le rapport.",
    "Chacun pourra consulter les documents sur le site de la communauté de communes.",
    "Les associations ont demandé davantage de moyens pour l'accueil des jeunes.",
    "Nous terminerons par un vote sur la délibération numéro douze.",
    "Le rapport annuel sera publié avant la fin du mois, avec toutes les annexes.",
    "Je remercie les services techniques pour la préparation de cette réunion publique.",
]


def say(text: str, voice: tuple[str, int, int]) -> np.ndarray:
    """espeak-ng speech as 16 kHz mono float32."""
    name, pitch, speed = voice
    wav = subprocess.run(
        ["espeak-ng", "-v", name, "-p", str(pitch), "-s", str(speed), "--stdout", text], check=True, capture_output=True
    ).stdout
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "-", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(pcm, dtype="<f4").copy()


def conversation(order: list[int], gap: float = 0.4) -> tuple[np.ndarray, list[tuple[float, float, int]]]:
    """Voices speak LINES in `order`; returns audio and the true (start, end, voice) turns."""
    rng = np.random.default_rng(0)
    parts, truth, t = [np.zeros(int(0.5 * RATE), np.float32)], [], 0.5
    for i, v in enumerate(order):
        x = say(LINES[i % len(LINES)], VOICES[v])
        nz = np.flatnonzero(np.abs(x) > 1e-3)
        x = x[nz[0] : nz[-1] + 1]
        truth.append((t, t + len(x) / RATE, v))
        parts += [x, np.zeros(int(gap * RATE), np.float32)]
        t += len(x) / RATE + gap
    audio = np.concatenate(parts)
    audio += rng.normal(0, 0.002, len(audio)).astype(np.float32)  # room noise, so silence is not digital zero
    return audio.astype(np.float32), truth


def frame_der(truth, turns, duration: float, step: float = 0.01, collar: float = 0.25) -> float:
    """NIST-style DER on 10 ms frames (overlaps allowed on both sides): per frame,
    max(#reference, #hypothesis) - #correct under the best one-to-one label mapping, outside a
    collar around reference boundaries, over the reference speech."""
    n = int(duration / step) + 2
    ref_labels = sorted({r[2] for r in truth}, key=str)
    hyp_labels = sorted({t.speaker for t in turns})
    ref = np.zeros((len(ref_labels), n), bool)
    hyp = np.zeros((max(1, len(hyp_labels)), n), bool)
    scored = np.ones(n, bool)
    for s, e, who in truth:
        ref[ref_labels.index(who), int(round(s / step)) : int(round(e / step))] = True
        for b in (s, e):
            scored[max(0, int((b - collar) / step)) : int((b + collar) / step)] = False
    for t in turns:
        hyp[hyp_labels.index(t.speaker), int(round(t.start / step)) : int(round(t.end / step))] = True
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = ref.astype(float) @ hyp.T.astype(float)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    correct = sum(overlap[r, c] for r, c in zip(rows, cols))
    errors = np.maximum(ref.sum(0), hyp.sum(0)).sum() - correct
    return float(errors / max(1, ref.sum()))


@pytest.fixture(scope="module")
def three_voices():
    return conversation([0, 1, 2, 0, 2, 1, 0, 1, 2, 1, 0, 2])


@pytest.mark.slow
def test_three_voices_found_with_low_error(three_voices):
    audio, truth = three_voices
    calls = []
    result = diarize(audio, DiarizationOptions(), hook=lambda step, artifact=None, **kw: calls.append((step, kw)))
    der = frame_der(truth, result.turns, len(audio) / RATE)
    assert der < 0.10, f"DER {der:.1%}"
    assert {t.speaker for t in result.turns} == {"S1", "S2", "S3"}
    first = list(dict.fromkeys(t.speaker for t in sorted(result.turns, key=lambda t: t.start)))
    assert first == ["S1", "S2", "S3"]  # numbered by first appearance
    assert set(result.centroids) == {"S1", "S2", "S3"}
    assert all(abs(np.linalg.norm(c) - 1) < 1e-3 for c in result.centroids.values())
    assert all(0 <= t.start < t.end <= len(audio) / RATE for t in result.turns)
    assert result.engine == "embedded/campplus"
    done = [kw["completed"] for step, kw in calls]
    assert calls and all(step == "diarize" for step, _ in calls)
    assert done == sorted(done) and done[-1] == pytest.approx(calls[-1][1]["total"])


@pytest.mark.slow
def test_count_prior_and_exact_count(three_voices):
    audio, _ = three_voices
    fewer = diarize(audio, DiarizationOptions(num_speakers=2))
    assert len({t.speaker for t in fewer.turns}) == 2
    # Two voices only, but the agenda names four people: the hint is a floor on the count.
    two, _ = conversation([0, 1, 0, 1, 0, 1])
    floor = diarize(two, DiarizationOptions(), min_speakers_hint=4)
    assert len({t.speaker for t in floor.turns}) >= 3
    free = diarize(two, DiarizationOptions())
    assert len({t.speaker for t in free.turns}) == 2


@pytest.mark.slow
def test_memmap_input_and_none_engine(three_voices, tmp_path: Path):
    audio, truth = three_voices
    raw = tmp_path / "audio.f32"
    audio.astype("<f4").tofile(raw)
    mapped = np.memmap(raw, dtype="<f4", mode="r")
    result = diarize(mapped, DiarizationOptions(engine="none"))
    assert {t.speaker for t in result.turns} == {"S1"}
    speech = sum(e - s for s, e, _ in truth)
    found = sum(t.end - t.start for t in result.turns)
    assert 0.9 * speech < found < 1.2 * speech


@pytest.mark.slow
def test_silence_gives_no_turns():
    quiet = np.random.default_rng(1).normal(0, 0.001, 5 * RATE).astype(np.float32)
    assert diarize(quiet, DiarizationOptions()).turns == ()


def test_unknown_engine_lists_valid_ones():
    with pytest.raises(ConfigError, match="embedded, pyannote, none"):
        diarize(np.zeros(RATE, np.float32), dataclasses.replace(DiarizationOptions(), engine="magic"))


@pytest.mark.slow
def test_real_meeting_mix_under_25_percent(shared_eval: Path):
    """One minute of AMI ES2004 (four people, headset mix, overlaps in the reference)."""
    from restitution import audio as audio_io

    folder = shared_eval / "ami_es2004_mix_4spk_en"
    samples = audio_io.read(folder / "mixture.flac")
    truth = []
    for line in (folder / "mixture.rttm").read_text().splitlines():
        f = line.split()
        truth.append((float(f[3]), float(f[3]) + float(f[4]), f[7]))
    result = diarize(samples, DiarizationOptions())
    der = frame_der(truth, result.turns, len(samples) / RATE)
    assert der < 0.25, f"DER {der:.1%} on the AMI mix"
