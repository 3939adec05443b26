"""The `restitution` command: parse arguments, build options, call the library, print.

Exit codes: 0 done, 1 a user error or a bad value (one line on stderr), 2 bad usage (typer's own).
The commands on the archive live in `cli_search` (search, index) and `cli_voices` (voices,
models); what they share, the single error handler included, in `cli_common`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .cli_common import (
    Commands,
    ConfigOpt,
    IndexOpt,
    OutOpt,
    at_least_one,
    config_path,
    console,
    err,
    load,
    overrides,
    say,
    setup_logging,
)
from .cli_search import index_app, search
from .cli_voices import models_app, voices_app
from .errors import ConfigError

app = typer.Typer(
    cls=Commands,
    help="Turn the recording of a public session and its agenda into captions, chapters and a searchable archive.",
    no_args_is_help=True,
    # Locals would print tokens and whole audio arrays.
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        say(f"restitution {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


@app.command()
def run(
    target: Annotated[Path, typer.Argument(help="A session folder (recording + agenda.txt) or a recording file.")],
    agenda: Annotated[Path | None, typer.Option(help="Agenda file, when TARGET is a recording.")] = None,
    offset: Annotated[str | None, typer.Option(help='Seconds the recording started late, "auto" or "none".')] = None,
    reference: Annotated[
        Path | None, typer.Option(help="A reference copy on the agenda's timeline, to find the offset.")
    ] = None,
    language: Annotated[str | None, typer.Option(help='Language code ("fr", "en"); default: detect.')] = None,
    model: Annotated[str | None, typer.Option(help='Whisper model: "base", "tiny.en" or a path.')] = None,
    engine: Annotated[str | None, typer.Option(help='"faster-whisper" or "openai-whisper".')] = None,
    diarization: Annotated[str | None, typer.Option(help='"embedded", "pyannote" or "none".')] = None,
    num_speakers: Annotated[int | None, typer.Option(help="Exact number of speakers, when known.")] = None,
    lenient: Annotated[
        bool | None, typer.Option("--lenient", help="Drop agenda items past the end instead of failing.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Outputs folder (default: outputs).")] = None,
    index: Annotated[Path | None, typer.Option(help="Search index (default: <outputs>/index.sqlite).")] = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Recompute every stage, ignoring the cache.")] = False,
    force_from: Annotated[
        str | None, typer.Option("--force-from", metavar="STAGE", help="Recompute this stage and those after it.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage's details.")] = False,
) -> None:
    """Process one session.

    Example: [bold]restitution run recordings/example[/bold]
    or [bold]restitution run talk.mp4 --agenda agenda.txt --offset 12.5 --language fr[/bold]
    """
    from .options import load_options
    from .pipeline import run_session
    from .progress import progress_hook
    from .sessions import load_session

    setup_logging(verbose)
    session, session_toml, toml_path = load_session(target, agenda)
    flags = overrides(
        offset=offset,
        language=language,
        outputs=str(out) if out else None,
        index=str(index) if index else None,
        asr__model=model,
        asr__engine=engine,
        diarization__engine=diarization,
        diarization__num_speakers=num_speakers,
        chapters__lenient=lenient,
        offset_search__reference=str(reference) if reference else None,
    )
    options = load_options(config_path(config), session_toml, str(toml_path), flags)
    with progress_hook(err) as hook:
        # The token only reaches pyannote; it is never stored with the options.
        result = run_session(
            session, options, hook, force=force, force_from=force_from, hf_token=os.environ.get("HF_TOKEN")
        )
    out_dir = options.outputs_dir / result.session.id
    o = result.offset
    conf = f", confidence {o.confidence:.2f}" if o.confidence is not None else ""
    say(f"offset: {o.seconds:.1f} s ({o.method}{conf})")
    named = [s.name for s in result.speakers if s.name]
    say(f"speakers: {', '.join(named) if named else 'none named'}")
    say(f"done: {out_dir}")


@app.command("agenda")
def agenda_cmd(
    file: Annotated[Path, typer.Argument(help="agenda.txt, agenda.toml or agenda.json.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Parse an agenda and print what was understood.

    Example: [bold]restitution agenda recordings/example/agenda.txt[/bold]
    """
    from . import agenda

    parsed = agenda.parse(file)
    if as_json:
        typer.echo(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(agenda.format_table(parsed))


@app.command()
def batch(
    root: Annotated[Path, typer.Argument(help="Folder of session folders.")] = Path("recordings"),
    workers: Annotated[int, typer.Option(help="Sessions processed at once, each in its own process.")] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="A Dask scheduler (tcp://HOST:PORT) to run the sessions on instead.")
    ] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Retry sessions that failed before.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be done, do nothing.")] = False,
    out: OutOpt = None,
    index: IndexOpt = None,
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage's details.")] = False,
) -> None:
    """Process every new session under ROOT; skip finished ones, resume interrupted ones.

    Exits 0 only when no session failed. Example: [bold]restitution batch recordings/ --workers 2[/bold]
    """
    from .batch import BatchDisplay, format_report, run_batch
    from .progress import PlainHook

    setup_logging(verbose)
    at_least_one(workers, "--workers", most=256)
    flags = overrides(outputs=str(out) if out else None, index=str(index) if index else None)
    display = BatchDisplay(err) if err.is_terminal else PlainHook(err.file, batch=True)
    with display:
        report = run_batch(
            root,
            config=config_path(config),
            overrides=flags,
            workers=workers,
            scheduler=scheduler,
            retry_failed=retry_failed,
            dry_run=dry_run,
            hook=display,
        )
    console.print(format_report(report))
    if not report.ok:
        raise typer.Exit(1)


app.command()(search)
app.add_typer(index_app, name="index")

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # BCP 47, as RSS <language> takes it


@app.command()
def feed(
    base_url: Annotated[str, typer.Option(help="Public URL where the outputs folder is served.")] = "",
    title: Annotated[str, typer.Option(help="Podcast title.")] = "Restitutions",
    description: Annotated[str, typer.Option(help="Podcast description.")] = "",
    author: Annotated[str, typer.Option(help="Podcast author.")] = "",
    language: Annotated[str, typer.Option(help="Podcast language.")] = "fr",
    out: OutOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write outputs/feed.xml, a podcast feed with captions, transcripts, chapters and speakers.

    Example: [bold]restitution feed --base-url https://media.example.org/restitutions --title "Ateliers"[/bold]
    """
    from .display import decoded
    from .export.feed import write_feed

    if not _LANGUAGE_TAG.match(language):
        raise ConfigError(f"--language {language!r} is not a language tag such as fr or fr-FR")
    options = load(config, outputs=str(out) if out else None)
    path = write_feed(
        options.outputs_dir,
        base_url=decoded(base_url) or options.export.base_url,
        title=decoded(title),
        description=decoded(description),
        author=decoded(author),
        language=language,
    )
    say(f"wrote {path}")


app.add_typer(models_app, name="models")
app.add_typer(voices_app, name="voices")


def main() -> None:
    app()
