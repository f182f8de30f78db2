"""The ``crisis`` command: a Typer app that gathers one sub-app per command group.

Command groups are imported only when a command of theirs runs (or help lists them), so
``crisis db upgrade`` does not pay for importing the simulator, the workbench and the rest.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
import typer.core
import typer.main

from crisis import __version__
from crisis.cli import serve
from crisis.exceptions import CrisisError

#: (command name, module under crisis.cli that defines ``app``), in help order.
_GROUPS: tuple[tuple[str, str], ...] = (
    ("db", "db"),
    ("user", "users"),
    ("competences", "competences"),
    ("learner", "learners"),
    ("cohort", "cohort"),
    ("items", "items"),
    ("courses", "courses"),
    ("sim", "sim"),
    ("workbench", "workbench"),
    ("i18n", "i18n"),
    ("credentials", "credentials"),
    ("integrations", "integrations"),
)


class _LazyGroup(typer.core.TyperGroup):
    """The root group: each command group's module is imported when it is first needed."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name, _ in _GROUPS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        for name, module in _GROUPS:
            if name == cmd_name:
                sub = importlib.import_module(f"crisis.cli.{module}")
                group = typer.main.get_group(sub.app)
                group.name = name
                self.commands[name] = group
                return group
        return None


app = typer.Typer(
    name="crisis",
    help="CRISIS: education platform for Smart City Resilience Officers.",
    cls=_LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crisis {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """CRISIS command line."""


app.command("serve")(serve.serve)


def main() -> None:
    """Run the CLI; a :class:`CrisisError` becomes one line on stderr and exit code 1.

    Usage errors are Typer's own: a message and exit code 2.
    """
    try:
        app()
    except CrisisError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
