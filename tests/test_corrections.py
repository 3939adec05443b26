"""Corrections as data, without models: the file, placing corrections on a result (and again on
a transcript that changed underneath), learning, the stage key, the lock. Hand-built results
(tests/builders.py), real SQLite, real files."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest

from restitution import corrections as C
from restitution.corrections.anchor import norm
from restitution.corrections.learn import learn, spellings
from restitution.export.session_json import write_session_json
from restitution.lock import SessionLocked, session_lock
from restitution.options import PipelineOptions
from restitution.pipeline import stage_keys
from restitution.types import Agenda, AgendaItem, Diarization, Gap, Segment, SessionResult, Word
from restitution.voices import VoiceLibrary
from tests.builders import sample_result


def words_of(result: SessionResult) -> list[Word]:
    return [w for s in result.segments for w in s.words]


def text_of(result: SessionResult, speaker: str | None = None) -> str:
    return " ".join(s.text for s in result.segments if speaker is None or s.speaker == speaker)


def word(result: SessionResult, text: str) -> Word:
    return next(w for w in words_of(result) if w.text.strip() == text)


def edit(result: SessionResult, **fields: object) -> C.Correction:
    return C.anchored(result, dict(fields))


# --- the file ---------------------------------------------------------------------------------------


def test_corrections_read_back_as_written(tmp_path: Path) -> None:
    result = sample_result()
    made = [
        edit(result, kind="words", start=word(result, "ressourceries.").start, end=word(result, "ressourceries.").end,
             new='ressourceries "RESSAC".'),
        edit(result, kind="rename", speaker="S2", name="Yves-Armel Martin-Dupré"),
        edit(result, kind="chapter", index=2, title="L'économie \\ circulaire"),
        C.Correction.from_dict({"kind": "gap", "start": 100.0, "end": 104.5, "text": "merci"}),
    ]  # fmt: skip
    C.add(tmp_path, made[:2])
    C.add(tmp_path, made[2:])
    assert C.load(tmp_path) == tuple(made)
    text = C.path_for(tmp_path).read_text("utf-8")
    assert text.count("[[correction]]") == 4 and 'before = "passe par les"' in text
    assert not list(tmp_path.glob(".*.part")), "written through a temporary file"
    assert C.load(tmp_path / "none") == (), "no file, no corrections"


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        ('[[correction]]\nkind = "words"\nstart = 1.0\nend = 2.0\nnew = "x"\n\n[[correction]]\nkind = "wordz"\n', 7,
         "kind 'wordz'"),
        ('[[correction]]\nkind = "words"\nstart = -1.0\nend = 2.0\nnew = "x"\n', 1, "must be a number of seconds"),
        ('[[correction]]\nkind = "rename"\nspeaker = "S1"\n', 1, "needs 'name'"),
        ('[[correction]]\nkind = "merge"\nspeaker = "S1"\ninto = "S2"\ncolor = "red"\n', 1, "no field 'color'"),
        ('[[correction]]\nkind = "words"\nstart = 3.0\nend = 2.0\nnew = "x"\n', 1, "ends (2.0) before it starts"),
        ('[[correction]]\nkind = "words"\nstart = 1.0\nend = 2.0\nnew = "x\n', 5, "not valid TOML"),
        ('kind = "words"\n', 1, "unknown key 'kind'"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_line_naming_the_file_and_the_line(
    tmp_path: Path, content: str, line: int, says: str
) -> None:
    C.path_for(tmp_path).write_text(content, "utf-8")
    with pytest.raises(C.CorrectionsError) as caught:
        C.load(tmp_path)
    message = str(caught.value)
    assert "\n" not in message and str(C.path_for(tmp_path)) in message
    assert f"line {line}" in message and says in message, message


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    C.path_for(tmp_path).write_bytes(b'[[correction]]\nkind = "words"\nnew = "caf\xe9"\n')
    with pytest.raises(C.CorrectionsError, match="line 3: not UTF-8"):
        C.load(tmp_path)


# --- placing corrections ----------------------------------------------------------------------------


def test_words_replaced_deleted_and_inserted_keep_the_other_words_times() -> None:
    result = sample_result()
    rom = word(result, "Romain.")
    fixes = [
        edit(result, kind="words", start=rom.start, end=rom.end, new="Romain Delassus."),
        edit(result, kind="words", start=word(result, "passe").start, end=word(result, "passe").end, new=""),
        edit(result, kind="words", start=word(result, "Nous").end, end=word(result, "Nous").end, new="tous"),
    ]
    fixed, unplaced = C.apply(result, fixes)
    assert unplaced == () and [n.number for n in fixed.applied] == [1, 2, 3]
    assert "Merci Romain Delassus. Présentation" in text_of(fixed, "S2")
    assert "décors par les" in text_of(fixed, "S3")
    assert text_of(fixed, "S1").endswith("Nous tous allons parler des ateliers.")
    new = [w for w in words_of(fixed) if w.text.strip() == "Delassus."]
    assert new and new[0].probability == 1.0 and rom.start <= new[0].start < new[0].end <= rom.end + 1e-6
    before = {(w.start, w.text) for w in words_of(result)}
    kept = {(w.start, w.text) for w in words_of(fixed)}
    assert len(before - kept) == 2 and all(
        w in before for w in kept if w[1].strip() not in ("Romain", "Delassus.", "tous")
    )
    for seg in fixed.segments:
        assert seg.start <= seg.words[0].start and seg.words[-1].end <= seg.end + 1e-6


def test_a_correction_is_found_again_on_a_transcript_that_changed_underneath() -> None:
    result = sample_result()
    target = word(result, "ressourceries.")
    fix = edit(result, kind="words", start=target.start, end=target.end, new="ressourceries culturelles.")
    # Another model: every time 0.3 s later, the word itself heard otherwise.
    shifted = dataclasses.replace(
        result,
        segments=tuple(
            dataclasses.replace(
                s,
                start=s.start + 0.3,
                end=s.end + 0.3,
                words=tuple(
                    Word(w.start + 0.3, w.end + 0.3, " ressourcerie." if w.text == " ressourceries." else w.text, 0.5)
                    for w in s.words
                ),
            )
            for s in result.segments
        ),
    )
    fixed, unplaced = C.apply(shifted, [fix])
    assert unplaced == ()
    assert "par les ressourceries culturelles." in text_of(fixed, "S3")


def test_what_cannot_be_placed_is_reported_and_recorded_never_dropped() -> None:
    result = sample_result()
    target = word(result, "ressourceries.")
    fixes = [
        edit(result, kind="words", start=target.start, end=target.end, new="ressourceries culturelles."),
        edit(result, kind="rename", speaker="S3", name="Stéphanie Mabileau-Roux"),
        C.Correction.from_dict({"kind": "chapter", "index": 5, "title": "Clôture"}),
    ]
    # A new transcription heard something else entirely there, and a new diarization has no S3.
    other = dataclasses.replace(
        result,
        segments=tuple(s for s in result.segments if s.speaker != "S3"),
        speakers=tuple(s for s in result.speakers if s.id != "S3"),
    )
    fixed, unplaced = C.apply(other, fixes)
    assert [n.number for n in unplaced] == [1, 2, 3] and all(n.reason for n in unplaced)
    assert fixed.unplaced == unplaced and fixed.applied == ()
    assert "no voice 'S3'" in unplaced[1].reason and "no chapter 5" in unplaced[2].reason


def test_voices_moved_renamed_and_merged() -> None:
    result = sample_result()
    seg = next(s for s in result.segments if s.text.startswith("L'économie"))
    fixes = [
        edit(result, kind="speaker", start=seg.start, end=seg.end, speaker="Romain Delassus"),
        edit(result, kind="rename", speaker="S2", name="Yves-Armel Martin"),  # already so: nothing to do
        edit(result, kind="rename", speaker="Stéphanie Mabileau", name="Stéphanie Mabilleau"),
    ]
    fixed, unplaced = C.apply(result, fixes)
    assert unplaced == ()
    assert any(s.speaker == "S1" and s.text.startswith("L'économie") for s in fixed.segments)
    names = {s.id: (s.name, s.source) for s in fixed.speakers}
    assert names["S3"] == ("Stéphanie Mabilleau", "correction") and names["S2"][1] == "agenda"
    role = next(s.role for s in fixed.speakers if s.id == "S3")
    assert role == "coordinatrice du RESSAC", "a respelling keeps the agenda's role"
    s1 = next(s for s in fixed.speakers if s.id == "S1")
    assert s1.seconds > 8.0, "the speech moved counts for its new voice"
    merged, _ = C.apply(fixed, [edit(fixed, kind="rename", speaker="S3", name="Romain Delassus")])
    assert "S3" not in {s.id for s in merged.speakers} and {s.speaker for s in merged.segments} <= {"S1", "S2", None}


def test_a_new_name_for_some_speech_is_a_new_voice() -> None:
    result = sample_result()
    seg = result.segments[-2]
    fixed, unplaced = C.apply(
        result, [edit(result, kind="speaker", start=seg.start, end=seg.end, speaker="Anne Le Gall")]
    )
    assert unplaced == ()
    new = next(s for s in fixed.speakers if s.name == "Anne Le Gall")
    assert new.id == "S4" and new.source == "correction"
    assert fixed.segments[-2].speaker == "S4"


def test_a_chapter_start_is_snapped_between_words_and_its_title_changed() -> None:
    result = sample_result()
    inside = word(result, "décors").start + 0.1  # inside a word of S3
    fix = edit(result, kind="chapter", index=2, title="Économie circulaire", start=inside)
    fixed, unplaced = C.apply(result, [fix])
    assert unplaced == ()
    first, second = fixed.chapters
    assert second.title == "Économie circulaire" and first.end == second.start
    assert not any(w.start < second.start < w.end for w in words_of(fixed)), "never inside a word"
    assert abs(second.start - inside) <= 2.5
    moved_first, unplaced = C.apply(result, [C.Correction.from_dict({"kind": "chapter", "index": 1, "start": 5.0})])
    assert "first chapter" in unplaced[0].reason and moved_first.chapters == result.chapters


def test_a_gap_filled_and_speech_retimed() -> None:
    result = dataclasses.replace(sample_result(), gaps=(Gap(100.0, 104.0, "S2"),))
    seg = result.segments[0]
    fixes = [
        edit(result, kind="gap", start=101.0, end=102.0, text="Merci à vous."),
        C.Correction.from_dict({"kind": "timing", "start": seg.start, "end": seg.end, "to_start": seg.start + 0.5,
                                "to_end": seg.end + 0.5}),
    ]  # fmt: skip
    fixed, unplaced = C.apply(result, fixes)
    assert unplaced == () and fixed.gaps == ()
    filled = next(s for s in fixed.segments if s.text == "Merci à vous.")
    assert (filled.start, filled.end, filled.speaker) == (100.0, 104.0, "S2")
    assert fixed.segments[0].words[0].start == pytest.approx(seg.words[0].start + 0.5)


def test_an_edit_that_does_not_fit_the_result_is_one_line() -> None:
    result = sample_result()
    w = word(result, "Romain.")
    with pytest.raises(C.CorrectionsError, match="read 'Romain.', not 'Robert'"):
        edit(result, kind="words", start=w.start, end=w.end, old="Robert", new="Roberto")
    with pytest.raises(C.CorrectionsError, match="no voice 'S9'"):
        edit(result, kind="merge", speaker="S9", into="S1")
    with pytest.raises(C.CorrectionsError, match="no inaudible stretch"):
        edit(result, kind="gap", start=1.0, end=2.0, text="x")
    with pytest.raises(C.CorrectionsError, match="kind 'color'"):
        C.anchored(result, {"kind": "color"})


# --- learning, the stage key, the lock ------------------------------------------------------------


def test_a_renamed_voice_is_enrolled_and_spellings_are_kept(tmp_path: Path) -> None:
    options = PipelineOptions(outputs=str(tmp_path))
    result = sample_result()
    voices = Diarization((), "embedded/campplus", {"S1": [1.0, 0.0, 0.0], "S2": [0.0, 1.0, 0.0], "S3": [0.0, 0.0, 1.0]})
    library = VoiceLibrary(options.voices_path)
    library.enroll("Yves-Armel Martin", [0.0, 1.0, 0.0], model="embedded/campplus", source=result.session.id)
    rom = word(result, "Romain.")
    fixes = [
        edit(result, kind="rename", speaker="S2", name="Yves-Armel Martins"),
        edit(result, kind="rename", speaker="S3", name="Intervenant 3"),  # a placeholder: never enrolled
        edit(result, kind="words", start=rom.start, end=rom.end, new="Romain Delassus."),
    ]
    fixed, _ = C.apply(result, fixes)
    learn(result, fixed, fixes, voices, options)
    known = {v.name for v in library.list()}
    assert known == {"Yves-Armel Martins"}, "the wrong agenda name's print of this session is taken back"
    assert C.known_spellings(options) == ("Romain Delassus", "Yves-Armel Martins")
    learn(result, fixed, fixes, voices, options)
    assert [v.prints for v in library.list()] == [1], "a rerun replaces its print"
    assert spellings(fixed, fixes[2:]) == ["Romain Delassus"]
    assert C.known_spellings(PipelineOptions(outputs=str(tmp_path / "elsewhere"))) == ()


def test_the_correct_stage_key_follows_the_file_and_only_what_reads_it_reruns(tmp_path: Path) -> None:
    options = PipelineOptions(outputs=str(tmp_path))
    session = sample_result().session
    agenda = Agenda((AgendaItem(0.0, "Introduction"),))

    def keys() -> dict[str, str]:
        return {n: k.key for n, k in stage_keys(session, options, agenda, "ab" * 32).stages.items()}

    before = keys()
    out = tmp_path / session.id
    C.add(out, [C.Correction.from_dict({"kind": "rename", "speaker": "S1", "name": "Romain Delassus"})])
    after = keys()
    assert [n for n in before if before[n] != after[n]] == ["correct", "export", "index", "enroll"]


def test_saving_takes_the_session_lock_and_may_wait_for_it(tmp_path: Path) -> None:
    result = sample_result()
    out = tmp_path / result.session.id
    out.mkdir()
    write_session_json(result, out / "session.json")
    fix = [C.Correction.from_dict({"kind": "rename", "speaker": "S1", "name": "Romain Delassus"})]
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with session_lock(out):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        with pytest.raises(SessionLocked) as caught:
            C.save(out, fix)
        assert "\n" not in str(caught.value) and "is being processed" in str(caught.value)
        assert not C.path_for(out).exists()
        threading.Timer(0.5, release.set).start()
        begun = time.monotonic()
        C.save(out, fix, wait=10)
        assert time.monotonic() - begun >= 0.4, "it waited for the holder"
    finally:
        release.set()
        holder.join()
    assert C.load(out) == tuple(fix)


def test_a_broken_file_is_kept_and_named_when_saving(tmp_path: Path) -> None:
    result = sample_result()
    out = tmp_path / result.session.id
    out.mkdir()
    write_session_json(result, out / "session.json")
    C.path_for(out).write_text("[[correction]]\nkind = 3\n", "utf-8")
    with pytest.raises(C.CorrectionsError, match="line 1"):
        C.save(out, [C.Correction.from_dict({"kind": "rename", "speaker": "S1", "name": "X"})])
    assert C.path_for(out).read_text("utf-8") == "[[correction]]\nkind = 3\n"


def test_session_json_records_applied_and_unplaced(tmp_path: Path) -> None:
    import jsonschema

    from restitution.export.session_json import schema

    result = sample_result()
    fixed, _ = C.apply(
        result,
        [
            C.Correction.from_dict({"kind": "rename", "speaker": "S1", "name": "Romain Delassus-Roy"}),
            C.Correction.from_dict({"kind": "merge", "speaker": "S7", "into": "S1"}),
        ],
    )
    write_session_json(fixed, tmp_path / "session.json")
    data = json.loads((tmp_path / "session.json").read_text("utf-8"))
    jsonschema.validate(data, schema())
    assert [n["number"] for n in data["corrections"]["applied"]] == [1]
    assert data["corrections"]["unplaced"][0]["reason"] == "no voice 'S7' in this session any more"
    assert C.published(tmp_path).speakers[0].name == "Romain Delassus-Roy"


def test_norm_ignores_case_and_edge_punctuation_only() -> None:
    assert norm("« Delassu, » l'Atelier?") == ["delassu", "l'atelier"]
    assert isinstance(Segment(0, 1, "x"), Segment)


def test_the_feed_is_written_again_with_its_own_settings(tmp_path: Path) -> None:
    from restitution.corrections.feed import refresh_feed
    from restitution.export.feed import write_feed

    result = sample_result()
    out = tmp_path / result.session.id
    write_session_json(result, out / "session.json")
    (out / f"{result.session.id}.mp3").write_bytes(b"ID3")  # the feed lists sessions with an MP3
    assert refresh_feed(tmp_path) is None, "no feed, none made"
    write_feed(tmp_path, base_url="https://media.example.org/r", title="Ateliers", author="Ministère", language="fr")
    fixed, _ = C.apply(
        result, [C.Correction.from_dict({"kind": "rename", "speaker": "S3", "name": "Stéphanie Mabilleau"})]
    )
    write_session_json(fixed, out / "session.json")
    assert refresh_feed(tmp_path) == tmp_path / "feed.xml"
    feed = (tmp_path / "feed.xml").read_text("utf-8")
    assert "Stéphanie Mabilleau" in feed and "Stéphanie Mabileau" not in feed
    assert "<title>Ateliers</title>" in feed and "Ministère" in feed and "https://media.example.org/r/" in feed


def test_speech_moved_from_one_voice_leaves_another_voice_talking_over_it() -> None:
    result = sample_result(lines=[(1.0, "S1", "Bonjour à tous et bienvenue."), (1.2, "S2", "Oui merci bien.")])
    seg = result.segments[1]
    fix = edit(result, kind="speaker", start=seg.start, end=seg.end, speaker="S3", old="Yves-Armel Martin")
    assert fix.old == "S2", "the voice it is taken from, by its label"
    fixed, unplaced = C.apply(result, [fix])
    assert unplaced == ()
    assert {s.text: s.speaker for s in fixed.segments} == {
        "Bonjour à tous et bienvenue.": "S1",
        "Oui merci bien.": "S3",
    }


def test_the_same_words_said_by_another_voice_are_another_moment() -> None:
    lines = [(10.0, "S2", "Bonjour à tous mes amis."), (16.0, "S3", "Bonjour à toutes et à tous.")]
    result = sample_result(lines=lines)
    hello = word(result, "Bonjour")
    fix = edit(result, kind="words", start=hello.start, end=hello.end, new="Bonsoir")
    # Transcribed again, the first sentence is no longer heard: it is an inaudible stretch now.
    again = dataclasses.replace(result, segments=result.segments[1:], gaps=(Gap(10.0, 12.0, "S2"),))
    fixed, unplaced = C.apply(again, [fix])
    assert [n.number for n in unplaced] == [1] and "Bonjour à toutes" in text_of(fixed)
