"""`restitution search` and `restitution index`: the archive's full-text index."""

from __future__ import annotations

from typing import Annotated

import typer

from .cli_common import ConfigOpt, IndexOpt, OutOpt, at_least_one, console, err, load, say, setup_logging

index_app = typer.Typer(help="Maintain the archive's search index.", no_args_is_help=True)


def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", prefix*, AND / OR / NOT.')],
    speaker: Annotated[
        str | None,
        typer.Option(help="Only what this speaker said (every word given, any order; case and accents ignored)."),
    ] = None,
    session: Annotated[str | None, typer.Option(help="Only this session id.")] = None,
    chapter: Annotated[
        str | None, typer.Option(help="Only chapters whose title has these words (circul* for part of a word).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only sessions on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only sessions on or before this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many hits (at least 1).")] = 20,
    index: IndexOpt = None,
    out: OutOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Search everything ever said across the archive.

    Example: [bold]restitution search '"économie circulaire"' --speaker "stephanie mabileau"[/bold]
    """
    from . import index as index_mod
    from .display import decoded

    at_least_one(limit, "--limit")
    options = load(config, outputs=str(out) if out else None, index=str(index) if index else None)
    hits = index_mod.search(
        options.index_path,
        decoded(query),  # text that was not UTF-8 is searched as U+FFFD, never sent to SQLite as is
        speaker=None if speaker is None else decoded(speaker),
        session=None if session is None else decoded(session),
        chapter=None if chapter is None else decoded(chapter),
        since=since,
        until=until,
        limit=limit,
        base_url=options.export.base_url,
    )
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

    setup_logging(False)  # the sessions left out are warnings
    options = load(config, outputs=str(out) if out else None, index=str(index) if index else None)
    count = index_mod.rebuild(options.index_path, options.outputs_dir)
    say(f"indexed {count} sessions into {options.index_path}")


__all__ = ["index_app", "search"]
