"""Issue 17, a hostile archive: a batch that nothing stops, ids that never collide, nothing written
outside the outputs. Real processes, real signals, real ffmpeg; models only in the SIGTERM test."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from restitution.batch import run_batch
from restitution.bookkeeping import DONE, FAILED, LOG_NAME
from restitution.errors import OutputError
from restitution.options import load_options
from restitution.pipeline import run_session
from restitution.sessions import alternative_id, load_session, own_id

AGENDA = "- Introduction par Yves Martin\n- 00:00:07 : Présentation des ateliers par Romain Delassus\n"


def tone_session(folder: Path, seconds: int = 14) -> Path:
    folder.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-ac", "1",
         str(folder / "recording.mp3")],
        check=True,
    )  # fmt: skip
    (folder / "agenda.txt").write_text(AGENDA, "utf-8")
    return folder


def corrupt_session(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "recording.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    (folder / "agenda.txt").write_text(AGENDA, "utf-8")
    return folder


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone_session(tmp_path_factory.mktemp("good") / "seance")


def env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": root, "COLUMNS": "400"}


# --- isolation: a worker that dies ends only its session ------------------------------------------


DEATHS = {
    signal.SIGSEGV: "its worker process crashed (SIGSEGV, in native code: a decoder or model library)",
    signal.SIGKILL: "its worker process was killed (SIGKILL: out of memory, or killed by hand)",
    signal.SIGTERM: "its worker process was killed by SIGTERM",  # the worker alone: it ends its stage cleanly
}


@pytest.mark.parametrize("sig", list(DEATHS), ids=lambda s: s.name)
def test_a_worker_killed_mid_session_is_recorded_and_the_batch_goes_on(
    tmp_path: Path, good: Path, sig: signal.Signals
) -> None:
    root = tmp_path / "recordings"
    shutil.copytree(good, root / "a-crash")
    corrupt_session(root / "b-corrupt")
    out = tmp_path / "outputs"
    killed: list[int] = []

    def hook(step: str, sid: str | None = None, **kw: object) -> None:
        # The default batch (one worker): the session runs in a child process, whose pid is in run.log.
        if sid == "a-crash" and step == "decode" and not killed:
            pid = int(re.findall(r"by pid (\d+)", (out / "a-crash" / LOG_NAME).read_text())[-1])
            assert pid != os.getpid()
            os.kill(pid, sig)
            killed.append(pid)

    report = run_batch(root, overrides={"outputs": str(out), "language": "fr"}, hook=hook)
    assert killed, "the session was killed while it ran"
    crash, corrupt = report.outcomes
    assert (crash.id, crash.status, crash.reason) == ("a-crash", "failed", DEATHS[sig])
    assert crash.stage in ("decode", "transcribe") and crash.log == out / "a-crash" / LOG_NAME
    failed = json.loads((out / "a-crash" / ".work" / FAILED).read_text())
    assert (failed["error"], failed["stage"], failed["source"]) == (DEATHS[sig], crash.stage, "a-crash")
    assert not (out / "a-crash" / ".lock").exists(), "the dead worker's lock is cleaned up"
    assert f"failed at {crash.stage}: {DEATHS[sig]}" in crash.log.read_text()
    # The batch went on to the next session, in a new worker.
    assert (corrupt.status, corrupt.stage) == ("failed", "prepare") and "corrupt or truncated audio" in corrupt.reason

    runs = crash.log.read_text().count("run of a-crash")
    again = run_batch(root, overrides={"outputs": str(out), "language": "fr"})
    assert again.outcomes[0].reason == f"failed earlier, not retried (--retry-failed): {DEATHS[sig]}"
    assert crash.log.read_text().count("run of a-crash") == runs, "a crash is not retried unless asked"


# --- every per-session error is that session's, named, and the batch goes on ----------------------


def test_configuration_errors_fail_their_session_only(tmp_path: Path, good: Path) -> None:
    root, out, elsewhere = tmp_path / "recordings", tmp_path / "outputs", tmp_path / "elsewhere"
    out.mkdir()
    (out / "notadb.txt").write_text("not a database\n", "utf-8")
    (out / "adir").mkdir()
    tomls = {
        "a-notadb": f'index = "{out}/notadb.txt"\n',
        "b-index-folder": f'index = "{out}/adir"\n',
        "c-outputs": f'outputs = "{elsewhere}"\n',
        "d-index": f'index = "{elsewhere}/index.sqlite"\n',
        "e-voices": f'[voices]\nlibrary = "{elsewhere}/voices.sqlite"\n',
    }
    for name, text in tomls.items():
        shutil.copytree(good, root / name)
        (root / name / "session.toml").write_text(text, "utf-8")
    shutil.copytree(good, root / "f-toml-folder")
    (root / "f-toml-folder" / "session.toml").mkdir()
    shutil.copytree(good, root / "g-not-utf8")
    (root / "g-not-utf8" / "session.toml").write_bytes(b"title = '\xff\xfe'\n")
    shutil.copytree(good, root / "z-good")
    # In config.toml, not on the command line: a flag would override the session.toml's `outputs`.
    config = tmp_path / "config.toml"
    config.write_text(f'outputs = "{out}"\n', "utf-8")

    report = run_batch(root, config=config, dry_run=True)
    reasons = {o.id: (o.status, o.reason) for o in report.outcomes}
    toml = {name: root / name / "session.toml" for name in [*tomls, "f-toml-folder", "g-not-utf8"]}
    assert reasons == {
        "a-notadb": ("failed", f"{out}/notadb.txt: is not an SQLite database: cannot be the search index"),
        "b-index-folder": ("failed", f"{out}/adir: is a folder, not a search index file"),
        "c-outputs": (
            "failed",
            f"{toml['c-outputs']}: 'outputs' puts the outputs at {elsewhere}, outside the batch's outputs folder {out}",
        ),
        "d-index": (
            "failed",
            f"{toml['d-index']}: 'index' puts the search index at {elsewhere}/index.sqlite, "
            f"outside the batch's outputs folder {out}",
        ),
        "e-voices": (
            "failed",
            f"{toml['e-voices']}: 'voices.library' puts the voice library at {elsewhere}/voices.sqlite, "
            f"outside the batch's outputs folder {out}",
        ),
        "f-toml-folder": (
            "failed",
            f"{toml['f-toml-folder']}: is not a file (a folder?): cannot read the session's settings",
        ),
        "g-not-utf8": ("failed", f"{toml['g-not-utf8']}: not valid UTF-8 TOML"),
        "z-good": ("planned", "new"),
    }
    assert not elsewhere.exists()
    # Not a dry run either: every bad session is reported and nothing stops the batch.
    shutil.rmtree(root / "z-good")
    real = run_batch(root, config=config)
    assert [(o.id, o.status, o.reason) for o in real.outcomes] == [
        (sid, *reasons[sid]) for sid in sorted(reasons) if sid != "z-good"
    ]
    assert not elsewhere.exists() and sorted(p.name for p in out.iterdir()) == ["adir", "notadb.txt"]
    assert (out / "notadb.txt").read_text() == "not a database\n"


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv (drops privileges)"
)
def test_unreadable_folders_and_session_toml_fail_their_session_only(good: Path) -> None:
    # Permissions do not stop root: the batch runs as `nobody`, in a folder nobody can read.
    base = Path(tempfile.mkdtemp(prefix="restitution-perm-"))
    try:
        base.chmod(0o777)  # nobody may create the outputs and the index there
        root, out = base / "recordings", base / "outputs"
        for name in ("a-locked", "b-toml-locked", "c-good"):
            shutil.copytree(good, root / name)
        (root / "b-toml-locked" / "session.toml").write_text('title = "x"\n', "utf-8")
        (root / "b-toml-locked" / "session.toml").chmod(0)
        (root / "a-locked").chmod(0)
        for path in [root, *[p for p in root.iterdir() if p.name != "a-locked"], *(root / "c-good").iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        (root / "b-toml-locked" / "session.toml").chmod(0)
        for path in (root / "b-toml-locked").iterdir():
            if path.name != "session.toml":
                path.chmod(0o644)
        command = [
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            sys.executable, "-m", "restitution", "batch", str(root), "--out", str(out), "--dry-run",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=base, env=env(), timeout=120)
        text = " ".join(done.stdout.split())
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert f"prepare: {root}/a-locked: cannot read: Permission denied" in text
        assert f"prepare: {root}/b-toml-locked/session.toml: cannot read: Permission denied" in text
        assert "1 to process" in text and "2 failed" in text
    finally:
        (base / "recordings" / "a-locked").chmod(0o755)
        shutil.rmtree(base)


# --- ids never collide --------------------------------------------------------------------------


def test_run_takes_a_distinct_id_when_the_output_folder_is_another_sessions(
    tmp_path: Path, good: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(good, tmp_path / "Séance")
    session, _, _ = load_session(tmp_path / "Séance")
    out = tmp_path / "outputs"
    assert own_id(session, out) == session, "a free folder keeps the slug"
    (out / "seance" / ".work").mkdir(parents=True)
    (out / "seance" / ".work" / DONE).write_text(json.dumps({"source": "seance"}), "utf-8")
    with caplog.at_level(logging.WARNING, logger="restitution"):
        moved = own_id(session, out)
    assert moved.id == alternative_id(session) and re.fullmatch(r"seance-[0-9a-f]{6}", moved.id)
    assert f"session Séance gets the id {moved.id}: {out}/seance holds the outputs of seance" in caplog.text
    # Its own folder (done.json says so) is kept; so is one whose session.json names its recording.
    (out / "seance" / ".work" / DONE).write_text(json.dumps({"source": "Séance"}), "utf-8")
    assert own_id(session, out).id == "seance"
    (out / "seance" / ".work" / DONE).unlink()
    recording = {"session": {"recording": str(tmp_path / "seance" / "recording.mp3")}}
    (out / "seance" / "session.json").write_text(json.dumps(recording), "utf-8")
    assert own_id(session, out).id == moved.id


# --- nothing written outside the session's folder --------------------------------------------------


@pytest.mark.parametrize("link", [".work", LOG_NAME, ".lock"])
def test_a_books_symlink_leading_out_is_refused_before_anything_is_written(
    tmp_path: Path, good: Path, link: str
) -> None:
    session, _, _ = load_session(good)
    out, elsewhere = tmp_path / "outputs", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / session.id).mkdir(parents=True)
    target = elsewhere / link
    if link == ".work":
        target.mkdir()
    (out / session.id / link).symlink_to(target)
    options = load_options(overrides={"outputs": str(out), "language": "fr"})
    with pytest.raises(OutputError) as caught:
        run_session(session, options, inputs={})  # a batch job: it would log to run.log
    assert str(caught.value) == (
        f"{out / session.id / link}: is a symlink to {target}, outside {out / session.id}; "
        "refusing to write or delete through it"
    )
    assert list(elsewhere.rglob("*")) == ([target] if link == ".work" else [])


def test_a_bad_index_is_refused_before_decoding(tmp_path: Path, good: Path) -> None:
    out = tmp_path / "outputs"
    (tmp_path / "adir").mkdir()
    (tmp_path / "notadb.txt").write_text("notes\n", "utf-8")
    for index, message in (
        ("adir", "is a folder, not a search index file"),
        ("notadb.txt", "is not an SQLite database: cannot be the search index"),
        ("notadb.txt/index.sqlite", f"cannot create the search index: {tmp_path}/notadb.txt is not a folder"),
    ):
        command = [sys.executable, "-m", "restitution", "run", str(good), "--out", str(out), "--index", index]
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env(), timeout=120)
        assert (done.returncode, done.stderr) == (1, f"error: {index}: {message}\n")
        assert not out.exists(), "nothing decoded, nothing written"


# --- SIGTERM ends a run as Ctrl-C does ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "batch"])
def test_sigterm_during_transcription_releases_the_lock_and_says_so(tmp_path: Path, good: Path, command: str) -> None:
    out = tmp_path / "outputs"
    target = good if command == "run" else good.parent  # a batch of that one session, in a worker process
    args = [sys.executable, "-m", "restitution", command, str(target), "--out", str(out)]
    if command == "run":
        args += ["--language", "fr"]
    run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env())
    decoded = out / "seance" / ".work" / "decode.json"
    deadline = time.monotonic() + 300
    while not decoded.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (out / "seance" / ".lock").exists(), "the session is locked while it is transcribed"
    run.send_signal(signal.SIGTERM)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 143
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "terminated (SIGTERM): the stage in progress was abandoned; run again to resume"
    assert not (out / "seance" / ".lock").exists()
    assert not (out / "seance" / ".work" / DONE).exists() and not (out / "seance" / "session.json").exists()
    assert not (out / "seance" / ".work" / FAILED).exists(), "an interruption is not a failure"
    assert not [p for p in out.rglob("*.part")]
