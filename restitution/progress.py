"""A rich progress display driven by the library's `hook(step, artifact, completed=, total=)`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

LABELS = {
    "decode": "Decoding audio",
    "transcribe": "Transcribing",
    "diarize": "Finding speakers",
    "offset": "Estimating the offset",
    "chapters": "Cutting chapters",
    "refine": "Checking voices against the agenda",
    "speakers": "Naming speakers",
    "export": "Writing outputs",
    "index": "Indexing",
    "enroll": "Enrolling voices",
}


class RichHook:
    """One bar per stage; stages that report seconds show a real bar, the others a spinner."""

    def __init__(self, console: Console, prefix: str = ""):
        self.prefix = prefix
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            # Bars are for people: piped or captured stderr gets only log lines and errors.
            disable=not console.is_terminal,
        )
        self.tasks: dict[str, Any] = {}
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
            total = self.progress.tasks[task].total or 1
            self.progress.update(task, completed=total, total=total)

    def __call__(self, step: str, artifact: Any = None, *, completed: float | None = None, total: float | None = None) -> None:
        if step == "done":
            self._finish_current()
            return
        if step not in LABELS:
            return
        if step not in self.tasks:
            self._finish_current()
            self.current = step
            self.tasks[step] = self.progress.add_task(f"{self.prefix}{LABELS[step]}", total=None, detail="")
        task = self.tasks[step]
        if total:
            self.progress.update(
                task, completed=completed or 0, total=total, detail=f"{completed or 0:,.0f}/{total:,.0f} s"
            )
