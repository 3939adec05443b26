"""Batches: discovery, skip and retry rules, failures recorded, locks, the report; then the real
thing end to end (real models): 5 sessions with 2 bad ones, a SIGKILL and a resume, a Dask cluster.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from restitution.batch import format_report, run_batch
from restitution.bookkeeping import DONE, FAILED, session_log
from synth import VOICES, ItemSpec, SynthSpeaker, make_session

BAD_AGENDA = (
    "- Introduction par Yves Martin\n- 00:00:20 : Ateliers par Romain Delassus\n- 00:00:10 : Retour en arrière\n"
)


def short_items() -> list[ItemSpec]:
    # Two male voices: base Whisper hears espeak-ng's female French variants poorly, and a
    # repetition loop on a misheard voice would only make the test slow.
    a = SynthSpeaker("Yves Martin", "Fondateur du Bureau des Possibles", *VOICES[0])
    b = SynthSpeaker("Romain Delassus", "Chef du service du numérique", *VOICES[2])
    return [ItemSpec("Introduction", [a], seconds=7), ItemSpec("Présentation des ateliers", [b], seconds=7)]


def good_session(folder: Path, seed: int) -> Path:
    # offset 0: a recording that starts mid-word sends base Whisper into a repetition loop on
    # these short synthetic sessions, and the whole 30 s window is then dropped as non-speech.
    make_session(folder, seed=seed, offset=0.0, items=short_items())
    (folder / "truth.json").unlink()
    return folder


def corrupt_session(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "recording.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    (folder / "agenda.txt").write_text("- Introduction par Anne Le Gall\n", "utf-8")
    return folder


def bad_agenda_session(folder: Path, source: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(source / "recording.mp3", folder / "recording.mp3")
    (folder / "agenda.txt").write_text(BAD_AGENDA, "utf-8")
    return folder


def overrides(out: Path, **more) -> dict:
    return {"outputs": str(out), "language": "fr", **more}


# --- without models: everything that is decided before a model runs -----------------------------


@pytest.fixture(scope="module")
def one_good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid session folder whose recording is 14 s of tone: every decision below is made
    before a model hears anything, so no speech needs synthesizing."""
    folder = tmp_path_factory.mktemp("good") / "seance-1"
    folder.mkdir()
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=14", "-ac", "1",
         str(folder / "recording.mp3")],
        check=True,
    )  # fmt: skip
    agenda = "- Introduction par Yves Martin\n- 00:00:07 : Présentation des ateliers par Romain Delassus\n"
    (folder / "agenda.txt").write_text(agenda, "utf-8")
    return folder


def test_bad_inputs_are_recorded_and_not_retried_until_asked(tmp_path: Path, one_good: Path) -> None:
    root = tmp_path / "recordings"
    corrupt_session(root / "corrupt")
    bad_agenda_session(root / "bad-agenda", one_good)
    two = root / "two-recordings"
    shutil.copytree(one_good, two)
    shutil.copy(one_good / "recording.mp3", two / "copy.mp3")
    (root / "not-a-session").mkdir()
    out = tmp_path / "outputs"
    events: list[tuple] = []

    report = run_batch(root, overrides=overrides(out), hook=lambda step, sid=None, **kw: events.append((step, sid)))
    assert [(o.id, o.status, o.stage) for o in report.outcomes] == [
        ("bad-agenda", "failed", "prepare"),
        ("corrupt", "failed", "prepare"),
        ("two-recordings", "failed", "prepare"),
    ]
    bad, corrupt, two_rec = report.outcomes
    assert "line 3" in bad.reason and "agenda.txt" in bad.reason
    assert "corrupt" in corrupt.reason and "recording.mp3" in corrupt.reason
    assert "more than one recording" in two_rec.reason
    assert not report.ok and report.processed == [] and report.audio_hours == 0
    for o in (bad, corrupt):
        assert o.log == out / o.id / "run.log" and "ERROR" in o.log.read_text()
        failed = json.loads((out / o.id / ".work" / FAILED).read_text())
        assert failed["error"] == o.reason and failed["stage"] == "prepare" and failed["log"] == str(o.log)
        assert not (out / o.id / ".lock").exists()
    assert ("failed", "corrupt") in events and events[-1] == ("batch", None)

    again = run_batch(root, overrides=overrides(out))
    assert [o.status for o in again.outcomes] == ["failed"] * 3
    assert again.outcomes[0].reason.startswith("failed earlier, not retried (--retry-failed): ")
    assert again.outcomes[0].reason.endswith(bad.reason)
    log_size = (out / "corrupt" / "run.log").stat().st_size
    assert log_size == again.outcomes[1].log.stat().st_size, "a failure that is not retried is not rerun"

    retried = run_batch(root, overrides=overrides(out), retry_failed=True)
    assert [o.reason for o in retried.outcomes] == [bad.reason, corrupt.reason, two_rec.reason]
    assert (out / "corrupt" / "run.log").stat().st_size > log_size


