"""`run_batch`: every session folder under a root, isolated from each other, resumable.

For each folder: skip it when its outputs are what a run would make now (`.work/done.json`
holds the release, the sources' fingerprints and every stage's key; a stage whose algorithm,
options or model changed since, here or upstream, makes the session stale, and the plan says
which), skip a known failure (`.work/failed.json`) unless asked to retry or its inputs changed,
and otherwise run `run_session`, which resumes from the stage cache. Sessions run in this
process (`workers=1`), in N local worker processes, or on a Dask cluster (worker.py); each
holds its session lock and writes its log to `outputs/<id>/run.log`. One failing session is
recorded and the batch goes on: in `worker.process`, and only there, any `Exception` is caught
per session.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .bookkeeping import DONE, FAILED, options_hash, read_marker, stat_of
from .clock import hms
from .errors import RestitutionError
from .files import slugify
from .options import PipelineOptions, load_options
from .pipeline import outputs_stale
from .sessions import find_sessions, load_session
from .types import Hook, Session
from .worker import Job, Outcome, run_dask, run_here, run_pool

log = logging.getLogger("restitution")


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_time: float = 0.0

    def _with(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def processed(self) -> list[Outcome]:
        return self._with("processed")

    @property
    def skipped(self) -> list[Outcome]:
        return self._with("skipped")

    @property
    def failed(self) -> list[Outcome]:
        return self._with("failed")

    @property
    def planned(self) -> list[Outcome]:
        return self._with("planned")

    @property
    def audio_hours(self) -> float:
        """Hours of audio processed by this run."""
        return sum(o.audio_seconds for o in self.processed) / 3600

    @property
    def ok(self) -> bool:
        return not self.failed


# --- planning, in the batch process ---------------------------------------------------------


def _absolute(options: PipelineOptions) -> PipelineOptions:
    """Paths a worker elsewhere (another cwd, another host on the shared filesystem) can use."""

    def absolute(value: str) -> str:
        return os.path.abspath(value) if value else value

    return dataclasses.replace(
        options,
        outputs=absolute(options.outputs),
        index=absolute(options.index),
        voices=dataclasses.replace(options.voices, library=absolute(options.voices.library)),
        offset_search=dataclasses.replace(options.offset_search, reference=absolute(options.offset_search.reference)),
    )


def _inputs(session: Session, toml_path: Path | None) -> dict[str, list[int]]:
    paths = [session.recording, session.agenda_path, toml_path]
    return {str(p): stat_of(p) for p in paths if p is not None}


def _plan(folder: Path, config: Path | None, overrides: dict[str, Any], retry_failed: bool) -> Job | Outcome:
    try:
        session, session_toml, toml_path = load_session(folder)
        options = _absolute(load_options(config, session_toml, str(toml_path), overrides))
        inputs = _inputs(session, toml_path)
    except RestitutionError as e:  # cheap to find again: nothing recorded, nothing written
        return Outcome(slugify(folder.name), folder, "failed", str(e), "prepare")
    out_dir = options.outputs_dir / session.id
    work = out_dir / ".work"
    stale = outputs_stale(session, options)
    if stale is None:
        return Outcome(session.id, folder, "skipped", "complete")
    failed = read_marker(work / FAILED)
    if failed is not None:
        unchanged = (failed.get("inputs"), failed.get("options"), failed.get("version")) == (
            inputs,
            options_hash(options),
            __version__,
        )
        if unchanged and not retry_failed:
            log_path = Path(failed["log"]) if failed.get("log") else None
            reason = f"failed earlier, not retried (--retry-failed): {failed.get('error')}"
            return Outcome(session.id, folder, "failed", reason, failed.get("stage"), log_path)
        reason = "retry" if unchanged else "retry: inputs, options or version changed"
    elif (work / DONE).is_file():
        reason = stale
    else:
        cached = len(list(work.glob("*.json"))) if work.is_dir() else 0
        reason = f"resume ({cached} cached stages)" if cached else "new"
    return Job(session, options, out_dir, inputs, reason)


def _create_indexes(paths: set[Path]) -> None:
    """Create each index once, here, before workers race to create it at the same time."""
    from . import index
    from .lock import index_lock

    for path in sorted(paths):
        with index_lock(path):
            index.open_index(path).close()


# --- the batch --------------------------------------------------------------------------------


def run_batch(
    root: Path,
    *,
    config: Path | None = None,
    overrides: dict[str, Any] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    retry_failed: bool = False,
    dry_run: bool = False,
    hook: Hook | None = None,
) -> BatchReport:
    """Process every session folder under `root`; return what happened to each.

    Options are built per session exactly as `restitution run` builds them: defaults <
    `config` < the folder's session.toml < `overrides` (the CLI's flags, as a nested table).
    `hook(step, session_id, completed=, total=)` hears each session's stages, then
    "processed" / "skipped" / "failed" / "planned" for it, and ("batch", None, completed=k,
    total=n) as sessions finish.
    """
    started = time.monotonic()
    hook = hook or (lambda *a, **k: None)
    overrides = overrides or {}
    if workers < 1:
        raise RestitutionError(f"--workers must be at least 1, not {workers}")
    load_options(config, None, "session.toml", overrides)  # a bad config fails the batch, not each session
    folders = find_sessions(Path(root).resolve())
    outcomes: dict[str, Outcome] = {}
    jobs: list[Job] = []
    owner: dict[str, Path] = {}
    for folder in folders:
        item = _plan(folder, config, overrides, retry_failed)
        sid = item.session.id if isinstance(item, Job) else item.id
        if sid in owner:
            item = Outcome(
                sid, folder, "failed", f"same session id '{sid}' as {owner[sid]}: rename one folder", "prepare"
            )
        owner.setdefault(sid, folder)
        if isinstance(item, Job):
            if dry_run:
                item = Outcome(sid, folder, "planned", item.reason)
            else:
                jobs.append(item)
                continue
        outcomes[str(folder)] = item
    total = len(folders)

    def finish(outcome: Outcome) -> None:
        outcomes[str(outcome.folder)] = outcome
        hook(outcome.status, outcome.id)
        hook("batch", None, completed=len(outcomes), total=total)

    hook("batch", None, completed=0, total=total)
    for outcome in list(outcomes.values()):
        finish(outcome)
    if jobs:
        _create_indexes({job.options.index_path for job in jobs})
        if scheduler:
            runner = run_dask(jobs, scheduler, hook)
        elif workers > 1:
            runner = run_pool(jobs, min(workers, len(jobs)), hook)
        else:
            runner = run_here(jobs, hook)
        for outcome in runner:
            finish(outcome)
    ordered = [outcomes[str(f)] for f in folders if str(f) in outcomes]
    return BatchReport(ordered, time.monotonic() - started)


# --- what the CLI shows -------------------------------------------------------------------------


def format_report(report: BatchReport) -> Any:
    """A rich Table: one row per session, the totals in its caption."""
    from rich.table import Table
    from rich.text import Text

    style = {"processed": "green", "skipped": "dim", "failed": "red", "planned": "cyan"}
    table = Table(title="Batch", title_justify="left")
    table.add_column("Session")
    table.add_column("Status")
    table.add_column("Audio", justify="right")
    table.add_column("Time", justify="right")
    table.add_column("Details", overflow="fold")
    for o in report.outcomes:
        detail = o.reason
        if o.status == "failed":
            detail = f"{o.stage or '?'}: {o.reason}" + (f" (log: {o.log})" if o.log else "")
        table.add_row(
            Text(o.id),
            Text(o.status, style=style.get(o.status, "")),
            hms(o.audio_seconds, nearest=True) if o.audio_seconds else "",
            hms(o.seconds, nearest=True) if o.seconds else "",
            Text(detail),  # Text: an error message is never read as rich markup
        )
    parts = [f"{len(report.processed)} processed", f"{len(report.skipped)} skipped", f"{len(report.failed)} failed"]
    if report.planned:
        parts.append(f"{len(report.planned)} to process")
    table.caption = f"{', '.join(parts)}; {report.audio_hours:.2f} h of audio in {hms(report.wall_time, nearest=True)}"
    return table


class BatchDisplay:
    """The batch's `hook` for a terminal: one bar for the batch, one line per running session."""

    def __init__(self, console: Any):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.batch = self.progress.add_task("[bold]Sessions", total=None)
        self.sessions: dict[str, Any] = {}

    def __enter__(self) -> BatchDisplay:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def __call__(
        self, step: str, session_id: str | None = None, *, completed: float | None = None, total: float | None = None
    ) -> None:
        from rich.markup import escape

        from .progress import LABELS

        if step == "batch":
            self.progress.update(self.batch, completed=completed, total=total)
        elif step in ("processed", "skipped", "failed", "planned") and session_id is not None:
            task = self.sessions.pop(session_id, None)
            if task is not None:
                self.progress.remove_task(task)
            if step == "failed":
                self.progress.console.print(f"[red]failed[/red] {escape(session_id)}")
        elif session_id is not None and (step in LABELS or step == "prepare"):
            label = f"  {escape(session_id)}: {LABELS.get(step, 'Checking inputs')}"
            if session_id not in self.sessions:
                self.sessions[session_id] = self.progress.add_task(label, total=None)
            self.progress.update(self.sessions[session_id], description=label, completed=completed or 0, total=total)


__all__ = ["BatchDisplay", "BatchReport", "Outcome", "format_report", "run_batch"]
