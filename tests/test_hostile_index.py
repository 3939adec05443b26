"""Issue 17, a hostile archive: the index never loses a session (another recording under an id, a
rebuild racing a run, a rebuild with nothing to read), hand-edited session.json files, and the
remaining edges at the inputs (absurd sample rates, blank voice names, a limit of 0)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from builders import sample_result

from restitution import audio, index
from restitution.errors import AudioError, ConfigError, SearchIndexError
from restitution.export.feed import build_feed
from restitution.export.session_json import write_session_json
from restitution.types import SessionResult
from restitution.voices import VoiceLibrary

TESTS = Path(__file__).resolve().parent


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{TESTS.parent}{os.pathsep}{TESTS}", "COLUMNS": "400"}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "restitution", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env(), timeout=120)


def publish(result: SessionResult, outputs: Path) -> Path:
    """What a run leaves for the index: outputs/<id>/session.json."""
    return write_session_json(result, outputs / result.session.id / "session.json")


def indexed(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in conn.execute("SELECT id FROM sessions"))
    finally:
        conn.close()


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, Path]:
    outputs = tmp_path / "outputs"
    result = sample_result()
    publish(result, outputs)
    db = outputs / "index.sqlite"
    index.index_session(db, result, outputs / result.session.id)
    return outputs, db


# --- another recording under an existing id -----------------------------------------------------


def other_recording(result: SessionResult, folder: str, sha256: str) -> SessionResult:
    recording = Path(f"recordings/{folder}/audio.mp3")
    return dataclasses.replace(
        result,
        session=dataclasses.replace(result.session, recording=recording),
        audio=dataclasses.replace(result.audio, path=recording, sha256=sha256),
    )


def test_the_index_refuses_another_recording_under_an_id_unless_forced(archive: tuple[Path, Path]) -> None:
    outputs, db = archive
    first = sample_result()
    intruder = other_recording(first, "Atelier 2024", "cd" * 32)
    message = (
        f"{db}: session 'atelier-2024' is already indexed from another recording "
        "(recordings/atelier-2024/audio.mp3); not replacing it with recordings/Atelier 2024/audio.mp3 "
        "(--force replaces it)"
    )
    with pytest.raises(SearchIndexError) as before:
        index.check_free(db, intruder.session, intruder.audio.sha256)  # what a run checks before any work
    assert str(before.value) == message
    with pytest.raises(SearchIndexError) as refused:
        index.index_session(db, intruder, outputs / "atelier-2024")
    assert str(refused.value) == message
    assert [h.session_id for h in index.search(db, "réemploi")] == ["atelier-2024"]

    # The same file re-encoded, or the same contents moved elsewhere, is the same session.
    index.index_session(db, other_recording(first, "atelier-2024", "ef" * 32), outputs / "atelier-2024")
    index.index_session(db, other_recording(first, "moved", "ef" * 32), outputs / "atelier-2024")
    index.index_session(db, intruder, outputs / "atelier-2024", replace=True)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT recording, sha256 FROM sessions").fetchall() == [
        ("recordings/Atelier 2024/audio.mp3", "cd" * 32)
    ]
    conn.close()


# --- index rebuild ------------------------------------------------------------------------------

RACER = """
import sys
from pathlib import Path
from builders import sample_result
from restitution import index
from restitution.export.session_json import write_session_json
from restitution.lock import index_lock

db, outputs, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    result = sample_result(session_id=f"run-{i}", date=f"2024-06-{i % 28 + 1:02d}")
    write_session_json(result, outputs / result.session.id / "session.json")  # export, then index, as a run
    with index_lock(db):
        index.index_session(db, result, outputs / result.session.id)
