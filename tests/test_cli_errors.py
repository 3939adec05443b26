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


def one_line(proc: subprocess.CompletedProcess) -> str:
    """The single stderr line of a user error, exit 1, no traceback."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_brackets_in_a_path_are_printed_whole(workdir):
    line = one_line(restitution("run", "recordings/[draft]/talk.mp3", cwd=workdir))
    assert line == "error: recordings/[draft]/talk.mp3: file not found"
    assert one_line(restitution("agenda", "[/x].txt", cwd=workdir)) == "error: [/x].txt: file not found"
    (workdir / "[b].txt").write_text("- 00:00:00 : Ouverture [/x] [bold]Léa\n", encoding="utf-8")
    shown = restitution("agenda", "[b].txt", cwd=workdir)
    assert shown.returncode == 0 and "[b].txt" in shown.stdout and "Ouverture [/x] [bold]Léa" in shown.stdout


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--offset", "nan"], "command line: 'offset' must be a finite number, not nan"),
        (["--offset", "inf"], "command line: 'offset' must be a finite number, not inf"),
        (["--offset", "soon"], "command line: 'offset' must be \"auto\", \"none\" or seconds, not 'soon'"),
        (["--num-speakers", "0"], "command line: 'diarization.num_speakers' must be between 1 and 200, not 0"),
        (["--num-speakers", "two"], "Invalid value for '--num-speakers': "),
        (["--language", "french"], "command line: 'language' = 'french' is not a language code Whisper knows (did "),
    ],
)
def test_bad_values_on_the_command_line(workdir, short_french_wav, flags, message):
    line = assert_user_error(run_file(workdir, str(short_french_wav), *flags), workdir / "outputs")
    assert line.startswith(f"error: {message}"), line


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[asr]\nthreads = 100000\n", "'asr.threads' must be between 0 and 256 (0: every core), not 100000"),
        ("[export]\ncaption_max_chars = 0\n", "'export.caption_max_chars' must be between 10 and 200, not 0"),
        ("[export]\ncaption_max_lines = 0\n", "'export.caption_max_lines' must be between 1 and 10, not 0"),
        ("offset = nan\n", "'offset' must be a finite number, not nan"),
        ("offset = inf\n", "'offset' must be a finite number, not inf"),
        ('language = "xx"\n', "'language' = 'xx' is not a language code Whisper knows; "),
    ],
)
def test_bad_numbers_in_config_and_session_toml_name_the_key_and_the_file(workdir, short_french_wav, toml, message):
    (workdir / "c.toml").write_text(toml, encoding="utf-8")
    proc = run_file(workdir, str(short_french_wav), "--config", "c.toml")
    assert assert_user_error(proc, workdir / "outputs").startswith(f"error: c.toml: {message}")
    folder = workdir / "recordings" / "seance"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "audio.wav").write_bytes(short_french_wav.read_bytes())
    (folder / "agenda.txt").write_text(GOOD_AGENDA, encoding="utf-8")
    (folder / "session.toml").write_text(toml, encoding="utf-8")
    proc = restitution("run", "recordings/seance", "--out", "outputs", cwd=workdir)
    line = assert_user_error(proc, workdir / "outputs")
    assert line.startswith(f"error: {folder.resolve() / 'session.toml'}: {message}") or line.startswith(
        f"error: recordings/seance/session.toml: {message}"
    ), line


@pytest.mark.parametrize(
    "args, line",
    [
        (["search", "réemploi", "--limit", "0"], "error: --limit must be at least 1, not 0"),
        (["search", "réemploi", "--limit", "-3"], "error: --limit must be at least 1, not -3"),
        (["batch", "--workers", "0"], "error: --workers must be between 1 and 256, not 0"),
        (["feed", "--language", "fr FR"], "error: --language 'fr FR' is not a language tag such as fr or fr-FR"),
        (["voices", "forget", "  "], "error: the voice's name is blank"),
        (["search", "x", "--config", "[nope].toml"], "error: [nope].toml: config file not found"),
    ],
)
def test_bad_values_for_other_commands(workdir, args, line):
    assert one_line(restitution(*args, cwd=workdir)) == line


def test_a_value_typer_cannot_convert_is_one_line_too(workdir):
    line = one_line(restitution("search", "réemploi", "--limit", "many", cwd=workdir))
    assert line.startswith("error: Invalid value for '--limit'")


def test_markup_in_names_is_printed_as_text(workdir):
    import numpy as np

    from restitution.voices import VoiceLibrary

    library = workdir / "voices.sqlite"
    VoiceLibrary(library).enroll("[/x] [bold]Léa[/bold]", np.ones(192, np.float32), model="test", seconds=3.0)
    listed = restitution("voices", "list", "--library", str(library), cwd=workdir)
    assert listed.returncode == 0 and "[/x] [bold]Léa[/bold]" in listed.stdout, listed.stdout + listed.stderr
    forgot = restitution("voices", "forget", "[/x] [bold]Léa[/bold]", "--library", str(library), cwd=workdir)
    assert forgot.returncode == 0 and forgot.stdout == "forgot [/x] [bold]Léa[/bold] (1 voiceprints)\n"
    missing = restitution("voices", "forget", "[/x]", "--library", str(library), cwd=workdir)
    assert one_line(missing) == "error: no voice named '[/x]' in the library"


def test_search_text_that_is_not_utf8(workdir, tmp_path):
    from builders import sample_result

    from restitution import index

    db = tmp_path / "index.sqlite"
    index.index_session(db, sample_result(), tmp_path / "outputs" / "atelier-2024")
    latin1 = "r\xe9emploi".encode("latin-1")  # what a Latin-1 terminal sends for "réemploi"
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", "search", latin1, "--index", str(db), "--speaker", b"St\xe9phanie"],
        cwd=workdir, capture_output=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr == b"no hits\n"  # "r\ufffdemploi" is not a word of the archive
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", "search", b"ressourceries \xff", "--index", str(db)],
        cwd=workdir, capture_output=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0 and "ressourceries" in proc.stdout.decode("utf-8"), proc.stderr


@pytest.mark.slow
def test_a_recording_name_that_is_not_utf8_and_a_speaker_named_in_markup(workdir, short_french_wav):
    import json

    folder = workdir.joinpath(b"s\xe9ance [draft]".decode("utf-8", "surrogateescape"))
    folder.mkdir()
    recording = folder / b"enregistrement \xe9t\xe9.wav".decode("utf-8", "surrogateescape")
    recording.write_bytes(short_french_wav.read_bytes())
    (folder / "agenda.txt").write_text("- 00:00:00 : Ouverture par Léa Kerbrat, présidente.\n", encoding="utf-8")
    (folder / "session.toml").write_text('language = "fr"\noffset = 0\n[speakers]\nS1 = "[/x] Léa"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", "run", bytes(folder.relative_to(workdir)), "--out", "outputs",
         "--diarization", "none"],
        cwd=workdir, capture_output=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    out = proc.stdout.decode("utf-8")
    (session_dir,) = (workdir / "outputs").glob("*/session.json")
    data = json.loads(session_dir.read_text(encoding="utf-8"))  # valid UTF-8 JSON
    assert data["session"]["recording"].endswith("enregistrement \ufffdt\ufffd.wav")
    assert f"done: outputs/{session_dir.parent.name}" in out
    assert "speakers: [/x] Léa\n" in out  # the name as written, not read as markup
