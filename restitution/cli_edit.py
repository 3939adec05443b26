"""`restitution edit SESSION`: the session's page in an edit mode, served on 127.0.0.1 until Ctrl-C.

SESSION is found as `run` finds it (a folder, or a recording with --agenda), and so are its
options and its outputs folder; the session must have been run (its session.json is what the
page edits).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import ConfigOpt, config_path, overrides, say
from .errors import ConfigError, OutputError


def edit(
    target: Annotated[Path, typer.Argument(help="A session folder (recording + agenda.txt) or a recording file.")],
    agenda: Annotated[Path | None, typer.Option(help="Agenda file, when TARGET is a recording.")] = None,
    out: Annotated[Path | None, typer.Option(help="Outputs folder (default: outputs).")] = None,
    index: Annotated[Path | None, typer.Option(help="Search index (default: <outputs>/index.sqlite).")] = None,
    config: ConfigOpt = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (default: a free one).")] = 0,
    low_confidence: Annotated[
        float, typer.Option("--low-confidence", help="Highlight words the decoder gave less than this probability.")
    ] = 0.5,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
) -> None:
    """Correct a session in its page: fix words, speakers and chapters, then save to republish.

    Serves on 127.0.0.1 only, at an address with a secret token; Ctrl-C stops it.
    Example: [bold]restitution edit recordings/example --open[/bold]
    """
    from .edit.page import edit_page, session_view
    from .edit.save import saver
    from .edit.server import EditServer
    from .files import inside
    from .options import load_options
    from .sessions import load_session, own_id

    if not (math.isfinite(low_confidence) and 0 <= low_confidence <= 1):
        raise ConfigError(f"--low-confidence must be between 0 and 1, not {low_confidence}")
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, not {port}")
    session, session_toml, toml_path = load_session(target, agenda)
    flags = overrides(outputs=str(out) if out else None, index=str(index) if index else None)
    options = load_options(config_path(config), session_toml, str(toml_path), flags)
    sid = own_id(session, options.outputs_dir).id
    out_dir = inside(options.outputs_dir, sid)
    if not (out_dir / "session.json").is_file():
        raise OutputError(f"no session.json: run `restitution run {target}` first", out_dir)
    try:
        server = EditServer(
            out_dir,
            f"{sid}.mp3",
            page=lambda path: edit_page(path, low_confidence),
            view=session_view,
            save=saver(session, options, out_dir),
            port=port,
        )
    except OSError as e:
        raise OutputError(f"cannot listen on 127.0.0.1:{port}: {e.strerror or e}") from None
    say(f"editing {sid} at {server.url}")
    say("only this address works (it holds a secret token); Ctrl-C stops the editor")
    sys.stdout.flush()  # a script reading the address through a pipe gets it now
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        if not server.save_lock.acquire(blocking=False):
            say("waiting for the save in progress to finish")
            server.save_lock.acquire()  # its republish is a run of the session: let it end whole
        say("editor stopped")
    finally:
        server.server_close()