"""


def test_a_rebuild_racing_runs_loses_no_session(archive: tuple[Path, Path]) -> None:
    outputs, db = archive
    reader = sqlite3.connect(db)  # a search in progress keeps working across every swap
    reader.execute("SELECT count(*) FROM segments").fetchone()
    runs = 12
    racer = subprocess.Popen([sys.executable, "-c", RACER, str(db), str(outputs), str(runs)], env=env())
    rebuilds = []
    try:
        while racer.poll() is None or not rebuilds:
            rebuilds.append(index.rebuild(db, outputs))
    finally:
        racer.wait(timeout=120)
    assert racer.returncode == 0
    assert len(rebuilds) >= 1 and all(1 <= n <= runs + 1 for n in rebuilds)
    want = sorted(["atelier-2024", *(f"run-{i}" for i in range(runs))])
    assert indexed(db) == want, "every session indexed meanwhile is still there"
    hits = index.search(db, "réemploi", limit=100)
    assert sorted(h.session_id for h in hits) == want
    assert reader.execute("SELECT count(DISTINCT sid) FROM segments").fetchone()[0] == runs + 1
    reader.close()
    assert not list(db.parent.glob("*.rebuild*"))


def test_a_rebuild_waits_for_the_index_lock(archive: tuple[Path, Path], tmp_path: Path) -> None:
    outputs, db = archive
    marker = tmp_path / "let-go"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\nfrom restitution.lock import index_lock\n"
         "with index_lock(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(1.5)\n"
         "    Path(sys.argv[2]).touch()\n", str(db), str(marker)],
        stdout=subprocess.PIPE, text=True, env=env(),
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert index.rebuild(db, outputs) == 1
        assert marker.exists(), "the rebuild ran only once the holder let go"
    finally:
        holder.wait()


def test_a_rebuild_with_nothing_to_read_refuses_to_empty_the_index(archive: tuple[Path, Path], tmp_path: Path) -> None:
    _, db = archive
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SearchIndexError) as caught:
        index.rebuild(db, empty)
    assert str(caught.value) == f"{db}: no session.json under {empty} could be read; refusing to empty the index"
    with pytest.raises(SearchIndexError) as typo:
        index.rebuild(db, tmp_path / "outptus")
    assert str(typo.value) == f"{db}: no outputs folder {tmp_path}/outptus; refusing to empty the index"
    (empty / "x").mkdir()
    (empty / "x" / "session.json").write_text("{", "utf-8")
    with pytest.raises(SearchIndexError) as unreadable:
        index.rebuild(db, empty)
    assert str(unreadable.value) == (
        f"{db}: none of the 1 session.json files under {empty} could be read; refusing to empty the index"
    )
    assert indexed(db) == ["atelier-2024"] and not list(db.parent.glob("*.rebuild*"))

    done = cli("index", "rebuild", "--out", "outptus", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        1,
        "error: outptus/index.sqlite: no outputs folder outptus; refusing to empty the index\n",
    )
    (tmp_path / "adir").mkdir()
    done = cli("index", "rebuild", "--out", str(archive[0]), "--index", "adir", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "error: adir: is a folder, not a search index file\n")


def mistyped(outputs: Path) -> dict[str, str]:
    """Hand-edited session.json files, and the warning each one gets."""
    good = publish(sample_result(session_id="good", date="2023-01-01"), outputs)
    data = json.loads(good.read_text())
    cases = {
        "title-list": (["session", "title"], ["not", "text"], "session.title is list, not text"),
        "duration-text": (["session", "duration"], "long", "could not convert string to float: 'long'"),
        "segments-dict": (["segments"], {"a": 1}, "segments is not a list of objects"),
        "session-list": (["session"], [], "session is not an object"),
        "chapter-title-int": (["chapters", 0, "title"], 42, None),
    }
    warnings = {}
    for name, (keys, value, why) in cases.items():
        doc = json.loads(json.dumps(data))
        doc["session"]["id"] = name
        node = doc
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
        path = outputs / name / "session.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(doc), "utf-8")
        warnings[name] = f"{path}: session.json lacks or mistypes a field ({why})" if why else str(path)
    (outputs / "bad-json").mkdir()
    (outputs / "bad-json" / "session.json").write_text('{"schema": ', "utf-8")
    warnings["bad-json"] = f"{outputs}/bad-json/session.json: cannot read session.json: Expecting value"
    return warnings


def test_rebuild_skips_each_unreadable_session_json_by_name(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outputs = tmp_path / "outputs"
    warnings = mistyped(outputs)
    db = outputs / "index.sqlite"
    with caplog.at_level(logging.WARNING, logger="restitution"):
        assert index.rebuild(db, outputs) == 1
    assert indexed(db) == ["good"]
    said = [r.getMessage() for r in caplog.records]
    for name, warning in warnings.items():
        assert any(m.startswith(f"leaving a session out of the index: {warning}") for m in said), name
    assert not list(outputs.glob("*.rebuild*"))


def test_feed_skips_each_unreadable_session_json_by_name(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outputs = tmp_path / "outputs"
    mistyped(outputs)
    for folder in outputs.iterdir():
        (folder / f"{folder.name}.mp3").write_bytes(b"ID3")
    with caplog.at_level(logging.WARNING, logger="restitution"):
        feed = build_feed(outputs, base_url="https://media.example.org/a", title="Ateliers")
    items = feed.getroot().findall("channel/item")
    # What the feed does not read (segments) or reads as text anyway (a chapter title) keeps it in.
    links = sorted(str(item.find("enclosure").get("url")).split("/")[-2] for item in items)  # type: ignore[union-attr]
    assert links == ["chapter-title-int", "good", "segments-dict"]
    said = "\n".join(r.getMessage() for r in caplog.records)
    for name in ("title-list", "duration-text", "session-list", "bad-json"):
        assert f"leaving a session out of the feed: {outputs}/{name}" in said, name


# --- the remaining edges ------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [1, 999, 1_000_000])
def test_an_absurd_sample_rate_is_refused(tmp_path: Path, rate: int) -> None:
    path = tmp_path / "header.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * 1800)
    with pytest.raises(AudioError) as caught:
        audio.probe(path)
    assert str(caught.value) == (
        f"{path}: sample rate {rate:,} Hz is not a recording's (1,000 to 768,000 Hz): a damaged header?"
    )


def test_a_blank_voice_name_is_refused(tmp_path: Path) -> None:
    library = VoiceLibrary(tmp_path / "voices.sqlite")
    with pytest.raises(ConfigError) as caught:
        library.enroll(" \t ", [1.0, 0.0, 0.0], model="m")
    assert str(caught.value) == f"{tmp_path}/voices.sqlite: a voice needs a name, not a blank one"
    done = cli("voices", "enroll", "  ", "clip.wav", "--library", str(tmp_path / "voices.sqlite"), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "error: the voice's name is blank\n")
    assert library.list() == []


@pytest.mark.parametrize("limit", [0, -1, 2.5, True])
def test_search_needs_a_limit_of_at_least_one(archive: tuple[Path, Path], limit: object) -> None:
    with pytest.raises(SearchIndexError) as caught:
        index.search(archive[1], "réemploi", limit=limit)  # type: ignore[arg-type]
    assert str(caught.value) == f"the number of hits must be a whole number, at least 1, not {limit!r}"
