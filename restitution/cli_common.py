"""What every command shares: the consoles, the one error handler, option types, config lookup.

Nothing is printed as rich markup: the consoles have markup and emoji off, so a path like
`recordings/[draft]/talk.mp3` or a speaker named `[/x]` is printed whole; styles come from
`rich.text.Text` only. Every message goes through `display.printable`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from .display import decoded, printable
from .errors import ConfigError, RestitutionError
from .interrupt import Terminated, on_sigterm


class _Stream:
    """sys.stdout or sys.stderr, looked up at each write (tests swap them), with the bytes that
    were not UTF-8 in any text (a table cell, a file name) shown as U+FFFD instead of crashing."""

    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(getattr(sys, self.name), attr)

    def write(self, text: str) -> int:
        return getattr(sys, self.name).write(decoded(text))


console = Console(file=_Stream("stdout"), markup=False, emoji=False, highlight=False, soft_wrap=True)  # type: ignore[arg-type]
err = Console(file=_Stream("stderr"), markup=False, emoji=False, highlight=False, soft_wrap=True)  # type: ignore[arg-type]
DEFAULT_CONFIG = Path("config.toml")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Config file (default: ./config.toml when present).")]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="Search index (default: <outputs>/index.sqlite).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Outputs folder (default: outputs).")]


def say(text: str, style: str | None = None) -> None:
    """One line on stdout, as text."""
    console.print(Text(printable(text), style=style or ""))


def fail(message: str, code: int = 1) -> NoReturn:
    """The one way a command reports a user error: `error: <message>` on one line of stderr."""
    err.print(Text.assemble(("error:", "red"), " ", printable(message)))
    raise typer.Exit(code)


class Commands(TyperGroup):
    """The root command group; its `invoke` runs every subcommand, so this is the single place
    where a `RestitutionError` (or a value typer cannot convert) becomes one line and exit 1."""

    def invoke(self, ctx: Any) -> Any:  # typer.Context; typed loosely as typer vendors click
        on_sigterm()  # `kill` (a scheduler stopping the job) ends a run as Ctrl-C does
        try:
            return super().invoke(ctx)
        except RestitutionError as e:
            fail(str(e))
        except typer.BadParameter as e:  # "--limit x", "--num-speakers two": a bad value, not bad usage
            # A missing argument is bad usage: typer's own message and exit 2. (Its class is not
            # public in typer, which vendors click; hence the name.)
            if type(e).__name__ == "MissingParameter":
                raise
            fail(e.format_message())
        except Terminated:
            err.print("terminated (SIGTERM): the stage in progress was abandoned; run again to resume")
            raise typer.Exit(143) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None


class _Printable(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = printable(record.getMessage()), None
        return True


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def setup_logging(verbose: bool) -> None:
    """Log lines on stderr: rich in a terminal (it keeps the progress bars whole), plain in a log."""
    logger = logging.getLogger("restitution")
    if not logger.handlers:
        handler: logging.Handler
        if err.is_terminal:
            from rich.highlighter import NullHighlighter
            from rich.logging import RichHandler

            handler = RichHandler(
                console=err, show_path=False, show_time=False, markup=False, highlighter=NullHighlighter()
            )
        else:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(_PlainFormatter())
        handler.addFilter(_Printable())
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def config_path(config: Path | None) -> Path | None:
    if config is not None:
        if not config.is_file():
            raise ConfigError("config file not found", config)
        return config
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def overrides(**values: Any) -> dict[str, Any]:
    """CLI flags as a nested options table; only the flags the user gave. Paths keep their bytes."""
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


def load(config: Path | None, **flags: Any) -> Any:
    """Options for commands that work on the archive (no session.toml)."""
    from .options import load_options

    return load_options(config_path(config), None, "session.toml", overrides(**flags))


def text_arg(value: str, flag: str) -> str:
    """A text argument: decoded with replacement where it was not UTF-8, and not blank."""
    text = decoded(value)
    if not text.strip():
        raise ConfigError(f"{flag} is blank")
    return text


def at_least_one(value: int, flag: str, most: int | None = None) -> int:
    if value < 1 or (most is not None and value > most):
        span = f"between 1 and {most}" if most is not None else "at least 1"
        raise ConfigError(f"{flag} must be {span}, not {value}")
    return value
