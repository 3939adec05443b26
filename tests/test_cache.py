"""The stage cache and its keys: reuse, honest misses in both directions, and what `batch` makes of
them after an upgrade. Keys and plans are checked without models; one slow test runs the real thing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path

import pytest

from restitution import pipeline
from restitution.batch import run_batch
from restitution.bookkeeping import DONE, mark_complete
from restitution.cache import StageCache
from restitution.options import PipelineOptions, load_options
from restitution.pipeline import STAGE_NAMES, outputs_stale, stage_keys
from restitution.sessions import load_session
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, AudioInfo, Offset, Session, SessionResult, Turn

# --- the cache itself ------------------------------------------------------------------------------


def test_roundtrip_and_key_change(tmp_path: Path) -> None:
    cache = StageCache(tmp_path / ".work")
    cache.save("diarize", "k1", Turn(0.0, 1.5, "S1"), algorithm=3)
    assert cache.load("diarize", "k1", Turn) == Turn(0.0, 1.5, "S1")
    assert cache.load("diarize", "k2", Turn) is None, "another key is a miss"
    entry = json.loads(cache.path("diarize").read_text())
    assert (entry["algorithm"], entry["made_by"]) == (3, __import__("restitution").__version__)


def test_partial_file_is_a_miss(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    cache.path("x").write_text('{"key": "k", "value": {"start"')
    assert cache.load("x", "k", Turn) is None


def test_no_temp_files_left(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    cache.save("t", "k", Turn(1.0, 2.0, "S2"), algorithm=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]


def test_file_results_and_forgetting_a_stage_with_its_parts(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    cache.save("export", "k", None, algorithm=1)
    cache.save("export.mp3", "m", None, algorithm=1)
    cache.save("index", "i", None, algorithm=1)
    assert cache.fresh("export.mp3", "m") and not cache.fresh("export.mp3", "other")
    cache.forget("export")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json"]


# --- keys, without models -------------------------------------------------------------------------

SESSION = Session("seance", Path("recordings/seance/recording.mp3"), Path("agenda.txt"), title="Séance")
AGENDA = Agenda(
    (
        AgendaItem(0.0, "Introduction", (AgendaSpeaker("Léa Kerbrat", "présidente"),), line=1),
        AgendaItem(60.0, "Ateliers", (AgendaSpeaker("Hugo Delorme"),), line=2),
    )
)
SHA = "ab" * 32


def keys(options: PipelineOptions | None = None, agenda: Agenda = AGENDA, session: Session = SESSION) -> dict[str, str]:
    found = stage_keys(session, options or PipelineOptions(), agenda, SHA)
    return {name: key.key for name, key in found.stages.items()}


def changed(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return [name for name in a if a[name] != b.get(name)]


def with_version(stage: str, version: int) -> tuple[pipeline.Stage, ...]:
    return tuple(dataclasses.replace(s, version=version) if s.name == stage else s for s in pipeline.STAGES)


def test_every_stage_has_a_key_and_the_progress_steps_are_the_table() -> None:
    assert list(keys()) == list(STAGE_NAMES)
    assert STAGE_NAMES == (
        "decode",
        "speech",
        "transcribe",
        "diarize",
        "recover",
        "offset",
        "chapters",
        "refine",
        "speakers",
        "correct",
        "export",
        "index",
        "enroll",
    )


def test_threads_paths_and_progress_change_no_key() -> None:
    base = PipelineOptions()
    other = dataclasses.replace(
        base,
        outputs="elsewhere",
        index="/tmp/other.sqlite",
        asr=dataclasses.replace(base.asr, threads=7),
        diarization=dataclasses.replace(base.diarization, threads=3),
        voices=dataclasses.replace(base.voices, library="/tmp/voices.sqlite"),
    )
    moved = dataclasses.replace(SESSION, recording=Path("/elsewhere/recording.mp3"), agenda_path=Path("/x/agenda.txt"))
    relined = Agenda(
        tuple(dataclasses.replace(item, line=item.line + 5) for item in AGENDA.items), source="/x/agenda.txt"
    )
    assert keys(other, relined, moved) == keys()


def test_a_version_bump_changes_that_stage_and_every_stage_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    before = keys()
    monkeypatch.setattr(pipeline, "STAGES", with_version("offset", 2))
    assert changed(before, keys()) == [
        "offset",
        "chapters",
        "refine",
        "speakers",
        "correct",
        "export",
        "index",
        "enroll",
    ]


def test_an_option_changes_its_stage_and_what_reads_it_only() -> None:
    base = PipelineOptions()
    beam = dataclasses.replace(base, asr=dataclasses.replace(base.asr, beam_size=2))
    assert "diarize" not in changed(keys(), keys(beam)), "diarization does not read the transcript"
    assert changed(keys(), keys(beam))[:3] == ["transcribe", "recover", "offset"]
    snap = dataclasses.replace(base, chapters=dataclasses.replace(base.chapters, snap_window=3.0))
    assert changed(keys(), keys(snap)) == ["chapters", "refine", "speakers", "correct", "export", "index", "enroll"]
    page = dataclasses.replace(base, export=dataclasses.replace(base.export, base_url="https://example.org/"))
    assert changed(keys(), keys(page)) == ["export"]


def test_the_agenda_reaches_diarization_only_through_its_speaker_count() -> None:
    retitled = Agenda((dataclasses.replace(AGENDA.items[0], title="Ouverture"), AGENDA.items[1]))
    assert changed(keys(), keys(agenda=retitled))[0] == "offset"
    third = Agenda((*AGENDA.items, AgendaItem(90.0, "Conclusion", (AgendaSpeaker("Sophie Marchand"),))))
    assert changed(keys(), keys(agenda=third))[0] == "diarize"


def test_a_stage_switched_off_leaves_the_table_and_moves_what_follows() -> None:
    base = PipelineOptions()
    off = dataclasses.replace(base, diarization=dataclasses.replace(base.diarization, refine=False))
    found = keys(off)
    assert "refine" not in found
    assert changed(keys(), found) == ["refine", "speakers", "correct", "export", "index", "enroll"]


# --- what batch makes of done.json, without models -----------------------------------------------


@pytest.fixture
def finished(tmp_path: Path) -> tuple[Path, Path]:
    """A session folder and its outputs as a run of this release left them (outputs are stand-ins)."""
    folder = tmp_path / "recordings" / "seance"
    folder.mkdir(parents=True)
    (folder / "recording.mp3").write_bytes(b"ID3" + bytes(range(256)) * 8)
    (folder / "agenda.txt").write_text(
        "- Introduction par Léa Kerbrat\n- 00:01:00 : Ateliers par Hugo Delorme\n", "utf-8"
    )
    out = tmp_path / "outputs"
    session, data, toml = load_session(folder)
    options = load_options(None, data, str(toml), {"outputs": str(out)})
    out_dir = out / session.id
    (out_dir / ".work").mkdir(parents=True)
    for name in ("session.json", "seance.vtt"):
        (out_dir / name).write_text(name)
    from restitution import agenda, audio

    sha = audio.sha256(session.recording)
    info = AudioInfo(session.recording, 90.0, sha, 16000, 1, "mp3")
    result = SessionResult(session, info, "fr", Offset(0.0, "none"), (), (), ())
    mark_complete(out_dir, result, stage_keys(session, options, agenda.parse(folder / "agenda.txt"), sha))
    return folder.parent, out


def plan(root: Path, out: Path, **overrides: object) -> tuple[str, str]:
    (outcome,) = run_batch(root, overrides={"outputs": str(out), **overrides}, dry_run=True).outcomes
    return outcome.status, outcome.reason


def edit_done(out: Path, change) -> None:
    path = out / "seance" / ".work" / DONE
    done = json.loads(path.read_text())
    change(done)
    path.write_text(json.dumps(done))


def test_complete_outputs_are_skipped_and_a_threads_change_keeps_them_complete(finished) -> None:
    root, out = finished
    assert plan(root, out) == ("skipped", "complete")
    assert plan(root, out, asr={"threads": 1}, diarization={"threads": 2}) == ("skipped", "complete")
    assert plan(root, out, asr={"beam_size": 1}) == ("planned", "stage transcribe: its options changed")


def test_batch_reprocesses_a_session_made_by_an_older_version_of_a_changed_stage(finished, monkeypatch) -> None:
    root, out = finished
    now = next(stage.version for stage in pipeline.STAGES if stage.name == "transcribe")
    monkeypatch.setattr(pipeline, "STAGES", with_version("transcribe", now + 1))
    assert plan(root, out) == ("planned", f"stage transcribe changed (algorithm {now} -> {now + 1})")


def test_batch_notices_an_upgrade_from_what_done_json_records(finished) -> None:
    root, out = finished

    def older_speakers(done: dict) -> None:  # as the previous release would have left it
        done["version"] = "0.1.9"
        done["stages"]["speakers"].update(key="made-by-0.1.9", algorithm=0)

    edit_done(out, older_speakers)
    now = next(stage.version for stage in pipeline.STAGES if stage.name == "speakers")
    assert plan(root, out) == ("planned", f"stage speakers changed (algorithm 0 -> {now})")


def test_outputs_of_the_release_before_stage_versions_are_reprocessed(finished) -> None:
    root, out = finished
    edit_done(out, lambda done: [done.pop(k) for k in ("version", "stages", "sources")])
    assert plan(root, out) == ("planned", "made by restitution 0.1.0, which kept no stage versions")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("recording", "recording changed"),
        ("agenda", "agenda changed"),
        ("output", "1 outputs missing (seance.vtt, ...)"),
        ("session-json", "session.json was rewritten since"),
    ],
)
def test_what_makes_outputs_stale_is_said(finished, damage: str, reason: str) -> None:
    root, out = finished
    if damage == "recording":
        with open(root / "seance" / "recording.mp3", "ab") as f:
            f.write(b"\0")
    elif damage == "agenda":
        (root / "seance" / "agenda.txt").write_text(
            "- Ouverture par Léa Kerbrat\n- 00:01:00 : Ateliers par Hugo Delorme\n", "utf-8"
        )
    elif damage == "output":
        (out / "seance" / "seance.vtt").unlink()
    else:
        (out / "seance" / "session.json").write_text("made by another run")
    assert plan(root, out) == ("planned", reason)


def test_a_touched_but_identical_recording_is_still_complete(finished) -> None:
    import os

    root, out = finished
    os.utime(root / "seance" / "recording.mp3", ns=(1, 1))
    session, data, toml = load_session(root / "seance")
    assert outputs_stale(session, load_options(None, data, str(toml), {"outputs": str(out)})) is None


# --- the real thing --------------------------------------------------------------------------------


def _stamps(work: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in work.glob("*.json") if p.name != DONE}


@pytest.mark.slow
def test_real_runs_recompute_exactly_what_changed(synth_session, tmp_path: Path, monkeypatch, caplog) -> None:
    from restitution.pipeline import run_session

    folder = tmp_path / "session"
    shutil.copytree(synth_session.dir, folder)
    session, data, toml = load_session(folder)

    def options(**more: object) -> PipelineOptions:
        return load_options(None, data, str(toml), {"outputs": str(tmp_path / "out"), "language": "fr", **more})

    run_session(session, options())
    work = tmp_path / "out" / session.id / ".work"
    first = _stamps(work)
    assert {"decode.json", "transcribe.json", "diarize.json", "offset.json", "refine.json", "export.mp3.json"} <= set(
        first
    )

    with caplog.at_level(logging.INFO, logger="restitution"):
        run_session(session, options(asr={"threads": 1}, diarization={"threads": 2}))
    assert _stamps(work) == first, "a threads change recomputed a stage"
    # speech, transcribe, diarize, recover, offset, refine
    assert caplog.text.count("reusing cached result") == 6

    monkeypatch.setattr(pipeline, "STAGES", with_version("offset", 2))
    run_session(session, options())
    bumped = _stamps(work)
    assert sorted(changed(first, bumped)) == ["offset.json", "refine.json"], (
        "offset and what follows it, nothing before"
    )
    monkeypatch.undo()

    run_session(session, options(), force_from="diarize")
    forced = _stamps(work)
    assert sorted(changed(bumped, forced)) == [
        "diarize.json",
        "export.mp3.json",
        "offset.json",
        "recover.json",
        "refine.json",
    ]
    assert forced["transcribe.json"] == first["transcribe.json"] and forced["decode.json"] == first["decode.json"]


def test_a_model_is_known_by_its_bytes_not_its_place(tmp_path: Path) -> None:
    from restitution import fingerprint

    model = tmp_path / "a"
    model.mkdir()
    (model / "model.bin").write_bytes(bytes(range(256)) * 20_000)  # 5 MB: its ends are sampled
    (model / "config.json").write_text("{}")
    copy = tmp_path / "elsewhere" / "b"
    shutil.copytree(model, copy)
    base = PipelineOptions()

    def using(folder: Path) -> PipelineOptions:
        return dataclasses.replace(base, asr=dataclasses.replace(base.asr, model=str(folder)))

    assert fingerprint.file_identity(copy / "model.bin") == fingerprint.file_identity(model / "model.bin")
    assert keys(using(copy)) == keys(using(model)), "the same weights elsewhere are the same model"
    tuned = bytearray((model / "model.bin").read_bytes())
    tuned[-1] ^= 1
    (copy / "model.bin").write_bytes(bytes(tuned))
    assert changed(keys(using(model)), keys(using(copy)))[0] == "transcribe"