def test_a_fixed_input_is_retried_without_asking(tmp_path: Path, one_good: Path) -> None:
    root = tmp_path / "recordings"
    folder = bad_agenda_session(root / "bad-agenda", one_good)
    out = tmp_path / "outputs"
    assert run_batch(root, overrides=overrides(out)).outcomes[0].stage == "prepare"
    # Still wrong, but changed: the archivist touched it, so it runs again.
    (folder / "agenda.txt").write_text(BAD_AGENDA.replace("00:00:10", "00:00:05"), "utf-8")
    report = run_batch(root, overrides=overrides(out), dry_run=True)
    assert (report.outcomes[0].status, report.outcomes[0].reason) == (
        "planned",
        "retry: inputs, options or version changed",
    )


def test_dry_run_plans_and_writes_nothing(tmp_path: Path, one_good: Path) -> None:
    root = tmp_path / "recordings"
    shutil.copytree(one_good, root / "seance-1")
    corrupt_session(root / "corrupt")
    out = tmp_path / "outputs"
    report = run_batch(root, overrides=overrides(out), dry_run=True)
    assert [(o.id, o.status, o.reason) for o in report.outcomes] == [
        ("corrupt", "planned", "new"),
        ("seance-1", "planned", "new"),
    ]
    assert not out.exists()
    table = Console(record=True, width=200)
    table.print(format_report(report))
    assert "2 to process" in table.export_text()


def test_a_session_locked_by_a_live_process_is_skipped_not_failed(tmp_path: Path, one_good: Path) -> None:
    root = tmp_path / "recordings"
    shutil.copytree(one_good, root / "seance-1")
    out = tmp_path / "outputs"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom restitution.lock import session_lock\n"
            "with session_lock(Path(sys.argv[1])):\n    print('locked', flush=True)\n    time.sleep(120)\n",
            str(out / "seance-1"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        report = run_batch(root, overrides=overrides(out))
    finally:
        holder.kill()
        holder.wait()
    (outcome,) = report.outcomes
    assert outcome.status == "skipped" and f"being processed by pid {holder.pid}" in outcome.reason
    assert report.ok
    assert not (out / "seance-1" / ".work" / FAILED).exists()


def test_names_that_slug_alike_get_distinct_stable_ids(tmp_path: Path, one_good: Path, caplog) -> None:
    root = tmp_path / "recordings"
    shutil.copytree(one_good, root / "Séance 1")
    shutil.copytree(one_good, root / "seance-1")
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="restitution"):
        report = run_batch(root, overrides=overrides(out), dry_run=True)
    first, second = report.outcomes
    assert [o.status for o in report.outcomes] == ["planned", "planned"]
    # By name first: "Séance 1" sorts before "seance-1" and keeps the plain slug.
    assert first.id == "seance-1" and first.folder.name == "Séance 1"
    assert second.id.startswith("seance-1-") and len(second.id) == len("seance-1-") + 6
    assert f"session seance-1 gets the id {second.id}: its slug is also that of" in caplog.text
    again = run_batch(root, overrides=overrides(out), dry_run=True)
    assert [o.id for o in again.outcomes] == [first.id, second.id], "ids are stable from one batch to the next"

    # An output folder already made from "seance-1" stays its own, whatever the order of names.
    (out / "seance-1" / ".work").mkdir(parents=True)
    (out / "seance-1" / ".work" / DONE).write_text(json.dumps({"source": "seance-1"}), "utf-8")
    owned = run_batch(root, overrides=overrides(out), dry_run=True)
    by_folder = {o.folder.name: o.id for o in owned.outcomes}
    assert by_folder["seance-1"] == "seance-1"
    assert by_folder["Séance 1"].startswith("seance-1-") and by_folder["Séance 1"] != second.id


