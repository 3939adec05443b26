"""The README documents every command and every output; config.toml is tested in test_options."""

import re
from pathlib import Path

import typer

from restitution.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix: str = "restitution"):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def test_every_command_is_documented_with_its_options():
    root = typer.main.get_command(app)
    for full, command in _commands(root):
        assert f"`{full}" in README, f"README does not document {full}"
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in ("--help", "--config", "--library"):
                    assert opt in README, f"README does not mention {full} {opt}"


def test_every_command_has_an_example_in_its_help():
    root = typer.main.get_command(app)
    for full, command in _commands(root):
        assert "Example" in (command.help or ""), f"{full} --help has no example"


def test_readme_opens_with_two_setup_commands_and_one_test_command():
    setup = re.search(r"## Set up.*?```sh\n(.*?)```", README, re.S).group(1)
    assert len([line for line in setup.splitlines() if line.strip()]) == 2
    assert ".venv/bin/python -m pytest -q" in README
