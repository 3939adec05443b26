"""Words to turns and labels to names, on small hand-built inputs."""

from __future__ import annotations

import logging

import pytest

from restitution.options import VoiceOptions
from restitution.speakers import assign_words, name_speakers, speaking_time
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Chapter, Diarization, Segment, Transcript, Turn, Word
from restitution.voices import VoiceLibrary


def words(*spec: tuple[float, float, str]) -> tuple[Word, ...]:
    return tuple(Word(s, e, t, 0.9) for s, e, t in spec)


def transcript(*segments: Segment) -> Transcript:
    return Transcript(segments=segments, language="fr", language_probability=1.0, duration=100.0)


def test_each_word_goes_to_the_turn_it_overlaps_most_and_segments_split():
    ws = words(
        (0.0, 0.4, " Bonjour"), (0.5, 0.9, " à"), (1.0, 1.4, " tous."), (1.6, 2.0, " Merci"), (2.1, 2.6, " bien.")
    )
    seg = Segment(0.0, 2.6, " Bonjour à tous. Merci bien.", ws)
    dia = Diarization(turns=(Turn(0.0, 1.5, "S1"), Turn(1.3, 3.0, "S2")))
    out = assign_words(transcript(seg), dia)
    assert [(s.speaker, s.text) for s in out] == [("S1", "Bonjour à tous."), ("S2", "Merci bien.")]
    assert out[0].start == 0.0 and out[-1].end == 2.6
    assert out[0].end == 1.4 and out[1].start == 1.6
    assert [len(s.words) for s in out] == [3, 2]


def test_word_in_no_turn_goes_to_nearest_within_gap_and_never_splits_alone():
    ws = words((0.0, 0.5, " un"), (0.6, 1.0, " deux"), (5.0, 5.5, " trois"))
    seg = Segment(0.0, 5.5, " un deux trois", ws)
    near = Diarization(turns=(Turn(0.0, 0.55, "S1"), Turn(5.8, 7.0, "S2")))
    out = assign_words(transcript(seg), near)
    # "deux" overlaps nothing: S1 is 0.05 s away; "trois" is 0.3 s from S2.
    assert [(s.speaker, s.text) for s in out] == [("S1", "un deux"), ("S2", "trois")]
    far = Diarization(turns=(Turn(0.0, 1.0, "S1"),))
    out = assign_words(transcript(seg), far, max_gap=1.0)
    assert [(s.speaker, s.text) for s in out] == [("S1", " un deux trois")]  # unsplit: original text kept


def test_a_word_the_decoder_split_is_said_by_one_voice():
    # "C" + "'est" and "aujourd" + "'hui": a speaker change inside them falls before or after.
    ws = words(
        (0.0, 0.4, " Merci."), (0.5, 0.6, " C"), (0.6, 0.9, "'est"), (1.0, 1.3, " bien"),
        (1.4, 1.9, " aujourd"), (1.9, 2.0, "'hui."),
    )  # fmt: skip
    seg = Segment(0.0, 2.0, " Merci. C'est bien aujourd'hui.", ws)
    dia = Diarization(turns=(Turn(0.0, 0.58, "S1"), Turn(0.58, 1.95, "S2"), Turn(1.95, 3.0, "S1")))
    out = assign_words(transcript(seg), dia)
    assert [(s.speaker, s.text) for s in out] == [("S1", "Merci."), ("S2", "C'est bien aujourd'hui.")]


def test_segment_without_words_and_without_turns():
    seg = Segment(3.0, 4.0, " Applaudissements")
    assert assign_words(transcript(seg), Diarization(turns=(Turn(2.5, 3.2, "S2"),)))[0].speaker == "S2"
    assert assign_words(transcript(seg), Diarization(turns=()))[0].speaker is None


def test_speaking_time_counts_overlapping_turns_once():
    turns = (Turn(0, 10, "S1"), Turn(5, 12, "S1"), Turn(11, 20, "S2"))
    assert speaking_time(turns) == {"S1": 12.0, "S2": 9.0}
    assert speaking_time(turns, 8, 15) == {"S1": 4.0, "S2": 4.0}


