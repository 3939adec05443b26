"""Each stage's wall and CPU time: a line per stage and a breakdown at the end with `-v`, in run.log
for a batch job, in done.json. The times' values are the machine's business; which stages are named
is ours."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from restitution.bookkeeping import DONE, LOG_NAME, StageTime, breakdown
from restitution.options import load_options
from restitution.pipeline import STAGES, run_session
from restitution.sessions import load_session

AGENDA_TEXT = "- 00:00:00 : Ouverture par Léa Kerbrat, présidente du réseau.\n"
BREAKDOWN = re.compile(r"stage times: (.*); all stages [0-9.]+ s wall, [0-9.]+ s CPU")


def named(line: str) -> list[str]:
    """The stages a breakdown line names, in its order."""
    found = BREAKDOWN.search(line)
    assert found, line
    return [part.split(" ", 1)[0] for part in found.group(1).split(", ") if not part.startswith("cached")]


def test_the_breakdown_names_each_stage_in_order_and_marks_the_cached() -> None:
    times = [StageTime("decode", 1.25, 1.0), StageTime("transcribe", 10.0, 19.5, cached=True)]
    line = breakdown(times)
    assert line == (
        "stage times: decode 1.2 s (CPU 1.0 s), transcribe 10.0 s (CPU 19.5 s, cached); all stages 11.2 s wall, 20.5 s CPU"
    )
    assert named(line) == ["decode", "transcribe"]
    assert StageTime("x", 0.12345, 0.5).to_dict() == {"wall": 0.123, "cpu": 0.5, "cached": False}


@pytest.mark.slow
def test_a_run_reports_every_stage_that_ran(tmp_path: Path, short_french_wav: Path) -> None:
    folder = tmp_path / "recordings" / "seance"
    folder.mkdir(parents=True)
    (folder / "recording.wav").write_bytes(short_french_wav.read_bytes())
    (folder / "agenda.txt").write_text(AGENDA_TEXT, encoding="utf-8")
    out = tmp_path / "outputs"
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", "run", str(folder), "--out", str(out), "--offset", "0", "-v"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    options = load_options(overrides={"outputs": str(out), "offset": 0.0})
    ran = [stage.name for stage in STAGES if stage.when(options)]
    assert "refine" in ran and "enroll" in ran, "the defaults run every stage"
    for name in ran:
        assert re.search(rf"^info: {name}: [0-9.]+ s wall, [0-9.]+ s CPU$", proc.stderr, re.M), name
    lines = [line for line in proc.stderr.splitlines() if "stage times:" in line]
    assert len(lines) == 1, proc.stderr
    assert named(lines[0]) == ran
    assert "cached" not in lines[0], "a first run computes everything"
    done = json.loads((out / "seance" / ".work" / DONE).read_text(encoding="utf-8"))
    assert list(done["times"]) == ran
    assert all(t["wall"] >= 0 and t["cpu"] >= 0 for t in done["times"].values())

    # A batch job (it passes `inputs`) keeps its log in run.log: the rerun reuses the cache and says so.
    session, _, _ = load_session(folder)
    run_session(session, options, inputs={}, force_from="speakers")
    logged = [line for line in (out / "seance" / LOG_NAME).read_text(encoding="utf-8").splitlines()]
    summary = [line for line in logged if "stage times:" in line]
    assert len(summary) == 1 and named(summary[0]) == ran
    assert re.search(r"transcribe [0-9.]+ s \(CPU [0-9.]+ s, cached\)", summary[0]), summary[0]
    assert re.search(r"speakers [0-9.]+ s \(CPU [0-9.]+ s\)", summary[0]), "forced: computed again"
