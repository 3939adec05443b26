"""Edited exports read back as corrections (`restitution apply`'s core), without models: each
format written by the real writers from a hand-built result, edited as a person would, read
back, applied; then written again and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restitution import corrections as C
from restitution.export import srt, text, vtt
from restitution.options import ExportOptions
from restitution.types import SessionResult
from tests.builders import sample_result

EX = ExportOptions()


def exported(result: SessionResult, kind: str, dest: Path) -> str:
    path = dest / f"export.{kind}"
    {
        "vtt": lambda: vtt.write_vtt(result, path, EX),
        "srt": lambda: srt.write_srt(result, path, EX),
        "txt": lambda: text.write_txt(result, path),
        "json": lambda: text.write_transcript_json(result, path),
    }[kind]()
    return path.read_text("utf-8")


def read_back(result: SessionResult, kind: str, content: str, dest: Path) -> tuple[C.Correction, ...]:
    path = dest / f"edited.{kind}"
    path.write_text(content, "utf-8")
    return C.from_file(result, path)


def test_an_unchanged_export_makes_no_correction(tmp_path: Path) -> None:
    result = sample_result()
    for kind in ("vtt", "srt", "txt", "json"):
        assert read_back(result, kind, exported(result, kind, tmp_path), tmp_path) == (), kind


def test_a_vtt_with_words_a_renamed_voice_a_moved_cue_and_a_retimed_one(tmp_path: Path) -> None:
    result = sample_result()
    original = exported(result, "vtt", tmp_path)
    edited = original.replace("Merci Romain.", "Merci Romain Delassus.")
    edited = edited.replace("ressourceries.", "ressourceries culturelles.")
    edited = edited.replace("<v Stéphanie Mabileau>", "<v Stéphanie Mabilleau>")
    edited = edited.replace("<v Yves-Armel Martin>Une question", "<v Romain Delassus>Une question")
    cue = next(line for line in original.splitlines() if line.startswith("00:00:01.000"))
    edited = edited.replace(cue, "00:00:01.500 --> " + cue.split(" --> ")[1])
    found = read_back(result, "vtt", edited, tmp_path)
    kinds = sorted(c.kind for c in found)
    assert kinds == ["rename", "speaker", "timing", "words", "words"], found
    fixed, unplaced = C.apply(result, found)
    assert unplaced == ()
    again = exported(fixed, "vtt", tmp_path)
    assert "Merci Romain Delassus." in again and "ressourceries culturelles." in again
    assert "<v Stéphanie Mabilleau>" in again and "<v Stéphanie Mabileau>" not in again
    assert "<v Romain Delassus>Une question" in again
    assert "00:00:01.500 --> " in again
    assert read_back(fixed, "vtt", again, tmp_path) == (), "the corrected export reads back unchanged"


def test_all_of_a_voice_under_another_voices_name_is_a_merge(tmp_path: Path) -> None:
    result = sample_result()
    edited = exported(result, "vtt", tmp_path).replace("<v Stéphanie Mabileau>", "<v Romain Delassus>")
    (merge,) = read_back(result, "vtt", edited, tmp_path)
    assert (merge.kind, merge.speaker, merge.into) == ("merge", "S3", "S1")


def test_an_srt_with_a_shortened_prefix_kept_and_one_changed(tmp_path: Path) -> None:
    result = sample_result()
    original = exported(result, "srt", tmp_path)
    assert "Romain Delassus: " in original
    edited = original.replace("Romain Delassus: Bonjour", "Yves-Armel Martin: Bonjour")
    edited = edited.replace("bienvenue.", "bienvenus.")
    found = read_back(result, "srt", edited, tmp_path)
    assert sorted(c.kind for c in found) == ["speaker", "words"], found
    fixed, _ = C.apply(result, found)
    assert fixed.segments[0].speaker == "S2" and fixed.segments[0].text.endswith("bienvenus.")


def test_a_transcript_txt_with_a_paragraph_rewritten_and_a_chapter_retitled(tmp_path: Path) -> None:
    result = sample_result()
    original = exported(result, "txt", tmp_path)
    edited = original.replace("2. Restitution de l'atelier « économie circulaire »", "2. L'économie circulaire")
    edited = edited.replace("Nous allons parler des ateliers.", "Nous allons parler\ndes trois ateliers.")
    found = read_back(result, "txt", edited, tmp_path)
    assert sorted(c.kind for c in found) == ["chapter", "words"], found
    fixed, _ = C.apply(result, found)
    assert fixed.chapters[1].title == "L'économie circulaire"
    assert "parler des trois ateliers." in exported(fixed, "txt", tmp_path)


def test_a_json_transcript_with_a_new_speaker_name(tmp_path: Path) -> None:
    result = sample_result()
    data = json.loads(exported(result, "json", tmp_path))
    for seg in data["segments"]:
        if seg.get("speaker") == "Yves-Armel Martin":
            seg["speaker"] = "Yves-Armel Martin (CNRS)"
    (rename,) = read_back(result, "json", json.dumps(data, ensure_ascii=False, indent=2), tmp_path)
    assert (rename.kind, rename.speaker, rename.name) == ("rename", "S2", "Yves-Armel Martin (CNRS)")


@pytest.mark.parametrize(
    ("kind", "content", "says"),
    [
        ("vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>Bonjour\n\n00:00:03,0 -> 00:00:04.000\nx\n", "line 6"),
        ("vtt", "00:00:01.000 --> 00:00:02.000\nBonjour\n", "line 1: not a WebVTT file"),
        ("vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nBonjour\n", "line 3: the cue ends before it starts"),
        ("srt", "1\n00:00:01,000 --> 00:00:02,000\nBonjour\n\n2\nBonjour\n", "line 5: a subtitle without a timing"),
        ("srt", "1\n00:00:01,000 --> 00:00:72,000\nBonjour\n", "line 2: "),
        ("txt", "Titre\n=====\n\n[00:00:01] Romain: Bonjour\n[00:7x:01] Romain: Bonjour\n", "line 5: "),
        ("json", '{"segments": [\n{"startTime": 1, "endTime": 2, "body": "a"},\n{"startTime": "x", "endTime": 2, '
                 '"body": "b"}]}', "line 3 (segment 2): startTime"),
        ("json", '{"segments": [\n{"startTime": 1,,}]}', "line 2: not valid JSON"),
    ],
)  # fmt: skip
def test_what_cannot_be_understood_is_one_line_naming_the_line(
    tmp_path: Path, kind: str, content: str, says: str
) -> None:
    with pytest.raises(C.CorrectionsError) as caught:
        read_back(sample_result(), kind, content, tmp_path)
    message = str(caught.value)
    assert "\n" not in message and f"edited.{kind}" in message and says in message, message


def test_another_sessions_file_is_refused(tmp_path: Path) -> None:
    other = sample_result(lines=[(1.0, "S1", "Tout autre chose, dite ailleurs par quelqu'un d'autre.")])
    with pytest.raises(C.CorrectionsError, match="not an export of this session"):
        read_back(sample_result(), "vtt", exported(other, "vtt", tmp_path), tmp_path)
    with pytest.raises(C.CorrectionsError, match="give a .vtt, .srt"):
        read_back(sample_result(), "docx", "x", tmp_path)


def test_a_word_whose_pieces_two_voices_share_is_replaced_whole(tmp_path: Path) -> None:
    from restitution.types import Segment, Word

    base = sample_result()
    a = (Word(1.0, 1.4, " Bonjour", 0.9), Word(1.5, 1.8, " aujourd", 0.9))
    b = (Word(1.8, 2.3, "'hui", 0.9), Word(2.4, 2.8, " nous", 0.9), Word(2.9, 3.3, " parlons.", 0.9))
    segments = (Segment(1.0, 1.8, "Bonjour aujourd", a, "S1"), Segment(1.8, 3.3, "'hui nous parlons.", b, "S2"))
    result = SessionResult(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, "segments": segments})
    original = exported(result, "vtt", tmp_path)
    assert "aujourd'hui" in original
    found = read_back(result, "vtt", original.replace("aujourd'hui", "ce matin"), tmp_path)
    fixed, unplaced = C.apply(result, found)
    assert unplaced == ()
    said = " ".join(s.text for s in fixed.segments)
    assert "ce matin" in said and "hui" not in said and "aujourd" not in said, said


def test_times_snapped_to_video_frames_are_not_corrections(tmp_path: Path) -> None:
    import re

    result = sample_result()

    def snapped(match: re.Match[str]) -> str:
        ms = int(match.group(2))
        return f"{match.group(1)}.{ms - ms % 40:03d}"  # 25 frames a second

    edited = re.sub(r"(\d\d:\d\d:\d\d)\.(\d{3})", snapped, exported(result, "vtt", tmp_path))
    assert read_back(result, "vtt", edited, tmp_path) == ()


def test_a_voice_renamed_everywhere_but_one_cue_given_to_another_voice(tmp_path: Path) -> None:
    result = sample_result()
    original = exported(result, "vtt", tmp_path)
    assert "<v Stéphanie Mabileau>L'économie" in original
    edited = original.replace("<v Stéphanie Mabileau>", "<v Stéphanie Mabilleau>")
    edited = edited.replace("<v Stéphanie Mabilleau>L'économie", "<v Yves-Armel Martin>L'économie")
    found = read_back(result, "vtt", edited, tmp_path)
    assert [(c.kind, c.speaker) for c in found] == [("rename", "S3"), ("speaker", "S2")], found
    fixed, _ = C.apply(result, found)
    said = {s.text[:6]: s.speaker for s in fixed.segments}
    assert (said["Le rée"], said["L'écon"]) == ("S3", "S2")
    assert fixed.speakers[2].name == "Stéphanie Mabilleau"
