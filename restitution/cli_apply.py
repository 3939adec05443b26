"""`restitution apply SESSION FILE`: an edited export read back as corrections, saved, republished."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_common import ConfigOpt, OutOpt, config_path, err, overrides, say, setup_logging
from .errors import ConfigError


def apply_cmd(
    target: Annotated[Path, typer.Argument(help="The session, as given to `run`: its folder or its recording.")],
    file: Annotated[Path, typer.Argument(help="The edited .vtt, .srt, transcript.txt or transcript.json.")],
    agenda: Annotated[Path | None, typer.Option(help="Agenda file, when TARGET is a recording.")] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for a run of the same session to finish (default: fail at once).")
    ] = 0.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; save nothing.")] = False,
    out: OutOpt = None,
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage's details.")] = False,
) -> None:
    """Read an edited export back into the session's corrections and republish every output.

    Example: [bold]restitution apply recordings/example outputs/example/example.vtt[/bold]
    """
    from . import corrections
    from .corrections.imports import summary
    from .options import load_options
    from .progress import progress_hook
    from .sessions import load_session

    setup_logging(verbose)
    if not wait >= 0:
        raise ConfigError(f"--wait must be 0 or more seconds, not {wait}")
    session, session_toml, toml_path = load_session(target, agenda)
    flags = overrides(outputs=str(out) if out else None)
    options = load_options(config_path(config), session_toml, str(toml_path), flags)
    out_dir = corrections.out_dir_of(session, options)
    published = corrections.published(out_dir)
    found = corrections.from_file(published, file)
    say(f"{file}: {len(found)} corrections ({summary(found)})")
    if not found or dry_run:
        if not found:
            say("nothing differs from the published session; nothing saved")
        for c in found:
            say(f"  {c.describe()}")
        return
    with progress_hook(err) as hook:
        result = corrections.correct(session, options, found, hook, wait=wait)
    for note in result.unplaced:
        say(f"unplaced: correction {note.number} ({note.what}): {note.reason}")
    say(f"applied {len(result.applied)} corrections, {len(result.unplaced)} could not be placed")
    say(f"done: {out_dir}")
