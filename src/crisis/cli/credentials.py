"""``crisis credentials``: the issuer's signing keys."""

from __future__ import annotations

import typer

from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.credentials import KeyRing
from crisis.settings import Settings

app = typer.Typer(help="Open Badges credentials: the issuer's signing keys.", no_args_is_help=True)


def _ring() -> KeyRing:
    return KeyRing(Settings.from_env().data_dir / "credentials" / "keys")


@app.command()
def keys(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """List the issuer's keys (newest first); the newest signs, all stay published."""
    published = _ring().jwks()["keys"]
    if as_json:
        print_json(published)
    else:
        print_table(
            "Issuer keys", ["key", "public key (x)"], [(k["kid"], k["x"]) for k in published]
        )


@app.command("rotate-key")
def rotate_key() -> None:
    """Create a new signing key; credentials signed with the old ones still verify."""
    key = _ring().rotate()
    console.print(f"{key.kid} signs from now on; older keys stay published at /credentials/keys")
