"""`restitution voices` (the library of known voices) and `restitution models` (Whisper weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .cli_common import ConfigOpt, console, fail, load, say, text_arg

models_app = typer.Typer(help="List and convert Whisper models.", no_args_is_help=True)
voices_app = typer.Typer(help="Manage the library of known voices.", no_args_is_help=True)

VoicesOpt = Annotated[Path | None, typer.Option("--library", help="Voice library (default: <outputs>/voices.sqlite).")]


@models_app.command("list")
def models_list() -> None:
    """Show every Whisper model available offline, its engines, size and location.

    Example: [bold]restitution models list[/bold]
    """
    from rich.table import Table
    from rich.text import Text

    from .transcribe.models import list_models

    table = Table("model", "engines", "size", "location")
    for m in list_models():
        table.add_row(Text(m.name), ", ".join(m.engines), f"{m.size_bytes / 1e6:,.0f} MB", Text(str(m.location)))
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

    say(f"wrote {ct2_to_openai(src, dest)}")


def _voice_library(library: Path | None, config: Path | None) -> Any:
    from .voices import VoiceLibrary

    return VoiceLibrary(library or load(config).voices_path)


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

    name = " ".join(text_arg(name, "the voice's name").split())
    options = load(config)
    lib = VoiceLibrary(library or options.voices_path)
    vector, model, seconds = embed_clips(clips, options.diarization.embedding, options.diarization.threads)
    lib.enroll(name, vector, model=model, seconds=seconds, source=", ".join(c.name for c in clips))
    say(f"enrolled {name} ({seconds:.0f} s of speech) in {lib.path}")


@voices_app.command("list")
def voices_list(library: VoicesOpt = None, config: ConfigOpt = None) -> None:
    """List the known voices.

    Example: [bold]restitution voices list[/bold]
    """
    from rich.table import Table
    from rich.text import Text

    table = Table("name", "model", "voiceprints", "seconds")
    for v in _voice_library(library, config).list():
        table.add_row(Text(v.name), Text(v.model), str(v.prints), f"{v.seconds:.0f}")
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
    name = text_arg(name, "the voice's name")
    count = _voice_library(library, config).forget(name)
    if not count:
        fail(f"no voice named {name!r} in the library")
    say(f"forgot {name} ({count} voiceprints)")


__all__ = ["models_app", "voices_app"]
