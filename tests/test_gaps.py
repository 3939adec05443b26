"""Speech that ends up without words: found as gaps, recorded in session.json, shown as inaudible."""

from __future__ import annotations

import dataclasses
import json
import subprocess

import jsonschema
import numpy as np
import pytest
import soundfile
import webvtt

from restitution import run_session
from restitution.audio import read
from restitution.export import session_json, srt, text, vtt
from restitution.export.html import session_page
from restitution.export.inaudible import INAUDIBLE, with_gaps
from restitution.options import ExportOptions, PipelineOptions, VoiceOptions
from restitution.speech import MIN_GAP, SpeechMap, find_gaps, heard, wordless
from restitution.types import Gap, Session, SessionResult, Turn
from tests.builders import sample_result, seg

SR = 16000


def test_speech_without_words_becomes_a_gap_with_its_speaker():
    # Speech 0-5 s with words, 10-14 s without; the diarization also hears 20-23 s.
    speech = SpeechMap(((0.0, 5.0), (10.0, 14.0)), (), 30.0)
    turns = (Turn(0.0, 5.0, "S1"), Turn(10.0, 14.0, "S2"), Turn(20.0, 23.0, "S1"))
    segments = (seg("Bonjour à tous et bienvenue à cette séance du conseil", 0.5, "S1"),)  # words 0.5-4.46 s
    gaps = find_gaps(speech, turns, segments)
    assert [(g.start, g.end, g.speaker) for g in gaps] == [(10.0, 14.0, "S2"), (20.0, 23.0, "S1")]


def test_words_anywhere_in_a_stretch_leave_only_the_rest_as_a_gap():
    segments = (seg("un deux trois", 2.0, "S1"), seg("quatre cinq", 9.0, "S1"))  # words at 2-3.1 s and 9-9.7 s
    left = wordless([(0.0, 12.0)], segments)
    assert left == [(0.0, 1.7), (3.46, 8.7), (10.06, 12.0)]
    # Stretches shorter than MIN_GAP (a breath, a cough between words) are not gaps.
    assert wordless([(3.2, 3.2 + MIN_GAP * 0.9)], segments) == []


def test_heard_is_the_union_of_the_map_and_the_diarization():
    speech = SpeechMap(((1.0, 4.0), (8.0, 9.0)), (), 20.0)
    assert heard(speech, [Turn(3.0, 6.0, "S1"), Turn(15.0, 16.0, "S2")]) == [(1.0, 6.0), (8.0, 9.0), (15.0, 16.0)]


def _with_gap() -> SessionResult:
    result = sample_result()
    return dataclasses.replace(result, gaps=(Gap(20.0, 26.0, "S2"), Gap(100.0, 104.0, None)))


def test_gaps_are_in_session_json_and_valid_against_the_schema():
    data = json.loads(json.dumps(session_json.to_json(_with_gap())))
    jsonschema.validate(data, session_json.schema())
    assert data["gaps"] == [
        {"start": 20.0, "end": 26.0, "speaker": "S2"},
        {"start": 100.0, "end": 104.0, "speaker": None},
    ]
    assert json.loads(json.dumps(session_json.to_json(sample_result())))["gaps"] == []


def test_every_reader_output_shows_the_inaudible_mark_where_the_gap_is():
    result = _with_gap()
    cues = vtt.cues_for(result, ExportOptions())
    marks = [c for c in cues if c.text == INAUDIBLE]
    assert [c.speaker for c in marks] == ["S2", None]
    assert 20.0 <= marks[0].start < marks[0].end <= 26.0 and 100.0 <= marks[1].start < marks[1].end <= 104.0
    assert f"<v Yves-Armel Martin>{INAUDIBLE}" in vtt.render_vtt(cues, vtt.speaker_names(result))
    prefixes = srt.prefixes(vtt.speaker_names(result), ExportOptions().caption_max_chars)
    assert f"Yves-Armel Martin: {INAUDIBLE}" in srt.render_srt(srt.srt_cues(result, ExportOptions())[0], prefixes)
    assert INAUDIBLE in text.render_txt(result)
    assert "\\[inaudible\\]" in text.render_md(result)  # escaped Markdown, read as [inaudible]
    bodies = [s["body"] for s in text.transcript_json(result)["segments"]]
    assert bodies.count(INAUDIBLE) == 2
    assert session_page(result).count(INAUDIBLE) >= 2  # the transcript and the captions of the page
    # Nothing else moves: the words are all still there, in order.
    assert [s.text for s in with_gaps(result) if s.text != INAUDIBLE] == [s.text for s in result.segments]


def test_no_gap_no_mark():
    result = sample_result()
    assert INAUDIBLE not in text.render_txt(result)
    assert all(c.text != INAUDIBLE for c in vtt.cues_for(result, ExportOptions()))


@pytest.mark.slow
def test_hummed_speech_nobody_can_decode_is_a_gap_and_an_inaudible_cue(tmp_path, short_french_wav):
    # Someone hums between two sentences: the voice detector hears a voice, Whisper finds no word
    # in it, alone or joined; the run records a gap over it and marks it in every reader output.
    voice = read(short_french_wav)
    hum_wav = tmp_path / "hum.wav"
    hum_text = "mmmmmmmmmmmm hmmmmmmmmmmmm mmmmmmmmmmmmm"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(hum_wav), hum_text], check=True)
    hum = read(hum_wav)
    pause = np.zeros(3 * SR, np.float32)
    audio = np.concatenate([voice, pause, hum, pause, voice])
    audio += (np.random.default_rng(0).standard_normal(len(audio)) * 1e-3).astype(np.float32)
    hummed = ((len(voice) + len(pause)) / SR, (len(voice) + len(pause) + len(hum)) / SR)
    folder = tmp_path / "humming"
    folder.mkdir()
    soundfile.write(folder / "recording.wav", audio, SR)
    (folder / "agenda.txt").write_text("- 00:00:00 : Ouverture par Léa Kerbrat\n", "utf-8")
    session = Session(id="humming", recording=folder / "recording.wav", agenda_path=folder / "agenda.txt")
    options = PipelineOptions(
        language="fr", offset="none", outputs=str(tmp_path / "outputs"), voices=VoiceOptions(enroll=False)
    )
    run_session(session, options)
    out = tmp_path / "outputs" / "humming"
    data = json.loads((out / "session.json").read_text("utf-8"))
    jsonschema.validate(data, session_json.schema())
    over = [g for g in data["gaps"] if g["start"] < hummed[1] and g["end"] > hummed[0]]
    assert over, (data["gaps"], hummed)
    assert over[0]["speaker"] in {s["id"] for s in data["speakers"]}
    said = [w for s in data["segments"] for w in s["words"] if hummed[0] < (w["start"] + w["end"]) / 2 < hummed[1]]
    assert not said
    cues = webvtt.read(str(out / "humming.vtt"))
    marked = [c for c in cues if INAUDIBLE in c.text]
    h, m, sec = marked[0].start.split(":")
    assert hummed[0] - 0.5 <= int(h) * 3600 + int(m) * 60 + float(sec) < hummed[1]
    assert INAUDIBLE in (out / "transcript.txt").read_text("utf-8")
    assert INAUDIBLE in (out / "humming.srt").read_text("utf-8")
    # The sentences either side are there (by where their words are: which words Whisper base
    # writes for espeak-ng's voice changes with the espeak-ng build).
    words = [(w["start"] + w["end"]) / 2 for s in data["segments"] for w in s["words"]]
    assert sum(t < hummed[0] for t in words) >= 5, data["segments"]
    assert sum(t > hummed[1] for t in words) >= 5, data["segments"]