AGENDA = Agenda(
    items=(
        AgendaItem(0, "Introduction", (AgendaSpeaker("Anne Martin", "présidente"), AgendaSpeaker("Paul Durand"))),
        AgendaItem(100, "Atelier", (AgendaSpeaker("Léa Petit", "animatrice"),)),
        AgendaItem(200, "Conclusions"),
        AgendaItem(300, "Échanges"),
    )
)
CHAPTERS = (
    Chapter(1, "Introduction", 0, 0, 100, ("Anne Martin", "Paul Durand")),
    Chapter(2, "Atelier", 100, 100, 200, ("Léa Petit",)),
    Chapter(3, "Conclusions", 200, 200, 300, ()),
    Chapter(4, "Échanges", 300, 300, 400, ()),
)
# S1 talks least in the introduction, yet the assignment (not first-come) names both voices;
# S4 is a voice nobody names; S1 returns alone in the unnamed "Conclusions".
TURNS = (
    Turn(0, 20, "S2"),
    Turn(20, 30, "S1"),
    Turn(30, 90, "S2"),
    Turn(92, 99, "S1"),
    Turn(100, 190, "S3"),
    Turn(190, 195, "S2"),
    Turn(200, 290, "S1"),
    Turn(300, 350, "S4"),
    Turn(350, 390, "S3"),
)


def segments_of(turns) -> tuple[Segment, ...]:
    return tuple(Segment(t.start, t.end, " texte", speaker=t.speaker) for t in turns)


def test_names_from_agenda_carry_over_and_unnamed_voices_stay_unnamed():
    dia = Diarization(turns=TURNS)
    speakers, segs = name_speakers(
        segments_of(TURNS), dia, CHAPTERS, AGENDA, overrides={}, voices=None, options=VoiceOptions(), language="fr"
    )
    by_id = {s.id: s for s in speakers}
    # "Introduction par Anne Martin et Paul Durand": both voices take a name although S1 speaks
    # far less; names listed together go by speaking order (S2 opens the item).
    assert (by_id["S2"].name, by_id["S1"].name) == ("Anne Martin", "Paul Durand")
    assert by_id["S3"].name == "Léa Petit" and by_id["S3"].role == "animatrice"
    assert by_id["S4"].name == "Intervenant 1" and by_id["S4"].source == "unnamed"
    assert {s.source for s in speakers if s.id != "S4"} == {"agenda"}
    assert by_id["S1"].seconds == pytest.approx(107.0)
    assert [s.id for s in speakers] == ["S1", "S2", "S3", "S4"]
    assert [s.speaker for s in segs] == [t.speaker for t in TURNS]


def test_a_voice_with_too_little_speech_takes_no_agenda_name():
    # Two names, three voices: the two that really speak in the item take them; a voice
    # heard for half a second does not, even though a name would otherwise stay unused.
    turns = (Turn(0, 60, "S1"), Turn(60, 60.5, "S2"), Turn(61, 90, "S3"))
    chapters = (Chapter(1, "Introduction", 0, 0, 100, ("Paul Durand", "Anne Martin")),)
    speakers, _ = name_speakers(
        segments_of(turns),
        Diarization(turns=turns),
        chapters,
        AGENDA,
        overrides={},
        voices=None,
        options=VoiceOptions(),
        language="en",
    )
    names = {s.id: s.name for s in speakers}
    assert names["S2"] == "Speaker 1"  # English label; too little speech to take an agenda name
    assert {names["S1"], names["S3"]} == {"Paul Durand", "Anne Martin"}


def test_overrides_by_label_and_by_name_win():
    dia = Diarization(turns=TURNS)
    speakers, _ = name_speakers(
        segments_of(TURNS),
        dia,
        CHAPTERS,
        AGENDA,
        overrides={"S4": "Pierre Beffeyte", "Léa Petit": "Léa Petit-Martin"},
        voices=None,
        options=VoiceOptions(unnamed_label="Participant"),
        language="fr",
    )
    by_id = {s.id: s for s in speakers}
    assert (by_id["S4"].name, by_id["S4"].source) == ("Pierre Beffeyte", "session")
    assert (by_id["S3"].name, by_id["S3"].source) == ("Léa Petit-Martin", "session")


