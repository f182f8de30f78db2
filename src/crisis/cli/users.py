"""``crisis user``: manage accounts from the command line."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.cli import _context
from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.store import users

app = typer.Typer(help="Accounts and roles.", no_args_is_help=True)


@app.command("add")
def add(
    username: str = typer.Argument(...),
    role: str = typer.Option("learner", "--role", help=f"One of: {', '.join(accounts.ROLES)}."),
    name: str = typer.Option("", "--name", help="Display name."),
    password: str | None = typer.Option(
        None, "--password", help="Password (≥ 10 characters); generated when omitted."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Create an account."""
    secret = password or accounts.generate_password()
    with Session(_context.engine()) as db, db.begin():
        user = users.add_user(db, username, secret, role, display_name=name)
        result = {"username": user.username, "role": user.role}
    if password is None:
        result["password"] = secret
    if as_json:
        print_json(result)
    else:
        console.print(f"Created {result['username']} ({result['role']}).")
        if password is None:
            console.print(f"Password: {secret}")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """List accounts."""
    with Session(_context.engine()) as db:
        rows = [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "active": u.is_active,
                "created": u.created_at.isoformat(timespec="seconds"),
            }
            for u in users.list_users(db)
        ]
    if as_json:
        print_json(rows)
    else:
        print_table(
            None,
            ["username", "name", "role", "active", "created"],
            [tuple(r.values()) for r in rows],
        )


@app.command("set-role")
def set_role(username: str, role: str) -> None:
    """Change an account's role."""
    with Session(_context.engine()) as db, db.begin():
        user = users.set_role(db, username, role)
        console.print(f"{user.username} is now {user.role}.")


@app.command("reset-password")
def reset_password(
    username: str,
    password: str | None = typer.Option(
        None, "--password", help="New password; generated when omitted."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Set a new password and end the account's open sessions."""
    secret = password or accounts.generate_password()
    with Session(_context.engine()) as db, db.begin():
        users.set_password(db, username, secret)
    if as_json:
        print_json({"username": username, "password": None if password else secret})
    elif password is None:
        console.print(f"New password for {username}: {secret}")
    else:
        console.print(f"Password of {username} changed.")
