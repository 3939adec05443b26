"""Caption cues: line, length and duration limits, one speaker per cue, no overlap, safe text."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import webvtt

from restitution.export.cues import Cue, build_cues, wrap
from restitution.export.srt import write_srt
from restitution.export.vtt import render_vtt, write_vtt
from restitution.options import ExportOptions
from restitution.types import AudioInfo, Offset, Segment, Session, SessionResult, Speaker, Word

VOCAB = (
    "le la les de des un une et à pour avec économie circulaire réemploi ressourcerie atelier "
    "décors costumes théâtre scène public création numérique données culture ministère "
    "l'atelier qu'il c'est aujourd'hui Stéphanie Mabileau coordinatrice anticonstitutionnellement"
).split()


def words_for(text: str, start: float, step: float = 0.32) -> tuple[Word, ...]:
    out, t = [], start
    for token in text.split():
        out.append(Word(t, t + step * 0.9, " " + token, 0.9))
        t += step
    return tuple(out)


def segment(text: str, start: float, speaker: str | None = "S1", step: float = 0.32) -> Segment:
    words = words_for(text, start, step)
    return Segment(start, words[-1].end, text, words, speaker)


def random_segments(seed: int, n: int = 40) -> list[Segment]:
    rng = random.Random(seed)
    segs, t = [], 0.0
    for _ in range(n):
        text = " ".join(rng.choice(VOCAB) for _ in range(rng.randint(1, 30)))
        if rng.random() < 0.1:
            text += " <b>&amp; x > y"
        step = rng.uniform(0.05, 0.9)
        # Overlapping speech happens: sometimes a segment starts before the previous one ends.
        t = max(0.0, t - rng.uniform(0, 1.0)) if rng.random() < 0.15 else t + rng.uniform(0, 3)
        seg = segment(text, t, rng.choice(["S1", "S2", "S3", None]), step)
        segs.append(seg)
        t = seg.end
    return segs


def check_invariants(
    cues: list[Cue], segments: list[Segment], max_chars=42, max_lines=2, max_seconds=7.0, duration=None
):
    assert cues, "no cues"
    prev_end = 0.0
    for cue in cues:
        assert 1 <= len(cue.lines) <= max_lines, cue
        assert all(0 < len(line) <= max_chars for line in cue.lines), cue
        assert cue.end > cue.start >= prev_end, cue
        assert cue.end - cue.start <= max_seconds + 1e-9, cue
        if duration is not None:
            assert cue.end <= duration
        prev_end = cue.end
    # Nothing lost, nothing invented (a word longer than a line is cut, hence characters).
    said = "".join(w.text.strip() for s in segments for w in s.words)
    shown = "".join(line.replace(" ", "") for c in cues for line in c.lines)
    assert sorted(shown) == sorted(said)


@pytest.mark.parametrize("seed", range(25))
def test_random_transcripts_respect_every_rule(seed):
    segs = random_segments(seed)
    duration = max(s.end for s in segs) + 1
    cues = build_cues(segs, duration=duration)
    check_invariants(cues, segs, duration=duration)
    # One speaker per cue: every word of a cue belongs to a segment of that cue's speaker.
    speakers_of = {}
    for s in segs:
        for w in s.words:
            speakers_of.setdefault(w.text.strip(), set()).add(s.speaker)
    for cue in cues:
        for token in " ".join(cue.lines).split():
            assert cue.speaker in speakers_of[token]


@pytest.mark.parametrize("limits", [(32, 1, 3.0), (20, 3, 5.0), (42, 2, 7.0)])
def test_custom_limits(limits):
    max_chars, max_lines, max_seconds = limits
    segs = random_segments(99)
    cues = build_cues(segs, max_chars=max_chars, max_lines=max_lines, max_seconds=max_seconds)
    check_invariants(cues, segs, max_chars, max_lines, max_seconds)


def test_speaker_change_starts_a_new_cue():
    segs = [segment("Bonjour à tous", 0.0, "S1"), segment("Merci", 1.0, "S2")]
    cues = build_cues(segs)
    assert [(c.speaker, c.text) for c in cues] == [("S1", "Bonjour à tous"), ("S2", "Merci")]
    assert cues[0].end <= cues[1].start


def test_long_word_is_cut_to_the_line_length():
    url = "https://example.org/" + "x" * 80
    cues = build_cues([Segment(0, 2, url, (Word(0, 2, " " + url, 1.0),), None)])
    assert all(len(line) <= 42 for c in cues for line in c.lines)
    assert "".join(line for c in cues for line in c.lines) == url


def test_subword_tokens_are_glued_back():
    words = (Word(0, 0.4, " Est", 1), Word(0.4, 0.6, "-ce", 1), Word(0.6, 1.0, " vrai", 1), Word(1.0, 1.1, " ?", 1))
    cues = build_cues([Segment(0, 1.1, "Est-ce vrai ?", words, None)])
    assert cues[0].text == "Est-ce vrai ?"


def test_words_without_leading_spaces_stay_separate():
    words = tuple(
        Word(i * 0.5, i * 0.5 + 0.4, w, 1)
        for i, w in enumerate("un deux trois quatre cinq six sept huit neuf dix onze douze".split())
    )
    cues = build_cues([Segment(0, 6, "", words, None)])
    assert cues[0].lines == ("un deux trois quatre cinq six", "sept huit neuf dix onze douze")


def test_segment_without_word_timestamps_is_spread_over_its_time():
    cues = build_cues([Segment(10.0, 30.0, " ".join(["réemploi"] * 30), (), "S1")])
    assert cues[0].start == pytest.approx(10.0)
    assert cues[-1].end == pytest.approx(30.0, abs=0.01)
    check_invariants(cues, [segment(" ".join(["réemploi"] * 30), 0)])


def test_a_long_word_at_the_end_does_not_exceed_the_recording():
    seg = Segment(0, 12, "fin", (Word(0.0, 12.0, " fin", 1.0),), None)
    cues = build_cues([seg], duration=9.5)
    assert cues == [Cue(2.5, 9.5, ("fin",), None)]  # shown at the end of the long word, clamped


def test_wrap_balances_two_lines():
    assert wrap("un deux trois quatre cinq six sept huit neuf dix onze".split(), 42, 2) == [
        "un deux trois quatre cinq",
        "six sept huit neuf dix onze",
    ]
    assert wrap(["x" * 43], 42, 2) is None


def result_with(segments, names=None, duration=60.0) -> SessionResult:
    names = names or {}
    speakers = tuple(Speaker(id=k, name=v) for k, v in names.items())
    return SessionResult(
        session=Session(id="demo", recording=Path("demo.mp3"), title="Démo"),
        audio=AudioInfo(Path("demo.mp3"), duration, "0" * 64, 16000, 1, "mp3"),
        language="fr",
        offset=Offset(0.0, "none"),
        speakers=speakers,
        chapters=(),
        segments=tuple(segments),
    )


def test_vtt_file_has_voice_spans_and_escaped_text(tmp_path):
    segs = [
        segment("Les <décors> & costumes, c'est l'économie circulaire", 0.5, "S1"),
        segment("Oui 😀 — d'accord", 5.0, "S2"),
        segment("Et moi ?", 8.0, "S3"),
    ]
    result = result_with(segs, {"S1": "Stéphanie Mabileau", "S2": "Quentin <Rioual>"})
    dest = tmp_path / "demo.vtt"
    write_vtt(result, dest, ExportOptions())
    text = dest.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    assert "<v Stéphanie Mabileau>Les &lt;décors&gt; &amp; costumes," in text
    assert "<v Quentin &lt;Rioual&gt;>Oui 😀 — d'accord" in text
    assert "Et moi ?" in text and "<v>" not in text
    parsed = webvtt.read(str(dest))
    assert parsed[0].voice == "Stéphanie Mabileau"
    assert parsed[-1].voice is None and parsed[-1].text == "Et moi ?"
    assert "-->" not in "".join(c.raw_text for c in parsed)


def test_render_vtt_round_trips_through_webvtt():
    cues = [Cue(0.0, 1.5, ("a < b", "& c"), "S1"), Cue(1.5, 3.0, ("é",), None)]
    parsed = webvtt.from_string(render_vtt(cues, {"S1": "Anne"}))
    assert [(c.start, c.end) for c in parsed] == [("00:00:00.000", "00:00:01.500"), ("00:00:01.500", "00:00:03.000")]
    assert parsed[0].voice == "Anne"


def test_srt_has_name_prefixes(tmp_path):
    segs = [segment("Bonjour à tous", 0.5, "S1"), segment("Merci <beaucoup>", 3.0, "S2"), segment("Oui", 6.0, None)]
    result = result_with(segs, {"S1": "Anne Le Gall"})
    dest = tmp_path / "demo.srt"
    write_srt(result, dest, ExportOptions())
    blocks = dest.read_text(encoding="utf-8").strip().split("\n\n")
    assert blocks[0].splitlines() == ["1", "00:00:00,500 --> 00:00:01,500", "Anne Le Gall: Bonjour à tous"]
    assert blocks[1].splitlines()[2] == "Merci <beaucoup>"
    assert blocks[2].splitlines()[0] == "3"
