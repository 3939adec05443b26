"""`restitution apply` end to end on a synthesized session: real ffmpeg, Whisper, diarization,
SQLite. An edited VTT (words changed, a voice renamed, a cue moved to another voice) and an
edited transcript.txt (a chapter retitled) are applied; every output follows, from the cache
(nothing transcribed or diarized again); a rerun with another beam size keeps the corrections
or names those it could not place again."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from restitution import corrections as C
from restitution.options import load_options
from restitution.voices import VoiceLibrary

pytestmark = pytest.mark.slow

SID = "seance-corrigee"
NEW_NAME = "Bérénice Quatremer"
NEW_WORD = "Delassus"
NEW_TITLE = "Les données ouvertes, corrigé"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def work(synth_session, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("apply")
    folder = root / "Séance corrigée"
    folder.mkdir()
    shutil.copy(synth_session.recording, folder / synth_session.recording.name)
    shutil.copy(synth_session.agenda, folder / "agenda.txt")
    (folder / "session.toml").write_text('title = "Séance corrigée"\nlanguage = "fr"\n', "utf-8")
    cli("run", str(folder), "--out", "outputs", cwd=root)
    return root


def cues(vtt: str) -> list[list[str]]:
    return [block.splitlines() for block in vtt.split("\n\n")[1:] if "-->" in block]


def _span(timing: str) -> tuple[float, float]:
    def seconds(stamp: str) -> float:
        h, m, rest = stamp.strip().split(":")
        return int(h) * 3600 + int(m) * 60 + float(rest)

    start, end = timing.split(" --> ")
    return seconds(start), seconds(end.split()[0])


def voice(cue: list[str]) -> str | None:
    found = re.match(r"<v ([^>]+)>", cue[1]) if len(cue) > 1 else None
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def applied(work: Path) -> dict:
    out = work / "outputs" / SID
    vtt_text = (out / f"{SID}.vtt").read_text("utf-8")
    blocks = cues(vtt_text)
    spoken = [i for i, c in enumerate(blocks) if voice(c) and "[inaudible]" not in " ".join(c)]
    counts = Counter(voice(blocks[i]) for i in spoken)
    renamed, n = counts.most_common(1)[0] if counts else (None, 0)
    if n < 2:
        pytest.skip(f"the speech recognised gave no voice two cues of words ({counts})")
    # Every cue of `renamed` under NEW_NAME but its last, said by `keeper` (another voice of the
    # session); the longest word of its first cue becomes NEW_WORD.
    keeper = next(v for v in (voice(c) for c in blocks) if v and v != renamed)
    mine = [i for i in spoken if voice(blocks[i]) == renamed]
    first, moved = mine[0], mine[-1]
    line = blocks[first][1]
    longest = max(re.findall(r"\w+", line.split(">", 1)[1]), key=len)
    changed = line.replace(longest, NEW_WORD, 1)
    data = json.loads((out / "session.json").read_text("utf-8"))
    label = {s["name"]: s["id"] for s in data["speakers"]}[keeper]
    said = {
        w.strip(".,?!;:«» ").casefold() for g in data["segments"] if g["speaker"] == label for w in g["text"].split()
    }
    fresh = [w for w in re.findall(r"\w{4,}", blocks[moved][1].split(">", 1)[1]) if w.casefold() not in said]
    edited = []
    for i, c in enumerate(blocks):
        c = list(c)
        if i == first:
            c[1] = changed
        c = [x.replace(f"<v {renamed}>", f"<v {keeper if i == moved else NEW_NAME}>") for x in c]
        edited.append("\n".join(c))
    path = work / "edited.vtt"
    path.write_text("WEBVTT\n\n" + "\n\n".join(edited) + "\n", "utf-8")
    work_dir = out / ".work"
    before = {p.name: p.stat().st_mtime_ns for p in work_dir.glob("*.json")}
    proc = cli("apply", "Séance corrigée", str(path), "--out", "outputs", "-v", cwd=work)
    after = {p.name: p.stat().st_mtime_ns for p in work_dir.glob("*.json")}
    # A chapter retitled in transcript.txt.
    txt = (out / "transcript.txt").read_text("utf-8")
    data = json.loads((out / "session.json").read_text("utf-8"))
    second = data["chapters"][1]["title"]
    (work / "transcript.txt").write_text(txt.replace(f"2. {second} [", f"2. {NEW_TITLE} [", 1), "utf-8")
    chapter_proc = cli("apply", "Séance corrigée", "transcript.txt", "--out", "outputs", cwd=work)
    return {
        "out": out, "proc": proc, "chapter_proc": chapter_proc, "before": before, "after": after,
        "renamed": renamed, "keeper": keeper, "worded": NEW_NAME, "longest": longest,
        "moved_word": (fresh or [None])[0],
        "moved_span": _span(blocks[moved][0]),
        "moved_to": label,
    }  # fmt: skip


def test_apply_says_what_it_found_and_recomputes_nothing_heard(applied) -> None:
    proc = applied["proc"]
    assert "1 voices renamed" in proc.stdout and "1 stretches moved" in proc.stdout, proc.stdout
    assert re.search(r"\b[1-9]\d* words changed", proc.stdout), proc.stdout
    assert "0 could not be placed" in proc.stdout, proc.stdout
    for stage in ("transcribe", "diarize", "recover", "refine"):
        assert f"{stage}: reusing cached result" in proc.stderr, proc.stderr
        assert applied["after"][f"{stage}.json"] == applied["before"][f"{stage}.json"], stage
    assert "1 chapters changed" in applied["chapter_proc"].stdout


def test_captions_transcripts_and_chapter_files_follow(applied) -> None:
    out, renamed = applied["out"], applied["renamed"]
    vtt_text = (out / f"{SID}.vtt").read_text("utf-8")
    assert NEW_WORD in vtt_text and f"<v {NEW_NAME}>" in vtt_text and f"<v {renamed}>" not in vtt_text
    srt_text = (out / f"{SID}.srt").read_text("utf-8")
    assert NEW_WORD in srt_text and f"{NEW_NAME}: " in srt_text and f"{renamed}: " not in srt_text
    for name in ("transcript.txt", "transcript.md", "transcript.json", "index.html"):
        body = (out / name).read_text("utf-8")
        assert NEW_WORD in body and NEW_NAME in body, name
    chapter_captions = "".join(p.read_text("utf-8") for p in sorted((out / "chapters").glob("*.vtt")))
    assert NEW_WORD in chapter_captions and f"<v {NEW_NAME}>" in chapter_captions
    assert NEW_TITLE in (out / "chapters.json").read_text("utf-8")
    names = sorted(p.name for p in (out / "chapters").glob("*.mp3"))
    assert any("les-donnees-ouvertes-corrige" in n for n in names) and len(names) == 3, names


def test_mp3_chapter_frames_follow(applied) -> None:
    tags = ID3(applied["out"] / f"{SID}.mp3")
    titles = [str(frame.sub_frames["TIT2"]) for frame in tags.getall("CHAP")]
    assert NEW_TITLE in titles, titles
    assert NEW_NAME in str(tags.get("TPE1")), tags.get("TPE1")


def test_search_and_the_feed_follow(applied, work: Path) -> None:
    hits = json.loads(cli("search", NEW_WORD, "--json", "--out", "outputs", cwd=work).stdout)
    assert hits and {h["speaker"] for h in hits} == {applied["worded"]}, hits
    word = applied["moved_word"]
    hits = json.loads(
        cli("search", word, "--speaker", applied["keeper"], "--json", "--out", "outputs", cwd=work).stdout
    )
    assert hits, f"the moved cue ({word!r}) is found under its new speaker"
    named = json.loads(
        cli("search", NEW_WORD, "--speaker", applied["renamed"], "--json", "--out", "outputs", cwd=work).stdout
    )
    assert named == [], "the old name speaks no more"
    cli("feed", "--base-url", "https://media.example.org/r", "--out", "outputs", cwd=work)
    feed = (work / "outputs" / "feed.xml").read_text("utf-8")
    assert NEW_NAME in feed and applied["renamed"] not in feed


def test_the_archive_learnt_the_voice_and_the_name(applied, work: Path) -> None:
    options = load_options(None, None, "session.toml", {"outputs": str(work / "outputs")})
    assert NEW_NAME in {v.name for v in VoiceLibrary(options.voices_path).list()}
    assert NEW_NAME in C.known_spellings(options)


def test_a_rerun_with_another_beam_size_keeps_or_names_every_correction(applied, work: Path) -> None:
    out = applied["out"]
    total = C.path_for(out).read_text("utf-8").count("[[correction]]")
    (work / "config.toml").write_text("[asr]\nbeam_size = 2\n", "utf-8")
    try:
        proc = cli("run", "Séance corrigée", "--out", "outputs", "-v", cwd=work)
    finally:
        (work / "config.toml").unlink()
    assert "transcribe: reusing cached result" not in proc.stderr, "another beam size transcribes again"
    data = json.loads((out / "session.json").read_text("utf-8"))
    notes = data["corrections"]
    assert len(notes["applied"]) + len(notes["unplaced"]) == total
    assert all(n["reason"] for n in notes["unplaced"])
    for n in notes["unplaced"]:
        assert f"correction {n['number']}" in proc.stderr, "each one it could not place is a warning"
    vtt_text = (out / f"{SID}.vtt").read_text("utf-8")
    assert f"<v {NEW_NAME}>" in vtt_text
    if not any(n["kind"] == "words" for n in notes["unplaced"]):
        assert NEW_WORD in vtt_text


def test_a_broken_corrections_file_stops_a_run_and_leaves_the_outputs(applied, work: Path) -> None:
    out = applied["out"]
    path = C.path_for(out)
    good = path.read_text("utf-8")
    vtt_before = (out / f"{SID}.vtt").stat().st_mtime_ns
    path.write_text(good + '\n[[correction]]\nkind = "rename"\nspeaker = "S1"\n', "utf-8")
    try:
        proc = subprocess.run([sys.executable, "-m", "restitution", "run", "Séance corrigée", "--out", "outputs"],
                              cwd=work, capture_output=True, text=True, timeout=900)  # fmt: skip
    finally:
        path.write_text(good, "utf-8")
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "corrections.toml: line" in line and "needs 'name'" in line, line
    assert (out / f"{SID}.vtt").stat().st_mtime_ns == vtt_before, "the last good outputs stay"
    bad = work / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nBonjour\n", "utf-8")
    proc = subprocess.run([sys.executable, "-m", "restitution", "apply", "Séance corrigée", str(bad), "--out", "outputs"],
                          cwd=work, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "bad.vtt: line 3" in proc.stderr, proc.stderr
