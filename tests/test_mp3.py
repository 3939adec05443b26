"""The chaptered MP3 and the per-chapter files, checked with mutagen and ffprobe on real audio."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp3 import MP3

from restitution.export.mp3 import write_chapter_files, write_mp3
from restitution.types import Chapter

SENTENCES = [
    ("fr", "Bonjour à toutes et à tous, et bienvenue à cette restitution des ateliers."),
    ("fr+f3", "Je vais vous présenter le travail de l'atelier sur l'économie circulaire."),
    ("fr+m3", "Pour terminer, place aux échanges avec les participants dans la salle."),
]


def ffprobe(path: Path, *args: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", *args, "-of", "json", str(path)], capture_output=True, check=True)
    return json.loads(out.stdout)


def duration(path: Path) -> float:
    return float(ffprobe(path, "-show_entries", "format=duration")["format"]["duration"])


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> tuple[Path, tuple[Chapter, ...]]:
    """Three sentences by three voices, 0.8 s apart, as a quiet 22 kHz WAV; one chapter each."""
    tmp = tmp_path_factory.mktemp("mp3")
    parts, starts = [], [0.0]
    for k, (voice, text) in enumerate(SENTENCES):
        wav = tmp / f"{k}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True)
        raw = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(wav), "-ac", "1", "-ar", "22050", "-f", "f32le", "-"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        parts.append(np.frombuffer(raw, np.float32) * 0.1)  # quiet, so loudness normalization shows
        parts.append(np.zeros(int(22050 * 0.8), np.float32))
        starts.append(starts[-1] + (parts[-2].size + parts[-1].size) / 22050)
    audio = np.concatenate(parts)
    raw_path = tmp / "session.f32"
    audio.tofile(raw_path)
    source = tmp / "séance -1.wav"  # a name with an accent, a space and a dash
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "f32le", "-ar", "22050", "-ac", "1", "-i", str(raw_path), str(source)],
        check=True,
    )
    total = audio.size / 22050
    titles = ["Introduction", "Économie circulaire", "Échanges avec les participants"]
    chapters = tuple(
        Chapter(k + 1, titles[k], 600.0 * k, round(starts[k], 3), round(starts[k + 1], 3) if k < 2 else total, ())
        for k in range(3)
    )
    return source, chapters


@pytest.fixture(scope="module")
def encoded(recording, tmp_path_factory) -> Path:
    source, chapters = recording
    dest = tmp_path_factory.mktemp("out") / "session.mp3"
    write_mp3(
        source, dest, chapters, title="Restitution des ateliers", artist="Anne Le Gall, Quentin Rioual",
        album="TMNlab", date="2024-03-14", comment="restitution test",
    )  # fmt: skip
    return dest


def test_mp3_has_one_chap_per_chapter_under_one_ordered_top_level_ctoc(recording, encoded):
    _, chapters = recording
    tags = ID3(encoded)
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Restitution des ateliers"
    assert str(tags["TPE1"]) == "Anne Le Gall, Quentin Rioual"
    assert str(tags["TALB"]) == "TMNlab" and str(tags["TDRC"]) == "2024-03-14"
    assert tags.getall("COMM")[0].text == ["restitution test"]
    tocs = tags.getall("CTOC")
    assert len(tocs) == 1
    assert tocs[0].flags & CTOCFlags.TOP_LEVEL and tocs[0].flags & CTOCFlags.ORDERED
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert list(tocs[0].child_element_ids) == ["chp1", "chp2", "chp3"] and len(chaps) == 3
    for element_id, chapter in zip(tocs[0].child_element_ids, chapters):
        chap = chaps[element_id]
        assert chap.start_time == round(chapter.start * 1000)
        assert abs(chap.end_time - chapter.end * 1000) <= 60  # the last ends where the MP3 does
        assert str(chap.sub_frames["TIT2"]) == chapter.title
    assert abs(MP3(encoded).info.bitrate - 128000) <= 1000


def test_ffprobe_reads_the_chapters(recording, encoded):
    _, chapters = recording
    found = ffprobe(encoded, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in found] == [c.title for c in chapters]
    for got, want in zip(found, chapters):
        assert float(got["start_time"]) == pytest.approx(want.start, abs=0.001)
        assert float(got["end_time"]) == pytest.approx(want.end, abs=0.06)


def test_chapters_are_stored_in_time_order_whatever_their_titles(recording, tmp_path):
    # mutagen would sort these frames by size: long title first, then the short ones.
    source, chapters = recording
    titled = tuple(
        Chapter(c.index, title, c.agenda_time, c.start, c.end)
        for c, title in zip(chapters, ["Une introduction au titre bien plus long que les autres", "Milieu", "Fin"])
    )
    dest = write_mp3(source, tmp_path / "ordered.mp3", titled, title="t")
    found = ffprobe(dest, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in found] == [c.title for c in titled]
    assert [c.element_id for c in ID3(dest).getall("CHAP")] == ["chp1", "chp2", "chp3"]


@pytest.mark.parametrize("toc_title", ["Chapitres", "Chapters"])
def test_table_of_contents_title_is_the_one_given(recording, tmp_path, toc_title):
    source, chapters = recording
    dest = write_mp3(source, tmp_path / "toc.mp3", chapters, title="t", toc_title=toc_title)
    (toc,) = ID3(dest).getall("CTOC")
    assert toc.sub_frames.getall("TIT2")[0].text == [toc_title]


def test_per_chapter_files_have_the_chapter_durations_and_titles(recording, encoded, tmp_path):
    _, chapters = recording
    paths = write_chapter_files(encoded, tmp_path / "chapters", chapters)
    assert [p.name for p in paths] == [
        "01-introduction.mp3",
        "02-economie-circulaire.mp3",
        "03-echanges-avec-les-participants.mp3",
    ]
    for path, chapter in zip(paths, chapters):
        assert abs(duration(path) - (chapter.end - chapter.start)) <= 0.1, path
        tags = ID3(path)
        assert str(tags["TIT2"]) == chapter.title
        assert str(tags["TRCK"]) == f"{chapter.index}/3"
        assert str(tags["TALB"]) == "TMNlab"
        assert ffprobe(path, "-show_streams")["streams"][0]["codec_name"] == "mp3"
    # A second export with other titles leaves no stale file behind.
    renamed = tuple(Chapter(c.index, f"Partie {c.index}", c.agenda_time, c.start, c.end) for c in chapters[:2])
    write_chapter_files(encoded, tmp_path / "chapters", renamed)
    assert sorted(p.name for p in (tmp_path / "chapters").iterdir()) == ["01-partie-1.mp3", "02-partie-2.mp3"]


def _audio_md5(path: Path) -> str:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"],
        capture_output=True, check=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def test_reexport_from_our_own_mp3_copies_instead_of_reencoding(recording, encoded, tmp_path):
    _, chapters = recording
    again = write_mp3(encoded, tmp_path / "again.mp3", chapters[:2], title="Autre titre")
    assert _audio_md5(again) == _audio_md5(encoded)
    assert len(ID3(again).getall("CHAP")) == 2 and str(ID3(again)["TIT2"]) == "Autre titre"
    # Other settings mean a real encode.
    other = write_mp3(encoded, tmp_path / "other.mp3", chapters, title="x", bitrate="64k")
    assert abs(MP3(other).info.bitrate - 64000) <= 1000


def _integrated_loudness(path: Path) -> float:
    err = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"], capture_output=True, text=True
    ).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


def test_loudnorm_brings_the_recording_to_minus_16_lufs(recording, tmp_path):
    source, chapters = recording
    assert _integrated_loudness(source) < -30
    dest = write_mp3(source, tmp_path / "loud.mp3", chapters, title="t", loudnorm=True)
    assert _integrated_loudness(dest) == pytest.approx(-16.0, abs=1.5)
    assert len(ID3(dest).getall("CHAP")) == 3


def test_a_failed_encode_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really a wav file")
    with pytest.raises(Exception) as caught:
        write_mp3(bad, tmp_path / "out.mp3", (), title="t")
    assert "MP3 encoding failed" in str(caught.value)
    assert list(tmp_path.iterdir()) == [bad]


def test_more_chapters_than_a_table_of_contents_holds(recording, tmp_path, caplog):
    source, _ = recording
    total = duration(source)
    step = total / 300
    chapters = tuple(
        Chapter(k + 1, f"Point {k + 1}", 60.0 * k, round(k * step, 3), round((k + 1) * step, 3) if k < 299 else total)
        for k in range(300)
    )
    dest = tmp_path / "many.mp3"
    write_mp3(source, dest, chapters, title="Conseil municipal")
    tags = ID3(dest)
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [f"chp{k}" for k in range(1, 256)]
    assert [c.sub_frames["TIT2"].text[0] for c in tags.getall("CHAP")] == [f"Point {k}" for k in range(1, 256)]
    assert (
        f"{dest}: 300 chapters, but an MP3's table of contents holds at most 255: chapters 256 to 300 are left out of"
        " it (every other output has them all)"
    ) in caplog.text
    assert len(ffprobe(dest, "-show_chapters")["chapters"]) == 255
