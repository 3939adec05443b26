"""`restitution run` end to end on a synthesized French session: real ffmpeg, Whisper, diarization.

One run, then the checks every output must pass, then reruns that must reuse the cache.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from mutagen.id3 import ID3

from restitution.export.session_json import schema

pytestmark = pytest.mark.slow


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def session_dir(synth_session, tmp_path_factory) -> Path:
    """The synthesized session as a folder session with a session.toml."""
    folder = tmp_path_factory.mktemp("e2e") / "Séance d'essai"
    folder.mkdir()
    shutil.copy(synth_session.recording, folder / synth_session.recording.name)
    shutil.copy(synth_session.agenda, folder / "agenda.txt")
    (folder / "session.toml").write_text('title = "Séance <d\'essai>"\ndate = "2026-05-12"\nlanguage = "fr"\n')
    return folder


@pytest.fixture(scope="module")
def first_run(session_dir) -> tuple[Path, subprocess.CompletedProcess]:
    work = session_dir.parent
    proc = run_cli("run", str(session_dir), "--out", "outputs", "-v", cwd=work)
    return work / "outputs" / "seance-d-essai", proc


def test_outputs_exist_and_session_json_validates(first_run):
    out, _ = first_run
    for name in [
        "session.json",
        "seance-d-essai.vtt",
        "seance-d-essai.srt",
        "seance-d-essai.mp3",
        "transcript.txt",
        "transcript.md",
        "transcript.json",
        "chapters.json",
        "chapters.vtt",
        "index.html",
    ]:
        assert (out / name).is_file(), name
    data = json.loads((out / "session.json").read_text())
    jsonschema.validate(data, schema())
    assert data["session"]["language"] == "fr"
    assert data["session"]["title"] == "Séance <d'essai>"
    assert not list(out.rglob("*.part")), "temporary files left behind"


def test_invariants_on_times(first_run, synth_session):
    out, _ = first_run
    data = json.loads((out / "session.json").read_text())
    duration = data["session"]["duration"]
    assert abs(duration - synth_session.truth.duration) < 0.2
    previous = 0.0
    for seg in data["segments"]:
        assert 0 <= seg["start"] <= seg["end"] <= duration + 0.01
        assert seg["start"] >= previous - 1e-6
        previous = seg["start"]
        for w in seg["words"]:
            assert seg["start"] - 1e-6 <= w["start"] <= w["end"] <= seg["end"] + 1e-6
    chapters = data["chapters"]
    assert chapters[0]["start"] == 0.0
    assert chapters[-1]["end"] == pytest.approx(duration, abs=0.05)
    for a, b in zip(chapters, chapters[1:]):
        assert a["end"] == b["start"]


def test_offset_chapters_and_names_match_the_truth(first_run, synth_session):
    out, _ = first_run
    data = json.loads((out / "session.json").read_text())
    truth = synth_session.truth
    assert data["offset"]["method"] == "auto"
    assert abs(data["offset"]["seconds"] - truth.offset) < 1.0
    for chapter, item in zip(data["chapters"], truth.items):
        assert abs(chapter["start"] - item.start) < 2.0, (chapter, item)
        assert chapter["speakers"] == item.speakers
    named = {s["name"] for s in data["speakers"] if s["source"] == "agenda"}
    assert named == {n for item in truth.items for n in item.speakers}
    # No word is cut by a chapter boundary.
    for chapter in data["chapters"][1:]:
        for seg in data["segments"]:
            for w in seg["words"]:
                assert not (w["start"] < chapter["start"] < w["end"]), (w, chapter)


def test_captions_and_mp3_chapters(first_run):
    out, _ = first_run
    vtt = (out / "seance-d-essai.vtt").read_text()
    assert vtt.startswith("WEBVTT") and "<v " in vtt
    data = json.loads((out / "session.json").read_text())
    tags = ID3(out / "seance-d-essai.mp3")
    assert len(tags.getall("CHAP")) == len(data["chapters"])
    assert len(tags.getall("CTOC")) == 1


def test_rerun_reuses_every_stage(first_run, session_dir):
    out, _ = first_run
    work = out / ".work"
    before = {p.name: p.stat().st_mtime_ns for p in work.glob("*.json")}
    proc = run_cli("run", str(session_dir), "--out", "outputs", "-v", cwd=session_dir.parent)
    assert proc.stderr.count("reusing cached result") >= 3, proc.stderr
    after = {p.name: p.stat().st_mtime_ns for p in work.glob("*.json")}
    assert after["transcribe.json"] == before["transcribe.json"]
    assert after["diarize.json"] == before["diarize.json"]
    assert after["refine.json"] == before["refine.json"]


def test_manual_offset_reruns_only_cheap_stages(first_run, session_dir, synth_session):
    out, _ = first_run
    work = out / ".work"
    before = {p.name: p.stat().st_mtime_ns for p in work.glob("*.json")}
    run_cli("run", str(session_dir), "--out", "outputs", "--offset", "2.5", cwd=session_dir.parent)
    after = {p.name: p.stat().st_mtime_ns for p in work.glob("*.json")}
    assert after["transcribe.json"] == before["transcribe.json"]
    assert after["diarize.json"] == before["diarize.json"]
    data = json.loads((out / "session.json").read_text())
    assert data["offset"] == {"seconds": 2.5, "method": "manual", "confidence": None, "disagreeing": []}


def test_search_finds_what_a_speaker_said(first_run, session_dir):
    out, _ = first_run
    data = json.loads((out / "session.json").read_text())
    speakers = {s["id"]: s["name"] for s in data["speakers"]}
    seg = max(data["segments"], key=lambda s: len(s["words"]))
    word = max((w["text"].strip(" ,.?!") for w in seg["words"]), key=len)
    name = speakers[seg["speaker"]]
    proc = run_cli("search", word, "--speaker", name.upper(), "--json", "--out", "outputs", cwd=session_dir.parent)
    hits = json.loads(proc.stdout)
    assert hits and all(h["speaker"] == name for h in hits), (word, hits)
    # A hit points at its first matched word (to 0.1 s), which lies inside the speaker's segment.
    assert any(seg["start"] - 0.1 <= h["start"] <= seg["end"] for h in hits), (word, seg, hits)
