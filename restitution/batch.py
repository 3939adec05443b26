"""`run_batch`: every session folder under a root, isolated from each other, resumable.

For each folder: skip it when its outputs are what a run would make now (`.work/done.json`
holds the release, the sources' fingerprints and every stage's key; a stage whose algorithm,
options or model changed since, here or upstream, makes the session stale, and the plan says
which), skip a known failure (`.work/failed.json`) unless asked to retry or its inputs changed,
and otherwise run `run_session`, which resumes from the stage cache. Sessions run
in N local worker processes (one at least: never in the batch's own process, so that a native
crash, a signal or memory exhaustion ends only that session, recorded in its failed.json with
how the worker died) or on a Dask cluster (worker.py); each holds its session lock and writes its
log to `outputs/<id>/run.log`. One failing session is recorded and the batch goes on: in
`worker.process`, and only there, any `Exception` is caught per session; an error found while
planning (a session.toml, an unreadable folder, an unusable index) fails that session alone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .bookkeeping import DONE, FAILED, options_hash, read_marker, stat_of
from .clock import hms
from .errors import ConfigError, RestitutionError
from .files import inside, slugify
from .options import PipelineOptions, load_options
from .pipeline import check_databases, outputs_stale
from .sessions import distinct_ids, find_sessions, load_session
from .types import Hook, Session
from .worker import Job, Outcome, run_dask, run_pool

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


@dataclass(frozen=True)
class _Loaded:
    folder: Path
    session: Session
    options: PipelineOptions
    inputs: dict[str, list[int]]


def _failure(e: BaseException, folder: Path) -> str:
    if isinstance(e, OSError):
        return f"{e.filename or folder}: cannot read: {e.strerror or e}"
    return str(e)


def _confine(options: PipelineOptions, batch: PipelineOptions, source: Path | None) -> None:
    """A session.toml may move where its session writes, but not out of the batch's outputs."""
    root = batch.outputs_dir.resolve()
    places = (
        ("outputs", options.outputs_dir, batch.outputs_dir, "outputs"),
        ("index", options.index_path, batch.index_path, "search index"),
        ("voices.library", options.voices_path, batch.voices_path, "voice library"),
    )
    for key, path, default, what in places:
        resolved = path.resolve()
        if resolved == default.resolve() or resolved == root or root in resolved.parents:
            continue
        raise ConfigError(f"'{key}' puts the {what} at {path}, outside the batch's outputs folder {root}", source)


def _load(folder: Path, config: Path | None, overrides: dict[str, Any], batch: PipelineOptions) -> _Loaded | Outcome:
    """The session of `folder` and its options, every path checked; or its failure, named."""
    try:
        session, session_toml, toml_path = load_session(folder)
        options = _absolute(load_options(config, session_toml, str(toml_path), overrides))
        _confine(options, batch, toml_path)
        check_databases(options)
        return _Loaded(folder, session, options, _inputs(session, toml_path))
    except (RestitutionError, OSError) as e:  # cheap to find again: nothing recorded, nothing written
        return Outcome(slugify(folder.name), folder, "failed", _failure(e, folder), "prepare")


def _plan(loaded: _Loaded, retry_failed: bool) -> Job | Outcome:
    session, options, inputs, folder = loaded.session, loaded.options, loaded.inputs, loaded.folder
    try:
        out_dir = inside(options.outputs_dir, session.id)
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
                log_path = Path(failed["log"]) if isinstance(failed.get("log"), str) else None
                reason = f"failed earlier, not retried (--retry-failed): {failed.get('error')}"
                return Outcome(session.id, folder, "failed", reason, failed.get("stage"), log_path)
            reason = "retry" if unchanged else "retry: inputs, options or version changed"
        elif (work / DONE).is_file():
            reason = stale
        else:
            cached = len(list(work.glob("*.json"))) if work.is_dir() else 0
            reason = f"resume ({cached} cached stages)" if cached else "new"
    except (RestitutionError, OSError) as e:
        return Outcome(session.id, folder, "failed", _failure(e, folder), "prepare")
    return Job(session, options, out_dir, inputs, reason)


def _create_indexes(jobs: list[Job]) -> Iterator[Job | Outcome]:
    """Create each index once, here, before workers race to create it at the same time; the jobs
    whose index cannot be created fail, and only they."""
    from . import index
    from .lock import index_lock

    problems: dict[Path, str] = {}
    for path in sorted({job.options.index_path for job in jobs}):
        try:
            with index_lock(path):
                index.open_index(path).close()
        except RestitutionError as e:
            problems[path] = str(e)
    for job in jobs:
        why = problems.get(job.options.index_path)
        folder = job.session.folder or job.session.recording
        yield job if why is None else Outcome(job.session.id, folder, "failed", why, "prepare")


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
    A session.toml cannot send outputs, index or voice library outside the batch's outputs
    folder. Sessions whose names slug alike get distinct ids (sessions.distinct_ids).
    `hook(step, session_id, completed=, total=)` hears each session's stages, then
    "processed" / "skipped" / "failed" / "planned" for it, and ("batch", None, completed=k,
    total=n) as sessions finish. Every session runs in a worker process, even with one worker.
    """
    started = time.monotonic()
    hook = hook or (lambda *a, **k: None)
    overrides = overrides or {}
    if workers < 1:
        raise RestitutionError(f"--workers must be at least 1, not {workers}")
    batch = load_options(config, None, "session.toml", overrides)  # a bad config fails the batch, not each session
    folders = find_sessions(Path(root).resolve())
    outcomes: dict[str, Outcome] = {}
    loaded: list[_Loaded] = []
    for folder in folders:
        item = _load(folder, config, overrides, batch)
        if isinstance(item, Outcome):
            outcomes[str(folder)] = item
        else:
            loaded.append(item)
    ids = distinct_ids([item.session for item in loaded], [item.options.outputs_dir for item in loaded])
    jobs: list[Job] = []
    for item, session in zip(loaded, ids, strict=True):
        plan = _plan(dataclasses.replace(item, session=session), retry_failed)
        if isinstance(plan, Job) and dry_run:
            plan = Outcome(session.id, item.folder, "planned", plan.reason)
        if isinstance(plan, Job):
            jobs.append(plan)
        else:
            outcomes[str(item.folder)] = plan
    total = len(folders)

    def finish(outcome: Outcome) -> None:
        outcomes[str(outcome.folder)] = outcome
        hook(outcome.status, outcome.id)
        hook("batch", None, completed=len(outcomes), total=total)

    hook("batch", None, completed=0, total=total)
    for outcome in list(outcomes.values()):
        finish(outcome)
    ready: list[Job] = []
    for checked in _create_indexes(jobs):
        if isinstance(checked, Job):
            ready.append(checked)
        else:
            finish(checked)
    if ready:
        if scheduler:
            runner = run_dask(ready, scheduler, hook)
        else:
            runner = run_pool(ready, min(workers, len(ready)), hook)
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
