"""The `restitution` command: parse arguments, build options, call the library, print.

Exit codes: 0 done, 1 a user error (one line on stderr), 2 bad usage (typer's own).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from . import __version__
from .errors import RestitutionError

app = typer.Typer(
    help="Turn the recording of a public session and its agenda into captions, chapters and a searchable archive.",
    no_args_is_help=True,
    # Locals would print tokens and whole audio arrays.
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)
models_app = typer.Typer(help="List and convert Whisper models.", no_args_is_help=True)
voices_app = typer.Typer(help="Manage the library of known voices.", no_args_is_help=True)
index_app = typer.Typer(help="Maintain the archive's search index.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(voices_app, name="voices")
app.add_typer(index_app, name="index")

console = Console()
err = Console(stderr=True)
DEFAULT_CONFIG = Path("config.toml")

ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", help="Config file (default: ./config.toml when present).")
]


def fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    logger = logging.getLogger("restitution")
    if not logger.handlers:
        handler = RichHandler(console=err, show_path=False, show_time=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def _config_path(config: Path | None) -> Path | None:
    if config is not None:
        if not config.is_file():
            fail(f"{config}: config file not found")
        return config
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _version(value: bool) -> None:
    if value:
        console.print(f"restitution {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


def _overrides(**values: Any) -> dict[str, Any]:
    """CLI flags as a nested options table; only the flags the user gave."""
    table: dict[str, Any] = {}
    for dotted, value in values.items():
        if value is None:
            continue
        *parents, leaf = dotted.split("__")
        node = table
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return table


@app.command()
def run(
    target: Annotated[Path, typer.Argument(help="A session folder (recording + agenda.txt) or a recording file.")],
    agenda: Annotated[Optional[Path], typer.Option(help="Agenda file, when TARGET is a recording.")] = None,
    offset: Annotated[
        Optional[str], typer.Option(help='Seconds the recording started late, "auto" or "none".')
    ] = None,
    reference: Annotated[
        Optional[Path], typer.Option(help="A reference copy on the agenda's timeline, to find the offset.")
    ] = None,
    language: Annotated[Optional[str], typer.Option(help='Language code ("fr", "en"); default: detect.')] = None,
    model: Annotated[Optional[str], typer.Option(help='Whisper model: "base", "tiny.en" or a path.')] = None,
    engine: Annotated[Optional[str], typer.Option(help='"faster-whisper" or "openai-whisper".')] = None,
    diarization: Annotated[Optional[str], typer.Option(help='"embedded", "pyannote" or "none".')] = None,
    num_speakers: Annotated[Optional[int], typer.Option(help="Exact number of speakers, when known.")] = None,
    lenient: Annotated[
        Optional[bool], typer.Option("--lenient", help="Drop agenda items past the end instead of failing.")
    ] = None,
    out: Annotated[Optional[Path], typer.Option(help="Outputs folder (default: outputs).")] = None,
    index: Annotated[Optional[Path], typer.Option(help="Search index (default: <outputs>/index.sqlite).")] = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Recompute every stage, ignoring the cache.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage's details.")] = False,
) -> None:
    """Process one session.

    Example: [bold]restitution run recordings/example[/bold]
    or [bold]restitution run talk.mp4 --agenda agenda.txt --offset 12.5 --language fr[/bold]
    """
    from .options import load_options
    from .pipeline import run_session
    from .progress import RichHook
    from .sessions import load_session

    _setup_logging(verbose)
    try:
        session, session_toml, toml_path = load_session(target, agenda)
        overrides = _overrides(
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
        options = load_options(_config_path(config), session_toml, str(toml_path), overrides)
        with RichHook(err) as hook:
            result = run_session(session, options, hook, force=force)
    except RestitutionError as e:
        fail(str(e))
    out_dir = options.outputs_dir / result.session.id
    o = result.offset
    conf = f", confidence {o.confidence:.2f}" if o.confidence is not None else ""
    console.print(f"offset: {o.seconds:.1f} s ({o.method}{conf})")
    named = [s.name for s in result.speakers if s.name]
    console.print(f"speakers: {', '.join(named) if named else 'none named'}")
    console.print(f"[green]done[/green]: {out_dir}")


@app.command("agenda")
def agenda_cmd(
    file: Annotated[Path, typer.Argument(help="agenda.txt, agenda.toml or agenda.json.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Parse an agenda and print what was understood.

    Example: [bold]restitution agenda recordings/example/agenda.txt[/bold]
    """
    from . import agenda

    try:
        parsed = agenda.parse(file)
    except RestitutionError as e:
        fail(str(e))
    if as_json:
        console.print_json(json.dumps(parsed.to_dict(), ensure_ascii=False))
    else:
        console.print(agenda.format_table(parsed))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
