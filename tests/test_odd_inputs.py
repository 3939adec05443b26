"""Odd but valid recordings go through `restitution run` end to end (issue 8's matrix).

The outright bad inputs are in test_cli_errors.py, test_audio.py and test_agenda.py.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

AGENDA = "- 00:00:00 : Ouverture par Léa Kerbrat, présidente.\n"


def run(cwd: Path, recording: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "restitution", "run", "--agenda", "agenda.txt", "--out", "outputs", "--", recording],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "agenda.txt").write_text(AGENDA, encoding="utf-8")
    return tmp_path


def session_json(folder: Path) -> dict:
    (path,) = (folder / "outputs").glob("*/session.json")
    return json.loads(path.read_text())


def test_no_speech_at_all_warns_and_writes_empty_outputs(folder):
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "20", str(folder / "silence.mp3"))
    proc = run(folder, "silence.mp3")
    assert proc.returncode == 0, proc.stderr
    assert "silence.mp3: no speech heard; the outputs hold no text" in " ".join(proc.stderr.split())
    assert session_json(folder)["segments"] == []


@pytest.mark.parametrize(
    "name, args",
    [
        ("two-seconds.wav", ["-t", "2"]),
        ("telephone.wav", ["-ar", "8000", "-ac", "1"]),
        ("six-channels.flac", ["-ac", "6"]),
        ("-'quoted' séance.ogg", []),
    ],
)
def test_odd_recordings_are_processed(folder, short_french_wav, name, args):
    ffmpeg("-i", str(short_french_wav), *args, str(folder / name))
    proc = run(folder, name)
    assert proc.returncode == 0, proc.stderr
    data = session_json(folder)
    expected = 2.0 if name.startswith("two") else data["session"]["duration"]
    assert abs(data["session"]["duration"] - expected) < 0.1
    assert all(0 <= s["start"] <= s["end"] <= data["session"]["duration"] + 0.01 for s in data["segments"])


def test_video_file(folder, short_french_wav):
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=blue:s=160x120:d=6",
        "-i",
        str(short_french_wav),
        "-shortest",
        "-c:v",
        "libx264",
        "-c:a",
        "aac",
        str(folder / "talk.mp4"),
    )
    proc = run(folder, "talk.mp4")
    assert proc.returncode == 0, proc.stderr
    data = session_json(folder)
    assert data["segments"], "the video's speech must be transcribed"
    assert (folder / "outputs" / "talk" / "talk.mp3").is_file()
