"""Chapters: agenda times minus the offset, snapped to silences, never inside a word; and the
chapter tracks (WebVTT chapters, Podcasting 2.0 JSON, per-chapter captions)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import webvtt

from restitution.chapters import cut
from restitution.errors import AgendaError
from restitution.export import chapters as chapter_export
from restitution.options import ChapterOptions
from restitution.types import (
    Agenda,
    AgendaItem,
    AgendaSpeaker,
    Chapter,
    Diarization,
    Offset,
    Segment,
    Transcript,
    Turn,
    Word,
)


def words_between(start: float, end: float, step: float = 0.4, length: float = 0.32, text: str = "mot") -> list[Word]:
    out, now = [], start
    while now + length <= end:
        out.append(Word(round(now, 3), round(now + length, 3), f" {text}", 0.9))
        now += step
    return out


def transcript_of(words: list[Word], duration: float) -> Transcript:
    segments = [Segment(w.start, w.end, w.text, (w,)) for w in sorted(words, key=lambda w: w.start)]
    return Transcript(tuple(segments), "fr", 1.0, duration)


def inside_a_word(t: float, words: list[Word]) -> bool:
    return any(w.start < t < w.end for w in words)


def agenda_of(*times: float) -> Agenda:
    return Agenda(
        tuple(
            AgendaItem(float(t), f"Partie {k + 1}", (AgendaSpeaker(f"Orateur {k + 1}", "rôle"),), line=k + 2)
            for k, t in enumerate(times)
        ),
        source="recordings/demo/agenda.txt",
    )


def check_invariants(chapters: tuple[Chapter, ...], duration: float, words: list[Word]) -> None:
    assert chapters[0].start == 0.0
    assert chapters[-1].end == duration
    assert [c.index for c in chapters] == list(range(1, len(chapters) + 1))
    for a, b in zip(chapters, chapters[1:]):
        assert a.end == b.start and a.start < b.start
    for c in chapters:
        assert not inside_a_word(c.start, words), c


def test_prefers_a_speaker_change_over_a_nearer_plain_pause():
    # Item 2 truly starts at 52.0 (new voice after a 1.2 s silence); a plain 0.6 s pause sits
    # right at the agenda target 50.0.
    words = words_between(0, 49.7) + words_between(50.3, 50.8) + words_between(52.0, 120)
    turns = (Turn(0, 50.8, "S1"), Turn(52.0, 120, "S2"))
    chapters = cut(agenda_of(0, 60), Offset(10.0, "auto"), transcript_of(words, 120), Diarization(turns), 120.0)
    assert len(chapters) == 2
    assert 50.8 <= chapters[1].start <= 52.0
    assert chapters[1].start == pytest.approx(52.0 - 0.3)
    check_invariants(chapters, 120.0, words)


def test_without_diarization_the_longest_nearby_pause_wins():
    words = words_between(0, 40) + words_between(40.5, 45) + words_between(47.0, 100)
    chapters = cut(agenda_of(0, 51), Offset(8.0, "manual"), transcript_of(words, 100), None, 100.0)
    assert chapters[1].start == pytest.approx(47.0 - 0.3)


def test_chapters_carry_agenda_titles_times_and_speakers():
    words = words_between(0, 100)
    chapters = cut(agenda_of(0, 30, 70), Offset(5.0, "auto"), transcript_of(words, 100), None, 100.0)
    assert [c.title for c in chapters] == ["Partie 1", "Partie 2", "Partie 3"]
    assert [c.agenda_time for c in chapters] == [0.0, 30.0, 70.0]
    assert chapters[2].speakers == ("Orateur 3",)
    # No pause anywhere but between words: the cut lands in the 80 ms between two words.
    assert abs(chapters[1].start - 25.0) <= 0.4
    check_invariants(chapters, 100.0, words)


@pytest.mark.parametrize("seed", range(20))
def test_never_inside_a_word(seed):
    rng = np.random.default_rng(seed)
    words, now = [], 0.0
    while now < 300:
        length = float(rng.uniform(0.1, 0.8))
        words.append(Word(now, now + length, " mot", 0.9))
        now += length + float(rng.choice([0.0, 0.02, 0.1, 0.4, 1.5], p=[0.3, 0.3, 0.2, 0.15, 0.05]))
    # Whisper sometimes lets consecutive words overlap a little.
    words.append(Word(100.0, 100.9, " chevauche", 0.5))
    turns = tuple(Turn(float(t), float(t) + 20, f"S{k % 3}") for k, t in enumerate(np.sort(rng.uniform(0, 280, 12))))
    times = np.sort(rng.uniform(20, 290, 5)).round(0)
    chapters = cut(
        agenda_of(0, *times),
        Offset(float(rng.uniform(-5, 15)), "auto"),
        transcript_of(words, 300),
        Diarization(turns),
        300.0,
        ChapterOptions(snap_window=float(rng.uniform(1, 12))),
    )
    check_invariants(chapters, 300.0, words)


def test_cuts_in_the_voice_detectors_silence_but_outside_whispers_stretched_words():
    # Whisper stretched "matinée" over most of the real 125.25-126.15 s silence the diarization
    # (voice activity) shows, and skipped 60-120 s of speech the turns still cover.
    words = words_between(100, 123.8) + [Word(123.9, 125.9, " matinée.", 0.8)] + words_between(125.92, 160)
    words = [w for w in words if not 60 < w.start < 120]
    turns = (Turn(0, 125.25, "S1"), Turn(126.15, 160, "S2"))
    chapters = cut(agenda_of(0, 130), Offset(4.0, "auto"), transcript_of(words, 160), Diarization(turns), 160.0)
    assert 125.9 <= chapters[1].start <= 125.92
    check_invariants(chapters, 160.0, words)


def test_first_chapter_starts_at_zero_even_when_the_session_began_after_the_recording():
    words = words_between(0, 90)
    chapters = cut(agenda_of(0, 40), Offset(-12.0, "auto"), transcript_of(words, 90), None, 90.0)
    assert chapters[0].start == 0.0
    assert abs(chapters[1].start - 52.0) <= 0.4


def test_a_chapter_past_the_end_is_an_error_naming_the_item_and_its_line():
    words = words_between(0, 90)
    with pytest.raises(AgendaError) as caught:
        cut(agenda_of(0, 40, 200), Offset(10.0, "auto"), transcript_of(words, 90), None, 90.0)
    message = str(caught.value)
    assert "item 3 (line 4) 'Partie 3'" in message and "recordings/demo/agenda.txt" in message
    assert "\n" not in message


def test_lenient_drops_a_chapter_past_the_end_with_a_warning(caplog):
    words = words_between(0, 90)
    with caplog.at_level(logging.WARNING, logger="restitution"):
        chapters = cut(
            agenda_of(0, 40, 200),
            Offset(10.0, "auto"),
            transcript_of(words, 90),
            None,
            90.0,
            ChapterOptions(lenient=True),
        )
    assert [c.title for c in chapters] == ["Partie 1", "Partie 2"]
    assert chapters[-1].end == 90.0
    assert "item 3 (line 4)" in caplog.text and "dropped" in caplog.text


def test_items_over_before_the_recording_began_are_left_out(caplog):
    words = words_between(0, 90)
    with caplog.at_level(logging.WARNING, logger="restitution"):
        chapters = cut(agenda_of(0, 20, 60), Offset(30.0, "auto"), transcript_of(words, 90), None, 90.0)
    assert [c.title for c in chapters] == ["Partie 2", "Partie 3"]
    assert chapters[0].start == 0.0 and chapters[0].agenda_time == 20.0
    assert "item 1 (line 2)" in caplog.text


def test_empty_agenda_gives_no_chapters():
    assert cut(Agenda(()), Offset(0.0, "none"), transcript_of([], 10), None, 10.0) == ()


# --- Chapter tracks -----------------------------------------------------------------------------

CHAPTERS = (
    Chapter(1, "Introduction", 0.0, 0.0, 12.5, ("Anne Le Gall",)),
    Chapter(2, "Économie circulaire : « ressourceries »", 600.0, 12.5, 30.0, ("Quentin Rioual",)),
    Chapter(3, "Échanges", 900.0, 30.0, 41.25, ()),
)


def seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_chapters_vtt(tmp_path):
    dest = tmp_path / "chapters.vtt"
    chapter_export.write_chapters_vtt(CHAPTERS, dest)
    cues = webvtt.read(str(dest))
    assert [(c.start, c.end, c.text) for c in cues] == [
        ("00:00:00.000", "00:00:12.500", "Introduction"),
        ("00:00:12.500", "00:00:30.000", "Économie circulaire : « ressourceries »"),
        ("00:00:30.000", "00:00:41.250", "Échanges"),
    ]


def test_chapters_json_is_podcasting_2_0(tmp_path):
    dest = tmp_path / "chapters.json"
    chapter_export.write_chapters_json(CHAPTERS, dest, title="Restitution des ateliers")
    data = json.loads(dest.read_text(encoding="utf-8"))
    assert data["version"] == "1.2.0"
    assert data["title"] == "Restitution des ateliers"
    assert data["chapters"][1] == {
        "startTime": 12.5,
        "endTime": 30.0,
        "title": "Économie circulaire : « ressourceries »",
    }
    starts = [c["startTime"] for c in data["chapters"]]
    assert starts == sorted(starts) and starts[0] == 0


def test_per_chapter_captions_are_relative_to_the_chapter(tmp_path):
    words = words_between(0.5, 41.0, text="bonjour")
    segments = []
    for k in range(0, len(words), 9):  # segments that straddle chapter boundaries on purpose
        chunk = tuple(words[k : k + 9])
        segments.append(Segment(chunk[0].start, chunk[-1].end, "".join(w.text for w in chunk).strip(), chunk, "S1"))
    paths = chapter_export.write_chapter_captions(segments, CHAPTERS, tmp_path / "chapters")
    assert [p.name for p in paths] == [
        "01-introduction.vtt",
        "02-economie-circulaire-ressourceries.vtt",
        "03-echanges.vtt",
    ]
    for path, chapter in zip(paths, CHAPTERS):
        cues = webvtt.read(str(path))
        assert cues, path
        length = chapter.end - chapter.start
        for c in cues:
            assert 0.0 <= seconds(c.start) < seconds(c.end) <= length + 0.001
            assert seconds(c.end) - seconds(c.start) <= 7.0 + 0.001
            lines = c.text.splitlines()
            assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        for a, b in zip(cues, list(cues)[1:]):
            assert seconds(a.end) <= seconds(b.start)
        # Every word of the chapter is in its file, none of another chapter's.
        inside = [w for w in words if chapter.start <= w.start < chapter.end]
        assert " ".join(c.text for c in cues).split() == [w.text.strip() for w in inside]
