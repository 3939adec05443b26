"""The `restitution` command: parse arguments, build options, call the library, print.

Exit codes: 0 done, 1 a user error (one line on stderr), 2 bad usage (typer's own).
"""

from __future__ import annotations

import json
import logging
import os
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
    force_from: Annotated[
        Optional[str], typer.Option("--force-from", metavar="STAGE", help="Recompute this stage and those after it.")
    ] = None,
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
            # The token only reaches pyannote; it is never stored with the options.
            result = run_session(
                session, options, hook, force=force, force_from=force_from, hf_token=os.environ.get("HF_TOKEN")
            )
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


IndexOpt = Annotated[Optional[Path], typer.Option("--index", help="Search index (default: <outputs>/index.sqlite).")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Outputs folder (default: outputs).")]


def _options(config: Path | None, **flags: Any):
    from .options import load_options

    return load_options(_config_path(config), None, "session.toml", _overrides(**flags))


@app.command()
def batch(
    root: Annotated[Path, typer.Argument(help="Folder of session folders.")] = Path("recordings"),
    workers: Annotated[int, typer.Option(help="Sessions processed at once, each in its own process.")] = 1,
    scheduler: Annotated[
        Optional[str], typer.Option(help="A Dask scheduler (tcp://HOST:PORT) to run the sessions on instead.")
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

    _setup_logging(verbose)
    overrides = _overrides(outputs=str(out) if out else None, index=str(index) if index else None)
    try:
        with BatchDisplay(err) as display:
            report = run_batch(
                root,
                config=_config_path(config),
                overrides=overrides,
                workers=workers,
                scheduler=scheduler,
                retry_failed=retry_failed,
                dry_run=dry_run,
                hook=display,
            )
    except RestitutionError as e:
        fail(str(e))
    console.print(format_report(report))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", prefix*, AND / OR / NOT.')],
    speaker: Annotated[Optional[str], typer.Option(help="Only what this speaker said (every word given, any order; case and accents ignored).")] = None,
    session: Annotated[Optional[str], typer.Option(help="Only this session id.")] = None,
    chapter: Annotated[Optional[str], typer.Option(help="Only chapters whose title has these words (circul* for part of a word).")] = None,
    since: Annotated[Optional[str], typer.Option(help="Only sessions on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only sessions on or before this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many hits.")] = 20,
    index: IndexOpt = None,
    out: OutOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Search everything ever said across the archive.

    Example: [bold]restitution search '"économie circulaire"' --speaker "stephanie mabileau"[/bold]
    """
    from . import index as index_mod

    try:
        options = _options(config, outputs=str(out) if out else None, index=str(index) if index else None)
        hits = index_mod.search(
            options.index_path,
            query,
            speaker=speaker,
            session=session,
            chapter=chapter,
            since=since,
            until=until,
            limit=limit,
            base_url=options.export.base_url,
        )
    except RestitutionError as e:
        fail(str(e))
    if as_json:
        typer.echo(index_mod.hits_to_json(hits))
    elif hits:
        console.print(index_mod.format_hits(hits))
    else:
        err.print("no hits")


@index_app.command("rebuild")
def index_rebuild(
    out: OutOpt = None,
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Rebuild the search index from the outputs' session.json files alone.

    Example: [bold]restitution index rebuild --out outputs[/bold]
    """
    from . import index as index_mod

    try:
        options = _options(config, outputs=str(out) if out else None, index=str(index) if index else None)
        count = index_mod.rebuild(options.index_path, options.outputs_dir)
    except RestitutionError as e:
        fail(str(e))
    console.print(f"indexed {count} sessions into {options.index_path}")


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
    from .export.feed import write_feed

    try:
        options = _options(config, outputs=str(out) if out else None)
        path = write_feed(
            options.outputs_dir,
            base_url=base_url or options.export.base_url,
            title=title,
            description=description,
            author=author,
            language=language,
        )
    except RestitutionError as e:
        fail(str(e))
    console.print(f"wrote {path}")


@models_app.command("list")
def models_list() -> None:
    """Show every Whisper model available offline, its engines, size and location.

    Example: [bold]restitution models list[/bold]
    """
    from rich.table import Table

    from .transcribe.models import list_models

    table = Table("model", "engines", "size", "location")
    for m in list_models():
        table.add_row(m.name, ", ".join(m.engines), f"{m.size_bytes / 1e6:,.0f} MB", m.location)
    console.print(table)


@models_app.command("convert")
def models_convert(
    src: Annotated[Path, typer.Argument(help="A CTranslate2 Whisper model folder (model.bin, config.json).")],
    dest: Annotated[Path, typer.Argument(help="The openai-whisper checkpoint to write (.pt).")],
) -> None:
    """Rebuild an openai-whisper checkpoint from CTranslate2 weights, offline.

    Example: [bold]restitution models convert ~/.cache/restitution/models/whisper-base-ct2 base.pt[/bold]
    """
    from .transcribe.convert import ct2_to_openai

    try:
        path = ct2_to_openai(src, dest)
    except RestitutionError as e:
        fail(str(e))
    console.print(f"wrote {path}")


VoicesOpt = Annotated[Optional[Path], typer.Option("--library", help="Voice library (default: <outputs>/voices.sqlite).")]


def _voice_library(library: Path | None, config: Path | None):
    from .voices import VoiceLibrary

    return VoiceLibrary(library or _options(config).voices_path)


@voices_app.command("enroll")
def voices_enroll(
    name: Annotated[str, typer.Argument(help="The speaker's name, as it should be published.")],
    clips: Annotated[list[Path], typer.Argument(help="Recordings of that voice alone (any format ffmpeg reads).")],
    library: VoicesOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Teach the library a voice from clips of that speaker.

    Example: [bold]restitution voices enroll "Anne Le Gall" anne-1.mp3 anne-2.wav[/bold]
    """
    from .voices import VoiceLibrary, embed_clips

    try:
        options = _options(config)
        lib = VoiceLibrary(library or options.voices_path)
        vector, model, seconds = embed_clips(clips, options.diarization.embedding, options.diarization.threads)
        lib.enroll(name, vector, model=model, seconds=seconds, source=", ".join(c.name for c in clips))
    except RestitutionError as e:
        fail(str(e))
    console.print(f"enrolled {name} ({seconds:.0f} s of speech) in {lib.path}")


@voices_app.command("list")
def voices_list(library: VoicesOpt = None, config: ConfigOpt = None) -> None:
    """List the known voices.

    Example: [bold]restitution voices list[/bold]
    """
    from rich.table import Table

    try:
        voices = _voice_library(library, config).list()
    except RestitutionError as e:
        fail(str(e))
    table = Table("name", "model", "voiceprints", "seconds")
    for v in voices:
        table.add_row(v.name, v.model, str(v.prints), f"{v.seconds:.0f}")
    console.print(table)


@voices_app.command("forget")
def voices_forget(
    name: Annotated[str, typer.Argument(help="The name to forget.")],
    library: VoicesOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove a voice from the library.

    Example: [bold]restitution voices forget "Anne Le Gall"[/bold]
    """
    try:
        count = _voice_library(library, config).forget(name)
    except RestitutionError as e:
        fail(str(e))
    if not count:
        fail(f"no voice named {name!r} in the library")
    console.print(f"forgot {name} ({count} voiceprints)")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