def test_session_log_captures_info_without_making_the_console_chatty(tmp_path: Path) -> None:
    logger = logging.getLogger("restitution")
    console = logging.StreamHandler(stream := __import__("io").StringIO())
    logger.addHandler(console)
    old = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with session_log(tmp_path) as path:
            logger.info("reusing cached result")
            logger.warning("careful")
        logger.info("after the session")
    finally:
        logger.removeHandler(console)
        logger.setLevel(old)
    text = path.read_text()
    assert "INFO reusing cached result" in text and "WARNING careful" in text and "after the session" not in text
    assert stream.getvalue() == "careful\n"
    assert logger.level == old and console.level == logging.NOTSET


def test_report_table_counts_and_shows_errors_literally(tmp_path: Path) -> None:
    from restitution.batch import BatchReport, Outcome

    report = BatchReport(
        [
            Outcome("a", tmp_path, "processed", "new", audio_seconds=5400.0, seconds=600.0),
            Outcome("b", tmp_path, "skipped", "complete"),
            Outcome("c", tmp_path, "failed", "x.mp3: [red]corrupt[/red] audio", "decode", tmp_path / "c" / "run.log"),
        ],
        wall_time=3725.0,
    )
    console = Console(record=True, width=220)
    console.print(format_report(report))
    text = console.export_text()
    assert "1 processed, 1 skipped, 1 failed; 1.50 h of audio in 01:02:05" in text
    assert "decode: x.mp3: [red]corrupt[/red] audio" in text and "run.log" in text
    assert "01:30:00" in text


def test_bad_config_fails_the_whole_batch(tmp_path: Path) -> None:
    from restitution.errors import ConfigError

    (tmp_path / "recordings").mkdir()
    with pytest.raises(ConfigError, match="unknown key 'nope'"):
        run_batch(tmp_path / "recordings", overrides={"nope": 1})
    with pytest.raises(Exception, match="at least 1"):
        run_batch(tmp_path / "recordings", workers=0)


# --- end to end, real models ----------------------------------------------------------------------

