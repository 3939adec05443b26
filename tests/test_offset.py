"""Offset estimation: hand-built transcripts and diarizations with a known late start, and a
reference copy shifted by a known amount."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest

from restitution import offset as offset_mod
from restitution.options import OffsetOptions
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Diarization, Segment, Transcript, Turn, Word

FILLER = "alors nous avons travaillé pendant plusieurs semaines sur les questions posées ensemble".split()
NAMES = ["Anne Le Gall", "Yves-Armel Martin", "Quentin Rioual", "Manon Picard", "Pierre Beffeyte"]
TITLES = ["Introduction", "Présentation de la méthode", "Économie circulaire", "Création numérique", "Données"]


def build(offset: float, times=(0, 95, 214, 347, 482), duration=600.0, seed=0, cues=True, diarize=True):
    """A session heard from `offset` s after it began: words, turns, and an agenda."""
    rng = np.random.default_rng(seed)
    starts = [max(0.0, t - offset) for t in times]
    items = tuple(
        AgendaItem(time=float(t), title=TITLES[i], speakers=(AgendaSpeaker(NAMES[i]),), line=i + 3)
        for i, t in enumerate(times)
    )
    segments, turns = [], []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else duration
        words, now, speaker = [], start, f"S{i + 1}"
        if cues and i + 1 < len(starts):
            # The chair hands over a few seconds before the next item starts.
            intro = f"merci je laisse la parole à {NAMES[i + 1]}".split()
            intro_at = end - 0.8 - 0.4 * len(intro) - 1.0
        turn_start = now
        while now < end - 1.5:
            if cues and i + 1 < len(starts) and now >= intro_at:
                for text in intro:
                    words.append(Word(now, now + 0.3, " " + text, 0.9))
                    now += 0.4
                break
            words.append(Word(now, now + 0.3, " " + FILLER[int(rng.integers(len(FILLER)))], 0.9))
            now += 0.35
            if rng.random() < 0.12:
                now += float(rng.uniform(0.3, 0.9))  # ordinary breaths and hesitations
            if diarize and rng.random() < 0.005 and now < end - 20:
                # A question from the floor: another voice inside the item.
                turns.append(Turn(turn_start, now, f"S{i + 1}"))
                turns.append(Turn(now + 0.4, now + 4.0, "S9"))
                now += 4.4
                turn_start = now
        turns.append(Turn(turn_start, words[-1].end if words else end, speaker))
        for k in range(0, len(words), 12):
            chunk = tuple(words[k : k + 12])
            segments.append(Segment(chunk[0].start, chunk[-1].end, "".join(w.text for w in chunk), chunk))
    transcript = Transcript(tuple(segments), "fr", 1.0, duration)
    diarization = Diarization(tuple(turns)) if diarize else None
    return Agenda(items, source="agenda.txt"), transcript, diarization, starts


@pytest.mark.parametrize("true_offset", [2.0, 23.4, 59.0, -12.0])
def test_known_offset_is_found(true_offset):
    agenda, transcript, diarization, _ = build(true_offset)
    result = offset_mod.estimate(agenda, transcript, diarization, 600.0, OffsetOptions())
    assert result.method == "auto"
    assert abs(result.seconds - true_offset) <= 0.5
    assert result.confidence is not None and result.confidence >= 0.5
    assert result.disagreeing == ()


def test_without_diarization_cues_and_pauses_suffice():
    agenda, transcript, _, _ = build(31.0, seed=3)
    result = offset_mod.estimate(agenda, transcript, None, 600.0, OffsetOptions())
    assert abs(result.seconds - 31.0) <= 1.0


@pytest.mark.parametrize(("seed", "shift"), [(2, 45.0), (3, -40.0), (4, 60.0)])
def test_one_wrong_agenda_time_does_not_drag_the_estimate(caplog, seed, shift):
    agenda, transcript, diarization, _ = build(17.0, seed=seed)
    wrong = list(agenda.items)
    wrong[2] = AgendaItem(wrong[2].time + shift, wrong[2].title, wrong[2].speakers, wrong[2].line)
    agenda = Agenda(tuple(wrong), agenda.source)
    result = offset_mod.estimate(agenda, transcript, diarization, 600.0, OffsetOptions(min_confidence=0.99))
    assert abs(result.seconds - 17.0) <= 0.5
    assert result.disagreeing == (3,)
    assert "item 3 (line 5" in caplog.text


def test_no_evidence_gives_low_confidence_and_a_warning(caplog):
    # One voice, evenly spaced words, no pauses, no names: nothing to line up with.
    words = tuple(Word(k * 0.4, k * 0.4 + 0.35, " mot", 0.9) for k in range(1500))
    transcript = Transcript(tuple(Segment(w.start, w.end, w.text, (w,)) for w in words), "fr", 1.0, 600.0)
    agenda = Agenda(tuple(AgendaItem(float(t), f"Partie {k}", (), k + 3) for k, t in enumerate((0, 95, 214, 347))))
    with caplog.at_level(logging.WARNING, logger="restitution"):
        result = offset_mod.estimate(agenda, transcript, None, 600.0, OffsetOptions())
    assert result.confidence is not None and result.confidence < 0.5
    assert "low confidence" in caplog.text


def test_search_is_bounded():
    agenda, transcript, diarization, _ = build(80.0)
    result = offset_mod.estimate(agenda, transcript, diarization, 600.0, OffsetOptions(search_min=-5, search_max=40))
    assert -5 <= result.seconds <= 40


def test_agenda_without_later_items_assumes_no_offset(caplog):
    agenda = Agenda((AgendaItem(0.0, "Tout", ()),))
    transcript = Transcript((), "fr", 1.0, 60.0)
    result = offset_mod.estimate(agenda, transcript, None, 60.0, OffsetOptions())
    assert (result.seconds, result.confidence) == (0.0, 0.0)
    assert "no agenda item after the start" in caplog.text


def test_speaker_changes_ignore_backchannels_and_weigh_long_runs():
    from restitution.evidence import speaker_changes

    turns = (Turn(0, 10, "A"), Turn(3, 4, "B"), Turn(9.5, 12, "B"), Turn(12.3, 30, "B"), Turn(30.5, 31, "A"))
    times, strengths = speaker_changes(Diarization(turns))
    assert times.tolist() == [9.5, 30.5]
    assert strengths[0] == 1.0 and strengths[1] < 0.5


def test_manual_and_none():
    assert offset_mod.manual(12).to_dict() == {
        "seconds": 12.0,
        "method": "manual",
        "confidence": None,
        "disagreeing": [],
    }
    assert offset_mod.none().seconds == 0.0


# --- Reference copy -------------------------------------------------------------------------------


def _speech(tmp_path: Path, text: str, voice: str, name: str) -> Path:
    wav = tmp_path / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
    return wav


def _decode(path: Path) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32)


@pytest.fixture(scope="module")
def session_audio(tmp_path_factory) -> tuple[np.ndarray, Path]:
    """About 50 s of two voices with silences between sentences, as a 16 kHz array."""
    tmp = tmp_path_factory.mktemp("ref")
    sentences = [
        ("fr", "Bonjour à toutes et à tous, nous ouvrons la séance de restitution des ateliers."),
        ("fr+f3", "Merci. Notre atelier a travaillé sur l'économie circulaire dans les lieux culturels."),
        ("fr", "Je laisse maintenant la parole à Manon Picard pour la création numérique."),
        ("fr+f3", "Nous avons réuni des artistes, des techniciens et des producteurs pendant trois jours."),
        ("fr", "Les questions de données sont revenues souvent dans les échanges avec le public."),
        ("fr+f3", "Pour conclure, nous proposons trois pistes de travail pour l'année prochaine."),
    ]
    pieces = []
    for k, (voice, text) in enumerate(sentences):
        pieces.append(_decode(_speech(tmp, text, voice, f"s{k}")))
        pieces.append(np.zeros(int(16000 * (0.6 + 0.3 * k)), np.float32))
    return np.concatenate(pieces), tmp


@pytest.mark.slow
@pytest.mark.parametrize("shift", [7.3, 0.0])
def test_reference_copy_offset_within_a_tenth(session_audio, shift):
    audio, tmp = session_audio
    rng = np.random.default_rng(5)
    # The reference began `shift` s earlier (a livestream replay), was mixed with room noise and
    # re-encoded to MP3; the recording is our array.
    lead_in = (0.02 * rng.standard_normal(int(16000 * shift))).astype(np.float32)
    ref = np.concatenate([lead_in, audio, np.zeros(16000 * 3, np.float32)])
    ref = ref + (0.003 * rng.standard_normal(ref.size)).astype(np.float32)
    raw = tmp / f"ref-{shift}.f32"
    ref.astype(np.float32).tofile(raw)
    mp3 = tmp / f"ref-{shift}.mp3"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", str(raw),
         "-ar", "44100", "-b:a", "96k", str(mp3)],
        check=True,
    )  # fmt: skip
    result = offset_mod.from_reference(audio, mp3, options=OffsetOptions(search_min=-5, search_max=60))
    assert result.method == "reference"
    assert abs(result.seconds - shift) <= 0.1
    assert result.confidence is not None and result.confidence >= 0.5


@pytest.mark.slow
def test_unrelated_reference_has_low_confidence(session_audio, tmp_path):
    audio, _ = session_audio
    other = _speech(
        tmp_path, "Ceci est un tout autre enregistrement, sans rapport avec la séance. " * 14, "en", "other"
    )
    result = offset_mod.from_reference(audio, other, options=OffsetOptions(search_min=-5, search_max=20))
    assert result.confidence is not None and result.confidence < 0.5


# --- End to end: a synthesized session, real faster-whisper and diarization ------------------------


@pytest.fixture(scope="module")
def heard(synth_session):
    """The conftest session (3 items, 3 voices, 3 s late) transcribed and diarized for real."""
    from restitution import audio
    from restitution.diarize import diarize
    from restitution.options import ASROptions, DiarizationOptions
    from restitution.transcribe import transcribe

    samples = audio.read(synth_session.recording)
    transcript = transcribe(samples, ASROptions(), language="fr")
    diarization = diarize(samples, DiarizationOptions(), min_speakers_hint=3)
    return synth_session, transcript, diarization


@pytest.mark.slow
@pytest.mark.parametrize("with_diarization", [True, False])
def test_synthesized_session_offset_and_chapters(heard, with_diarization):
    from restitution import agenda as agenda_mod
    from restitution.chapters import cut

    session, transcript, diarization = heard
    truth = session.truth
    agenda = agenda_mod.parse(session.agenda)
    diarization = diarization if with_diarization else None
    found = offset_mod.estimate(agenda, transcript, diarization, truth.duration, OffsetOptions())
    if not with_diarization and found.confidence is not None and found.confidence < OffsetOptions().min_confidence:
        # From words alone a 50 s session may be undecidable (Whisper base skips some espeak
        # voices entirely); then the estimate must say so rather than be confidently wrong.
        return
    assert abs(found.seconds - truth.offset) <= 1.0, found
    chapters = cut(agenda, found, transcript, diarization, truth.duration)
    assert [c.title for c in chapters] == [item.title for item in truth.items]
    for chapter, item in zip(chapters, truth.items):
        assert abs(chapter.start - item.start) <= 2.0, (chapter, item)
        assert not any(s.start < chapter.start < s.end for s in truth.sentences), chapter


@pytest.mark.slow
def test_missing_reference_is_a_one_line_error(session_audio, tmp_path):
    from restitution.errors import AudioError

    audio, _ = session_audio
    with pytest.raises(AudioError) as caught:
        offset_mod.from_reference(audio, tmp_path / "-absent replay.mp3")
    assert "-absent replay.mp3" in str(caught.value) and "\n" not in str(caught.value)


# --- Items past the end: one item never explains a huge offset -------------------------------------


def _one_voice(duration: float, silences: list[tuple[float, float]]) -> Transcript:
    """A single voice talking over [0.2, duration] except in `silences`."""
    words, now = [], 0.2
    while now < duration - 0.3:
        gap = next((s for s in silences if s[0] <= now < s[1]), None)
        if gap:
            now = gap[1]
            continue
        words.append(Word(now, now + 0.3, " mot", 0.9))
        now += 0.35
    return Transcript(tuple(Segment(w.start, w.end, w.text, (w,)) for w in words), "fr", 1.0, duration)


def test_a_lone_item_never_explains_a_huge_offset(caplog):
    # A one-minute clip: a pause ending at 5 s, where item 2 (00:00:05) starts, and a longer one
    # ending at 50 s that item 3 (00:10:40) alone would match with an offset of 590 s.
    transcript = _one_voice(60.0, [(3.6, 5.0), (48.0, 50.0)])
    items = (AgendaItem(0.0, "Accueil", (), 1), AgendaItem(5.0, "Suite", (), 2), AgendaItem(640.0, "Clôture", (), 3))
    agenda = Agenda(items, "agenda.txt")
    found = offset_mod.estimate(agenda, transcript, None, 60.0, OffsetOptions())
    assert abs(found.seconds) <= 0.5, found
    assert (
        "offset: 590.0 s, supported by item 3 (line 3, 'Clôture') alone, is further than a single item may place it"
        " (60 s for a 60 s recording); taking 0.0 s instead"
    ) in caplog.text
    # Two items agreeing may place a late start far beyond the recording's length.
    transcript = _one_voice(11.0, [(1.0, 3.0), (6.0, 8.0)])
    agenda = Agenda((AgendaItem(0.0, "Accueil"), AgendaItem(600.0, "A"), AgendaItem(605.0, "B")))
    found = offset_mod.estimate(agenda, transcript, None, 11.0, OffsetOptions())
    assert abs(found.seconds - 597.0) <= 0.5, found


@pytest.mark.parametrize(
    ("times", "duration", "search", "latest"),
    [
        ((0, 600), 11.0, OffsetOptions(), 30.0),  # one item alone: within 30 s, or the recording's length
        ((0, 5, 600), 11.0, OffsetOptions(), 30.0),
        ((0, 300, 305), 11.0, OffsetOptions(), 300.0),  # two items inside together at offsets up to 300 s
        ((0, 95, 214), 600.0, OffsetOptions(), 600.0),
        ((0, 95, 214), 600.0, OffsetOptions(search_max=40.0), 40.0),
    ],
)
def test_latest_plausible_offset(times, duration, search, latest):
    agenda = Agenda(tuple(AgendaItem(float(t), f"item {t}") for t in times))
    assert offset_mod.latest_plausible(agenda, duration, search) == latest
