"""Progress: plain lines in a log (every 10 % or 10 s of a step that lasts), bars in a terminal,
never rich markup; and the real CLI, piped, shows its run moving."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from rich.console import Console

from restitution.progress import LABELS, PlainHook, RichHook, progress_hook


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain(**kw):
    stream, clock = io.StringIO(), Clock()
    return PlainHook(stream, clock=clock, **kw), stream, clock


def test_a_step_that_lasts_prints_every_tenth_and_every_ten_seconds():
    hook, stream, clock = plain()
    hook("transcribe")
    hook("transcribe", completed=0, total=1000)
    clock.now = 1.0
    hook("transcribe", completed=50, total=1000)  # within the quiet start: nothing
    assert stream.getvalue() == ""
    clock.now = 3.0
    hook("transcribe", completed=60, total=1000)
    hook("transcribe", completed=70, total=1000)  # same tenth, 0 s later: nothing
    clock.now = 4.0
    hook("transcribe", completed=120, total=1000)  # a new tenth
    clock.now = 13.0
    hook("transcribe", completed=150, total=1000)  # same tenth, 9 s after the last line: nothing
    clock.now = 14.5
    hook("transcribe", completed=160, total=1000)  # 10.5 s after the last line
    clock.now = 15.0
    hook("transcribe", completed=1000, total=1000)
    assert stream.getvalue().splitlines() == [
        "Transcribing 60/1,000 s (6%), 3 s so far",
        "Transcribing 120/1,000 s (12%), 4 s so far",
        "Transcribing 160/1,000 s (16%), 14 s so far",
        "Transcribing 1,000/1,000 s (100%), 15 s so far",
    ]


def test_quick_steps_stay_quiet_and_a_long_step_without_progress_says_when_it_ends():
    hook, stream, clock = plain()
    hook("decode", completed=10, total=10)  # done at once
    hook("load model")
    clock.now = 7.0
    hook("check language")  # the model took 7 s to load
    clock.now = 7.5
    hook("transcribe", completed=0, total=5)
    hook("done")
    assert stream.getvalue().splitlines() == ["Loading the speech model: 7 s"]


def test_counts_are_not_seconds():
    hook, stream, clock = plain(quiet=0)
    hook("speakers", completed=3, total=12)
    assert stream.getvalue() == "Naming speakers 3/12 (25%), 0 s so far\n"


def test_batch_lines_name_the_session_and_print_text_as_it_is():
    hook, stream, clock = plain(batch=True, quiet=0)
    hook("batch", None, completed=0, total=2)
    hook("decode", "[/x]-séance", completed=5, total=10)
    hook("transcribe", "[bold]b", completed=1, total=4)
    hook("failed", "[bold]b")
    hook("processed", "[/x]-séance")
    hook("batch", None, completed=2, total=2)
    assert stream.getvalue().splitlines() == [
        "sessions: 0/2",
        "[/x]-séance: Decoding audio 5/10 s (50%), 0 s so far",
        "[bold]b: Transcribing 1/4 s (25%), 0 s so far",
        "[bold]b: failed",
        "[/x]-séance: done",
        "sessions: 2/2",
    ]


def test_control_characters_and_undecodable_bytes_are_shown_not_obeyed():
    hook, stream, clock = plain(batch=True, quiet=0)
    name = b"caf\xe9\x1b]0;owned\x07".decode("utf-8", "surrogateescape")
    hook("failed", name)
    assert stream.getvalue() == "caf\ufffd\\x1b]0;owned\\x07: failed\n"


def test_bars_in_a_terminal_print_markup_as_text():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    assert isinstance(progress_hook(console), RichHook)
    with RichHook(console, prefix="[/x] ") as hook:
        hook("load model")
        hook("transcribe", completed=5, total=10)
        hook("done")
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.getvalue())
    assert "[/x] Loading the speech model" in shown and "[/x] Transcribing" in shown and "5/10 s" in shown


def test_bars_read_in_the_order_things_happened():
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with RichHook(console) as hook:
        hook("decode", completed=10, total=10)
        hook("transcribe")  # the pipeline announces the stage...
        hook("load model")  # ...which first loads the model
        hook("transcribe", completed=5, total=10)
        hook("done")
        rows = [task.description for task in hook.progress.tasks]
    assert rows == ["Decoding audio", "Loading the speech model", "Transcribing"]


def test_a_pipe_gets_plain_lines():
    assert isinstance(progress_hook(Console(file=io.StringIO())), PlainHook)


@pytest.mark.slow
def test_the_cli_piped_into_a_log_shows_the_run_moving(synth_session, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", "run", str(synth_session.recording), "--agenda",
         str(synth_session.agenda), "--language", "fr", "--out", str(tmp_path / "outputs")],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr  # no bars, no colours: a log
    labels = "|".join(re.escape(label) for label in LABELS.values())
    progress = re.compile(rf"^({labels}) [0-9,]+/[0-9,]+( s)? \(\d+%\), \d+ s so far$|^({labels}): \d+ s$")
    lines = proc.stderr.splitlines()
    assert lines and all(progress.match(line) or line.startswith("warning: ") for line in lines), lines
    assert any(line.startswith("Transcribing ") for line in lines), lines
