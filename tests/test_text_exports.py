"""Plain text, Markdown and Podcasting 2.0 JSON transcripts from a hand-built session."""

from __future__ import annotations

import dataclasses
import json

from builders import sample_result

from restitution.export.text import (
    hms,
    paragraphs,
    render_txt,
    transcript_json,
    write_md,
    write_transcript_json,
    write_txt,
)
from restitution.types import Segment, Speaker, Word


def test_hms():
    assert hms(0) == "00:00:00"
    assert hms(3725.9) == "01:02:05"


def test_paragraphs_break_on_speaker_pause_and_chapter():
    paras = paragraphs(sample_result())
    assert [(p.speaker, round(p.start)) for p in paras] == [
        ("Romain Delassus", 1),  # 1.0 and 4.0 joined: same speaker, short pause
        ("Yves-Armel Martin", 12),
        ("Stéphanie Mabileau", 40),  # 40 and 46: a 3 s pause, beyond PARAGRAPH_PAUSE
        ("Stéphanie Mabileau", 46),
        ("Yves-Armel Martin", 60),
        (None, 90),
    ]
    assert paras[0].text == "Bonjour à tous et bienvenue. Nous allons parler des ateliers."
    assert [p.chapter for p in paras] == [1, 1, 2, 2, 2, 2]


def test_txt_has_chapter_headings_and_stamps(tmp_path):
    dest = tmp_path / "transcript.txt"
    write_txt(sample_result(), dest)
    text = dest.read_text(encoding="utf-8")
    assert text.startswith("Restitution des ateliers\n========================\n2024-05-14 · 2 min")
    assert "1. Introduction [00:00:00]\n--------------------------" in text
    assert "2. Restitution de l'atelier « économie circulaire » [00:00:35]" in text
    assert "[00:00:01] Romain Delassus: Bonjour à tous et bienvenue. Nous allons parler des ateliers." in text
    assert "[00:01:30] Applaudissements." in text
    assert (
        text.index("Introduction") < text.index("[00:00:12]") < text.index("2. Restitution") < text.index("[00:00:40]")
    )


def test_md_escapes_and_links_times(tmp_path):
    result = sample_result(title="<script>alert(1)</script> *gras*")
    dest = tmp_path / "transcript.md"
    write_md(result, dest)
    text = dest.read_text(encoding="utf-8")
    assert text.startswith("# &lt;script&gt;alert(1)&lt;/script&gt; \\*gras\\*\n")
    assert "## 2. Restitution de l'atelier « économie circulaire »" in text
    assert "[00:00:40](atelier-2024.mp3#t=40) **Stéphanie Mabileau** — Le réemploi" in text
    assert "données &lt;ouvertes&gt; &amp; partagées" in text
    assert "<" not in text.replace("&lt;", "")


def test_transcript_json_podcasting_shape(tmp_path):
    dest = tmp_path / "transcript.json"
    write_transcript_json(sample_result(), dest)
    data = json.loads(dest.read_text(encoding="utf-8"))
    assert data["version"] == "1.0.0"
    first, last = data["segments"][0], data["segments"][-1]
    assert first == {
        "speaker": "Romain Delassus",
        "startTime": 1.0,
        "endTime": 2.96,
        "body": "Bonjour à tous et bienvenue.",
    }
    assert "speaker" not in last and last["body"] == "Applaudissements."
    starts = [s["startTime"] for s in data["segments"]]
    assert starts == sorted(starts) and all(s["endTime"] >= s["startTime"] for s in data["segments"])


def test_a_word_cut_between_two_speakers_reads_whole_in_every_transcript():
    # Speaker assignment put " C" with S1 and "'est" with S2; the word is one, and S1 says most of it.
    s1 = Segment(1.0, 2.2, "Merci. C", (Word(1.0, 1.8, " Merci.", 0.9), Word(1.9, 2.2, " C", 0.9)), "S1")
    s2 = Segment(2.2, 3.5, "'est l'atelier", (Word(2.2, 2.3, "'est", 0.9), Word(2.3, 2.6, " l", 0.9),
                                               Word(2.6, 3.5, "'atelier", 0.9)), "S2")  # fmt: skip
    result = dataclasses.replace(sample_result(), segments=(s1, s2))
    assert [(p.speaker, p.text) for p in paragraphs(result)] == [
        ("Romain Delassus", "Merci. C'est"),
        ("Yves-Armel Martin", "l'atelier"),
    ]
    assert [s["body"] for s in transcript_json(result)["segments"]] == ["Merci. C'est", "l'atelier"]
    assert "C 'est" not in render_txt(result) and "C'est" in render_txt(result)


def test_placeholder_names_are_not_listed_as_the_sessions_speakers():
    speakers = (Speaker("S1", "Romain Delassus", None, 8.0, "agenda"), Speaker("S2", "Intervenant 1", None, 20.0, "unnamed"),
                Speaker("S3", "Intervenant 2", None, 15.0, "unnamed"))  # fmt: skip
    text = render_txt(dataclasses.replace(sample_result(), speakers=speakers))
    assert text.splitlines()[2] == "2024-05-14 · 2 min · Romain Delassus"
    assert "[00:00:12] Intervenant 1: Merci Romain." in text  # paragraphs still say who speaks
