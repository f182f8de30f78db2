"""``crisis db``: create or migrate the schema, back up and restore."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.orm import Session

from crisis import accounts
from crisis.cli import _context
from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.store import backup as backups
from crisis.store import users
from crisis.store.migrate import upgrade as run_upgrade

app = typer.Typer(help="Database schema, backups and restores.", no_args_is_help=True)

DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("admin", "admin", "Demo administrator"),
    ("instructor", "instructor", "Demo instructor"),
    ("analyst", "analyst", "Demo resilience analyst"),
    ("learner", "learner", "Demo learner"),
)


@app.command()
def upgrade(
    demo_accounts: bool = typer.Option(
        False,
        "--demo-accounts",
        help="When the database has no accounts yet, create one demo account per role, "
        "print their passwords (only this once) and load the demo city workspace and the "
        "demo learner cohort.",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Create the database or migrate it to the newest schema (all or nothing)."""
    engine = _context.engine()
    before, after = run_upgrade(engine)
    created: list[dict[str, str]] = []
    demo_workspace: str | None = None
    demo_cohort: str | None = None
    if demo_accounts:
        with Session(engine) as db, db.begin():
            if users.count_users(db) == 0:
                # The demo data pulls in the workbench and learners: imported only here.
                from crisis.store import learning, workspaces

                for username, role, name in DEMO_ACCOUNTS:
                    password = accounts.generate_password()
                    users.add_user(db, username, password, role, display_name=name)
                    created.append({"username": username, "role": role, "password": password})
                demo = workspaces.seed_demo(db, users.get_user(db, "analyst"))
                demo_workspace = demo.name if demo is not None else None
                cohort = learning.seed_demo_cohort(db, users.get_user(db, "instructor"))
                demo_cohort = cohort.name if cohort is not None else None
    if as_json:
        print_json(
            {
                "from": before,
                "to": after,
                "demo_accounts": created,
                "demo_workspace": demo_workspace,
                "demo_cohort": demo_cohort,
            }
        )
        return
    if before == after:
        console.print(f"Database is up to date (revision {after}).")
    else:
        console.print(f"Database migrated from {before or 'empty'} to revision {after}.")
    if created:
        print_table(
            "Demo accounts (shown once — note them now)",
            ["username", "role", "password"],
            [(c["username"], c["role"], c["password"]) for c in created],
        )
    if demo_workspace:
        console.print(f"Demo city workspace {demo_workspace!r} loaded (owner: analyst).")
    if demo_cohort:
        console.print(f"Demo cohort {demo_cohort!r} with six learners loaded (owner: instructor).")


@app.command()
def backup(
    path: Path = typer.Argument(..., help="File to write (gzip-compressed JSON)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Write every row of the database to a file (SQLite or PostgreSQL alike)."""
    counts = backups.backup(_context.engine(), path)
    if as_json:
        print_json({"path": str(path), "rows": counts})
    else:
        console.print(f"Backed up {sum(counts.values())} rows from {len(counts)} tables to {path}.")


@app.command()
def restore(
    path: Path = typer.Argument(..., help="A file written by `crisis db backup`."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before replacing all rows."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Replace every row of the database with a backup's rows, in one transaction."""
    backups.read_backup(path)
    if not yes and not typer.confirm(f"Replace all data in the database with {path}?"):
        raise typer.Abort()
    counts = backups.restore(_context.engine(), path)
    if as_json:
        print_json({"path": str(path), "rows": counts})
    else:
        console.print(
            f"Restored {sum(counts.values())} rows into {len(counts)} tables from {path}."
        )
