"""Progress displays driven by the library's `hook(step, artifact, completed=, total=)`.

In a terminal, rich bars (`RichHook`); anywhere else (a log under cron, CI, a pipe), plain lines
(`PlainHook`): every ~10 s or every tenth of a step that lasts, so that a log shows the run
moving. Nothing here is ever read as rich markup: labels and
session ids are printed as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .display import printable

LABELS = {
    "decode": "Decoding audio",
    "speech": "Finding speech",
    "load model": "Loading the speech model",
    "check language": "Checking the language",
    "transcribe": "Transcribing",
    "diarize": "Finding speakers",
    "recover": "Listening again to speech without words",
    "offset": "Estimating the offset",
    "chapters": "Cutting chapters",
    "refine": "Checking voices against the agenda",
    "speakers": "Naming speakers",
    "export": "Writing outputs",
    "index": "Indexing",
    "enroll": "Enrolling voices",
}
# Steps whose `completed`/`total` are seconds of the recording; the others count items.
SECONDS = {"decode", "speech", "transcribe", "diarize"}
# What a batch reports about a whole session (`hook(status, session_id)`).
OUTCOMES = {"processed": "done", "skipped": "skipped (complete)", "failed": "failed", "planned": "to do"}


def _amount(step: str, completed: float | None, total: float) -> str:
    unit = " s" if step in SECONDS else ""
    done = completed or 0
    return f"{done:,.0f}/{total:,.0f}{unit} ({min(1.0, done / total):.0%})"


class RichHook:
    """One bar per stage; stages that report seconds show a real bar, the others a spinner."""

    def __init__(self, console: Console, prefix: str = ""):
        self.prefix = printable(prefix)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", style="bold", markup=False),
            BarColumn(),
            TextColumn("{task.fields[detail]}", markup=False),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self.measured: set[str] = set()  # steps that reported progress
        self.current: str | None = None

    def __enter__(self) -> RichHook:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._finish_current()
        self.progress.__exit__(*exc)

    def _finish_current(self) -> None:
        if self.current and self.current in self.tasks:
            task = self.tasks[self.current]
            total = next(t.total for t in self.progress.tasks if t.id == task) or 1
            self.progress.update(task, completed=total, total=total)

    def __call__(
        self, step: str, artifact: Any = None, *, completed: float | None = None, total: float | None = None
    ) -> None:
        if step == "done":
            self._finish_current()
            return
        if step not in LABELS:
            return
        if step != self.current:
            self._finish_current()
            self.current = step
            if step in self.tasks and step not in self.measured:
                # Announced, then left for a step inside it ("transcribe", then "load model"):
                # its row moves below, so the rows read in the order things happened.
                self.progress.remove_task(self.tasks.pop(step))
            if step not in self.tasks:
                self.tasks[step] = self.progress.add_task(f"{self.prefix}{LABELS[step]}", total=None, detail="")
        if total:
            self.measured.add(step)
            self.progress.update(
                self.tasks[step], completed=completed or 0, total=total, detail=_amount(step, completed, total)
            )


@dataclass
class _Step:
    step: str
    started: float
    printed: float | None = None  # when its last line was printed; None: not yet
    tenth: int = 0  # the last tenth of the step printed


class PlainHook:
    """Plain progress lines for a log. A step says nothing for its first `quiet` seconds (a
    quick step, or an input refused at once, leaves the log alone); then a line with its
    progress, then one every `every` seconds or every tenth of the step, and, for a step that
    reported no progress, one line when it ends.

    With `batch`, the artifact of each event is the session id: lines are prefixed with it,
    and the batch's own events (`batch`, `processed`, `failed`...) print at once."""

    def __init__(
        self,
        stream: IO[str],
        *,
        batch: bool = False,
        every: float = 10.0,
        quiet: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream
        self.batch = batch
        self.every = every
        self.quiet = quiet
        self.clock = clock
        self.steps: dict[str | None, _Step] = {}
        self.finished: float | None = None  # sessions of the batch finished, as last printed

    def __enter__(self) -> PlainHook:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(printable(text) + "\n")
        self.stream.flush()

    def _end(self, session: str | None, now: float) -> None:
        state = self.steps.pop(session, None)
        if state is not None and state.printed is None and now - state.started >= self.quiet:
            prefix = f"{session}: " if session else ""
            self._line(f"{prefix}{LABELS[state.step]}: {now - state.started:.0f} s")

    def __call__(
        self, step: str, artifact: Any = None, *, completed: float | None = None, total: float | None = None
    ) -> None:
        session = artifact if self.batch and isinstance(artifact, str) else None
        prefix = f"{session}: " if session else ""
        now = self.clock()
        if step == "done" or (self.batch and step in OUTCOMES):
            self._end(session, now)
            if step in OUTCOMES and step != "planned":
                self._line(f"{prefix}{OUTCOMES[step]}")
            return
        if self.batch and step == "batch":
            if total and completed != self.finished:
                self.finished = completed
                self._line(f"sessions: {completed or 0:.0f}/{total:.0f}")
            return
        if step not in LABELS:
            return
        state = self.steps.get(session)
        if state is None or state.step != step:
            self._end(session, now)
            state = self.steps[session] = _Step(step, now)
        if not total or now - state.started < self.quiet:
            return
        tenth = int(10 * min(1.0, (completed or 0) / total))
        if state.printed is not None and tenth <= state.tenth and now - state.printed < self.every:
            return
        state.printed, state.tenth = now, max(tenth, state.tenth)
        self._line(f"{prefix}{LABELS[step]} {_amount(step, completed, total)}, {now - state.started:.0f} s so far")


def progress_hook(console: Console) -> RichHook | PlainHook:
    """Bars for a person at a terminal, plain lines for a log."""
    return RichHook(console) if console.is_terminal else PlainHook(console.file)


__all__ = ["LABELS", "OUTCOMES", "PlainHook", "RichHook", "progress_hook"]