GOOD = ("seance-1", "seance-2", "seance-3")
# Voice enrollment makes a session's names depend on which sessions ran before it, which
# differs between a sequential and a parallel run; the comparisons below turn it off.
E2E = {"language": "fr", "voices": {"enroll": False}}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five session folders: three good ones (~17 s each), a corrupt file, an agenda going back in time."""
    root = tmp_path_factory.mktemp("archive") / "recordings"
    for i, sid in enumerate(GOOD, 1):
        good_session(root / sid, seed=i)
    corrupt_session(root / "corrupt")
    bad_agenda_session(root / "ordre", root / "seance-1")
    return root


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def __call__(self, step: str, sid: str | None = None, **kw: object) -> None:
        self.seen.append((step, sid))

    def stages(self, sid: str) -> list[str]:
        steps = [step for step, s in self.seen if s == sid]
        return [s for i, s in enumerate(steps) if i == 0 or steps[i - 1] != s]


@pytest.fixture(scope="module")
def reference(archive: Path, tmp_path_factory: pytest.TempPathFactory):
    """The archive through two local worker processes."""
    out = tmp_path_factory.mktemp("reference") / "outputs"
    events = Events()
    report = run_batch(archive, overrides={**E2E, "outputs": str(out)}, workers=2, hook=events)
    return out, report, events


def snapshot(out_dir: Path) -> dict[str, bytes]:
    """Every published file of a session; session.json without the paths that differ by design."""
    files = {}
    for path in sorted(out_dir.rglob("*")):
        rel = path.relative_to(out_dir)
        if path.is_dir() or rel.parts[0] == ".work" or path.name in ("run.log", ".lock"):
            continue
        data = path.read_bytes()
        if path.name == "session.json":
            doc = json.loads(data)
            doc["session"].pop("recording")
            doc["options"].pop("outputs")
            data = json.dumps(doc, sort_keys=True).encode()
        files[rel.as_posix()] = data
    return files


def assert_same_outputs(got: Path, want: Path) -> None:
    a, b = snapshot(got), snapshot(want)
    assert sorted(a) == sorted(b)
    different = [name for name in a if a[name] != b[name]]
    assert not different, f"outputs differ from the reference run: {different}\n{first_difference(got, want)}"


def first_difference(got: Path, want: Path) -> str:
    """The transcripts' first differing lines: whether words, names or times moved tells a
    numeric drift from a naming or cutting difference."""
    a = (got / "transcript.txt").read_text("utf-8").splitlines()
    b = (want / "transcript.txt").read_text("utf-8").splitlines()
    lines = list(difflib.unified_diff(b, a, "reference", "this run", n=0, lineterm=""))
    return "\n".join(lines[:12]) or "transcript.txt alike"


def no_partials(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".part") or p.name == ".lock"]


@pytest.mark.slow
def test_five_sessions_three_processed_two_failed_then_skipped(reference, archive: Path) -> None:
    out, report, events = reference
    assert [(o.id, o.status) for o in report.outcomes] == [
        ("corrupt", "failed"),
        ("ordre", "failed"),
        ("seance-1", "processed"),
        ("seance-2", "processed"),
        ("seance-3", "processed"),
    ]
    corrupt, ordre = report.failed
    assert corrupt.stage == ordre.stage == "prepare"
    assert "recording.mp3: corrupt or truncated audio" in corrupt.reason
    assert "agenda.txt" in ordre.reason and "line 3" in ordre.reason
    from restitution import audio

    seconds = sum(audio.probe(archive / sid / "recording.mp3").duration for sid in GOOD)
    assert report.audio_hours * 3600 == pytest.approx(seconds, abs=0.1)
    assert not report.ok and not no_partials(out)
    for sid in GOOD:
        done = json.loads((out / sid / ".work" / DONE).read_text())
        assert {"session.json", f"{sid}.vtt", f"{sid}.srt", f"{sid}.mp3", "transcript.json", "chapters.json"} <= set(
            done["outputs"]
        )
        assert events.stages(sid)[:4] == ["prepare", "decode", "speech", "transcribe"], (
            "stage events come back from the workers"
        )
        assert events.stages(sid)[-1] == "processed"
        assert "run of " + sid in (out / sid / "run.log").read_text()
        words = [w for s in json.loads((out / sid / "session.json").read_text())["segments"] for w in s["words"]]
        assert len(words) > 10, "the real model transcribed the speech"
    logs = " ".join((out / sid / "run.log").read_text() for sid in GOOD)
    assert logs.count("loaded the Whisper model in this process") == 2, "one load per worker process"
    assert logs.count("reused the Whisper model already loaded in this process") == 1
    import sqlite3

    with sqlite3.connect(out / "index.sqlite") as db:
        assert db.execute("select count(*) from sessions").fetchone()[0] == 3

    sizes = {sid: (out / sid / "run.log").stat().st_size for sid in GOOD}
    again = run_batch(archive, overrides={**E2E, "outputs": str(out)}, workers=2)
    assert [o.status for o in again.outcomes] == ["failed", "failed", "skipped", "skipped", "skipped"]
    assert all(o.reason == "complete" for o in again.skipped)
    assert all("not retried" in o.reason for o in again.failed)
    assert {sid: (out / sid / "run.log").stat().st_size for sid in GOOD} == sizes, (
        "a second run only checks fingerprints"
    )

    retried = run_batch(archive, overrides={**E2E, "outputs": str(out)}, retry_failed=True)
    assert [o.status for o in retried.outcomes] == ["failed", "failed", "skipped", "skipped", "skipped"]
    assert [o.reason for o in retried.failed] == [corrupt.reason, ordre.reason]


KILLABLE = """
import json, sys
from pathlib import Path
from restitution.batch import run_batch
report = run_batch(Path(sys.argv[1]), overrides=json.loads(sys.argv[2]))
sys.exit(0 if report.ok else 1)
"""


@pytest.mark.slow
def test_sigkill_mid_session_then_resume_gives_the_same_outputs(reference, archive: Path, tmp_path: Path) -> None:
    ref_out = reference[0]
    root = tmp_path / "recordings"
    shutil.copytree(archive / "seance-2", root / "seance-2")
    out = tmp_path / "outputs"
    args = [sys.executable, "-c", KILLABLE, str(root), json.dumps({**E2E, "outputs": str(out)})]
    cached = out / "seance-2" / ".work" / "transcribe.json"
    batch = subprocess.Popen(args)
    deadline = time.monotonic() + 900
    while not cached.exists() and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(batch.pid, signal.SIGKILL)
    assert batch.wait() == -signal.SIGKILL, "the batch must still have been running when killed"
    assert not (out / "seance-2" / ".work" / DONE).exists(), "killed in the middle of the session"
    for path in (out / "seance-2").rglob("*"):
        if path.suffix == ".json" and not path.name.startswith("."):
            json.loads(path.read_text())  # every visible file is whole
    mtime = cached.stat().st_mtime_ns

    assert subprocess.run(args).returncode == 0
    assert cached.stat().st_mtime_ns == mtime, "the finished transcription was not recomputed"
    log = (out / "seance-2" / "run.log").read_text()
    assert log.count("run of seance-2") == 2 and "transcribe: reusing cached result" in log
    assert not no_partials(out)
    assert_same_outputs(out / "seance-2", ref_out / "seance-2")


@pytest.mark.slow
def test_dask_cluster_gives_the_same_outputs(reference, archive: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="pip install dask distributed")
    ref_out, ref_report, _ = reference
    out = tmp_path / "outputs"
    events = Events()
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster:
        report = run_batch(
            archive, overrides={**E2E, "outputs": str(out)}, scheduler=cluster.scheduler_address, hook=events
        )
    assert [(o.id, o.status, o.reason) for o in report.outcomes] == [
        (o.id, o.status, o.reason) for o in ref_report.outcomes
    ]
    for sid in GOOD:
        assert_same_outputs(out / sid, ref_out / sid)
        assert "transcribe" in events.stages(sid), "stage events come back from the Dask workers"
    assert not no_partials(out)


def test_cli_batch_exits_non_zero_when_a_session_failed(tmp_path: Path, one_good: Path) -> None:
    root = tmp_path / "recordings"
    corrupt_session(root / "corrupt")
    shutil.copytree(one_good, root / "seance-1")
    out = tmp_path / "outputs"
    command = [sys.executable, "-m", "restitution", "batch", str(root), "--out", str(out)]
    planned = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert "2 to process" in " ".join(planned.stdout.split())
    # Only the corrupt one runs: it fails before any model is loaded.
    shutil.rmtree(root / "seance-1")
    wide = {**os.environ, "COLUMNS": "300"}  # one table row per line, so the error reads whole
    failed = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=wide)
    assert failed.returncode == 1
    text = " ".join(failed.stdout.split())
    assert "0 processed, 0 skipped, 1 failed" in text and "corrupt or truncated audio" in text
