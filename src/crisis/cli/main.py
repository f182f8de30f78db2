"""The ``crisis`` command: a Typer app that gathers one sub-app per command group."""

from __future__ import annotations

import importlib
import sys

import typer

from crisis import __version__
from crisis.exceptions import CrisisError

#: (command name, module under crisis.cli that defines ``app``), in help order.
_GROUPS: tuple[tuple[str, str], ...] = (
    ("db", "db"),
    ("user", "users"),
    ("competences", "competences"),
    ("learner", "learners"),
    ("cohort", "cohort"),
    ("items", "items"),
    ("sim", "sim"),
    ("workbench", "workbench"),
    ("i18n", "i18n"),
)

app = typer.Typer(
    name="crisis",
    help="CRISIS: education platform for Smart City Resilience Officers.",
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


def _register() -> None:
    from crisis.cli import serve

    app.command("serve")(serve.serve)
    for name, module in _GROUPS:
        sub = importlib.import_module(f"crisis.cli.{module}")
        app.add_typer(sub.app, name=name)


_register()


def main() -> None:
    """Run the CLI; a :class:`CrisisError` becomes one line on stderr and exit code 1.

    Usage errors are Typer's own: a message and exit code 2.
    """
    try:
        app()
    except CrisisError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
