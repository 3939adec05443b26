"""Bad input from the command line: one line on stderr naming the file, exit 1, nothing in outputs/."""

import subprocess
import sys
from pathlib import Path

import pytest

GOOD_AGENDA = "- Ouverture par Léa Kerbrat, présidente.\n- 00:00:20 : Atelier « Données » avec Hugo Delorme.\n"


def restitution(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "restitution", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def assert_user_error(proc: subprocess.CompletedProcess, outputs: Path, *fragments: str) -> str:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    assert not outputs.exists() or not any(outputs.rglob("*")), list(outputs.rglob("*"))
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "agenda.txt").write_text(GOOD_AGENDA, encoding="utf-8")
    return tmp_path


def run_file(workdir: Path, name: str, *extra: str) -> subprocess.CompletedProcess:
    return restitution("run", name, "--agenda", "agenda.txt", "--out", "outputs", *extra, cwd=workdir)


def test_missing_file(workdir):
    line = assert_user_error(run_file(workdir, "nope.mp3"), workdir / "outputs", "nope.mp3")
    assert line == "error: nope.mp3: file not found"


def test_empty_file(workdir):
    (workdir / "empty.mp3").write_bytes(b"")
    assert_user_error(run_file(workdir, "empty.mp3"), workdir / "outputs", "empty.mp3", "empty file")


def test_text_file_named_mp3(workdir):
    (workdir / "notes.mp3").write_text("ceci n'est pas un son\n" * 50)
    assert_user_error(run_file(workdir, "notes.mp3"), workdir / "outputs", "notes.mp3")


def test_truncated_mp3(workdir, short_french_wav):
    full = workdir / "full.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(short_french_wav), "-b:a", "64k", str(full)], check=True)
    data = full.read_bytes()
    (workdir / "cut.mp3").write_bytes(data[: len(data) // 3])
    (workdir / "agenda.txt").write_text("- 00:00:00 : Ouverture\n", encoding="utf-8")
    assert_user_error(run_file(workdir, "cut.mp3", "--offset", "0"), workdir / "outputs", "cut.mp3", "truncated")


def test_wav_header_without_data(workdir):
    import wave

    with wave.open(str(workdir / "hollow.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    assert_user_error(run_file(workdir, "hollow.wav"), workdir / "outputs", "hollow.wav")


def test_agenda_not_increasing(workdir, short_french_wav):
    (workdir / "bad.txt").write_text("- 00:10:00 : A\n- 00:05:00 : B\n", encoding="utf-8")
    proc = restitution("run", str(short_french_wav), "--agenda", "bad.txt", "--out", "outputs", cwd=workdir)
    assert_user_error(proc, workdir / "outputs", "bad.txt", "line 2")


def test_agenda_past_the_end_with_manual_offset(workdir, short_french_wav):
    (workdir / "late.txt").write_text("- 00:00:00 : A\n- 01:00:00 : Très tard\n", encoding="utf-8")
    proc = restitution(
        "run", str(short_french_wav), "--agenda", "late.txt", "--offset", "2", "--out", "outputs", cwd=workdir
    )
    assert_user_error(proc, workdir / "outputs", "late.txt", "line 2", "Très tard", "--lenient")


def test_unknown_config_key(workdir, short_french_wav):
    (workdir / "c.toml").write_text("[asr]\nbeams = 2\n")
    proc = restitution(
        "run", str(short_french_wav), "--agenda", "agenda.txt", "--config", "c.toml", "--out", "outputs", cwd=workdir
    )
    line = assert_user_error(proc, workdir / "outputs")
    assert line == "error: c.toml: unknown key 'asr.beams'"


def test_bad_usage_exits_2(workdir):
    proc = restitution("run", cwd=workdir)
    assert proc.returncode == 2


def test_version(workdir):
    proc = restitution("--version", cwd=workdir)
    assert proc.returncode == 0 and proc.stdout.startswith("restitution ")
