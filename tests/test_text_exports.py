"""Plain text, Markdown and Podcasting 2.0 JSON transcripts from a hand-built session."""

from __future__ import annotations

import json

from builders import sample_result

from restitution.export.text import hms, paragraphs, write_md, write_transcript_json, write_txt


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
    assert text.index("Introduction") < text.index("[00:00:12]") < text.index("2. Restitution") < text.index("[00:00:40]")


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
    assert first == {"speaker": "Romain Delassus", "startTime": 1.0, "endTime": 2.96, "body": "Bonjour à tous et bienvenue."}
    assert "speaker" not in last and last["body"] == "Applaudissements."
    starts = [s["startTime"] for s in data["segments"]]
    assert starts == sorted(starts) and all(s["endTime"] >= s["startTime"] for s in data["segments"])