def test_known_voice_names_an_anonymous_label_but_never_overrules_the_agenda(tmp_path, caplog):
    lib = VoiceLibrary(tmp_path / "voices.sqlite")
    lib.enroll("Marc Leroy", [1, 0, 0, 0], model="embedded/test")
    lib.enroll("Quelqu'un", [0, 0, 1, 0], model="embedded/test")
    centroids = {"S1": [0, 1, 0, 0], "S2": [0, 0, 0.9, 0.1], "S3": [0, 0, 0, 1], "S4": [0.95, 0.05, 0, 0]}
    dia = Diarization(turns=TURNS, engine="embedded/test", centroids=centroids)
    with caplog.at_level(logging.WARNING, logger="restitution"):
        speakers, _ = name_speakers(
            segments_of(TURNS),
            dia,
            CHAPTERS,
            AGENDA,
            overrides={},
            voices=lib,
            options=VoiceOptions(threshold=0.75),
            language="fr",
        )
    by_id = {s.id: s for s in speakers}
    assert (by_id["S4"].name, by_id["S4"].source) == ("Marc Leroy", "voiceprint")
    assert by_id["S2"].source == "agenda" and by_id["S2"].name != "Quelqu'un"
    assert "Quelqu'un" in caplog.text and "agenda" in caplog.text
    # The same voices under another model are not compared at all.
    other = Diarization(turns=TURNS, engine="embedded/other", centroids=centroids)
    speakers, _ = name_speakers(
        segments_of(TURNS), other, CHAPTERS, AGENDA, overrides={}, voices=lib, options=VoiceOptions(), language="fr"
    )
    assert {s.id: s.source for s in speakers}["S4"] == "unnamed"


def test_a_voice_split_in_two_labels_keeps_one_name_and_the_other_speaker_is_found():
    # Clustering cut Anne's voice in two (S1, S2, similar embeddings); Paul is S3.
    turns = (
        Turn(0, 14, "S1"),
        Turn(14, 23, "S3"),
        Turn(23, 34, "S2"),
        Turn(34, 40, "S3"),
        Turn(100, 150, "S4"),
        Turn(150, 153, "S5"),
        Turn(200, 210, "S1"),
        Turn(210, 218, "S2"),
        Turn(300, 330, "S3"),
        Turn(330, 340, "S5"),
    )
    centroids = {
        "S1": [1.0, 0.0, 0.0],
        "S2": [0.9, 0.436, 0.0],
        "S3": [0.0, 1.0, 0.0],
        "S4": [0.0, 0.0, 1.0],
        "S5": [0.0, 0.8, 0.6],
    }
    dia = Diarization(turns=turns, engine="embedded/test", centroids=centroids)
    speakers, _ = name_speakers(
        segments_of(turns), dia, CHAPTERS, AGENDA, overrides={}, voices=None, options=VoiceOptions(), language="fr"
    )
    names = {s.id: s.name for s in speakers}
    assert (names["S1"], names["S2"], names["S3"]) == ("Anne Martin", "Anne Martin", "Paul Durand")
    assert names["S4"] == "Léa Petit"
    # S5 asks a question in Léa's workshop, then speaks in the unnamed "Échanges": it would
    # take Léa's name only if it sounded like her (similarity 0.6): it stays anonymous.
    assert names["S5"] == "Intervenant 1"


@pytest.mark.slow
def test_synthesized_session_end_to_end_names_the_voices(synth_session):
    """Real diarization of an espeak-ng session, its agenda, chapters: names on the right voices."""
    from restitution import agenda as agenda_io
    from restitution import audio, chapters, offset
    from restitution.diarize import diarize
    from restitution.options import DiarizationOptions

    truth = synth_session.truth
    samples = audio.read(synth_session.recording)
    agenda = agenda_io.parse(synth_session.agenda)
    listed = {sp.name for item in agenda.items for sp in item.speakers}
    dia = diarize(samples, DiarizationOptions(), min_speakers_hint=len(listed))
    duration = len(samples) / 16000
    empty = Transcript(segments=(), language="fr", language_probability=None, duration=duration)
    chaps = chapters.cut(agenda, offset.manual(truth.offset), empty, dia, duration)
    speakers, _ = name_speakers(
        (), dia, chaps, agenda, overrides={}, voices=None, options=VoiceOptions(), language="fr"
    )
    right = truth.name_shares(dia.turns, speakers)["named"]
    assert right >= 0.9, f"{right:.1%} of speech time carries the right name"
    assert {s.name for s in speakers if s.source == "agenda"} == listed
