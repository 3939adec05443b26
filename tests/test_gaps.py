"""Speech that ends up without words: found as gaps, recorded in session.json, shown as inaudible."""

from __future__ import annotations

import dataclasses
import json

import jsonschema

from restitution.export import session_json, srt, text, vtt
from restitution.export.html import session_page
from restitution.export.inaudible import INAUDIBLE, with_gaps
from restitution.options import ExportOptions
from restitution.speech import MIN_GAP, SpeechMap, find_gaps, heard, wordless
from restitution.types import Gap, SessionResult, Turn
from tests.builders import sample_result, seg


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
    assert data["gaps"] == [{"start": 20.0, "end": 26.0, "speaker": "S2"}, {"start": 100.0, "end": 104.0, "speaker": None}]
    assert json.loads(json.dumps(session_json.to_json(sample_result())))["gaps"] == []


def test_every_reader_output_shows_the_inaudible_mark_where_the_gap_is():
    result = _with_gap()
    cues = vtt.cues_for(result, ExportOptions())
    marks = [c for c in cues if c.text == INAUDIBLE]
    assert [c.speaker for c in marks] == ["S2", None]
    assert 20.0 <= marks[0].start < marks[0].end <= 26.0 and 100.0 <= marks[1].start < marks[1].end <= 104.0
    assert f"<v Yves-Armel Martin>{INAUDIBLE}" in vtt.render_vtt(cues, vtt.speaker_names(result))
    assert f"Yves-Armel Martin: {INAUDIBLE}" in srt.render_srt(cues, vtt.speaker_names(result))
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
