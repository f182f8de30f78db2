"""``crisis integrations``: the outbox of scores and statements, LMS platforms, the tool's keys.

``crisis serve`` sends the outbox every ``CRISIS_OUTBOX_SECONDS``; with ``0`` (or between
passes, or with the server stopped) ``crisis integrations deliver`` sends what is due now.
"""

from __future__ import annotations

import types
from typing import cast

import typer

from crisis.cli import _context
from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table

app = typer.Typer(
    help="LMS and learning-record-store integrations: send the outbox, list platforms, keys.",
    no_args_is_help=True,
)
platforms_app = typer.Typer(help="LMS platforms registered for LTI 1.3.", no_args_is_help=True)
app.add_typer(platforms_app, name="platforms")


@app.command()
def deliver(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """Send the due outbox now: new journey events become statements and scores, then every
    message whose next try has come goes to the LRS or the LMS."""
    from crisis.store.db import make_sessionmaker
    from crisis.web.catalogues import in_use_of
    from crisis.web.integrations import delivery

    settings = _context.settings()
    sessions = make_sessionmaker(_context.engine())
    with sessions() as db:
        catalogue = in_use_of(types.SimpleNamespace(), db).catalogue
    report = delivery.run_once(sessions, settings, catalogue)
    if as_json:
        print_json(
            {
                "sent": report.sent,
                "delivered": report.delivered,
                "waiting": report.waiting,
                "refused": report.refused,
                "lrs": bool(settings.lrs_url),
            }
        )
        return
    console.print(
        f"Sent {report.sent}. In the outbox now: {report.delivered} delivered, "
        f"{report.waiting} waiting, {report.refused} refused."
    )
    if not settings.lrs_url:
        console.print("No CRISIS_LRS_URL: statements stay in the outbox for learners' downloads.")


@platforms_app.command("list")
def platforms_list(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """List the registered LMS platforms: issuer, client id, deployment ids."""
    from crisis.store import integrations as store
    from crisis.store.db import make_sessionmaker

    with make_sessionmaker(_context.engine(), read_only=True)() as db:
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "issuer": p.issuer,
                "client_id": p.client_id,
                "deployment_ids": list(p.deployment_ids),
                "auth_url": p.auth_url,
                "token_url": p.token_url,
                "jwks_url": p.jwks_url,
                "active": p.active,
            }
            for p in store.platforms(db)
        ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No LMS platform is registered.")
        return
    print_table(
        "LMS platforms",
        ["id", "name", "issuer", "client id", "deployment ids"],
        [
            (
                r["id"],
                r["name"],
                r["issuer"],
                r["client_id"],
                " ".join(cast("list[str]", r["deployment_ids"])),
            )
            for r in rows
        ],
    )


@app.command()
def keys(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """List the LTI tool's published keys (newest first; the newest signs)."""
    from crisis.integrations import keys as tool_keys

    published = tool_keys.jwks(_context.settings().data_dir)["keys"]
    if as_json:
        print_json(published)
    else:
        print_table(
            "LTI tool keys", ["key id", "algorithm"], [(k["kid"], k["alg"]) for k in published]
        )


@app.command("rotate-key")
def rotate_key() -> None:
    """Make a new signing key; the previous one stays published for platforms' caches."""
    from crisis.integrations import keys as tool_keys

    fresh, removed = tool_keys.rotate(_context.settings().data_dir)
    console.print(
        f"{fresh.kid} signs from now on; {len(removed)} older key(s) withdrawn from /lti/jwks"
    )
