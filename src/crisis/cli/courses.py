"""``crisis courses``: check unit files and list the units of the modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from crisis.cli._output import JSON_OPTION_HELP, console, err_console, print_json, print_table
from crisis.courses import Course, load_units
from crisis.exceptions import ContentError

app = typer.Typer(
    help="Course units: check files, list what each module has.", no_args_is_help=True
)


def _load(path: Path | None) -> Course:

    try:
        return load_units(path)
    except ContentError as exc:
        for problem in exc.errors:
            err_console.print(problem, markup=False, highlight=False)
        raise ContentError(f"{len(exc.errors)} problem(s) in the unit files") from None


@app.command("check")
def check(
    path: Path | None = typer.Argument(
        None, help="A unit file or a folder of them (default: the bundled units)."
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Also fail on the writing guide's rules (units per module, words, minutes).",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Check unit files: every problem with file:line; then the writing guide's rules."""
    from crisis.competences import load_bundled

    course = _load(path)
    catalogue = load_bundled()
    guide = course.guideline_problems(catalogue)
    missing = [
        m.id
        for m in catalogue.curriculum.modules
        if m.id.startswith("M") and not course.of_module(m.id)
    ]
    if as_json:
        print_json(
            {
                "units": len(course.units),
                "modules": {m: len(course.of_module(m)) for m in course.modules()},
                "guideline": guide,
                "modules_without_units": missing,
                "missing_translations": [list(t) for t in course.missing_translations()],
            }
        )
    else:
        console.print(
            f"{len(course.units)} unit(s) in {len(course.modules())} module(s): no errors."
        )
        for problem in guide:
            console.print(f"guide: {problem}", markup=False, highlight=False)
        if missing:
            console.print(f"modules without units: {', '.join(missing)}")
    if strict and guide:
        raise ContentError(f"{len(guide)} writing-guide problem(s); first: {guide[0]}")


@app.command("list")
def list_units(
    module: str | None = typer.Option(None, "--module", help="Only this module."),
    path: Path | None = typer.Option(None, "--units", help="Unit folder (default: bundled)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """List units: id, title, minutes, activity, lesson words, translations."""
    course = _load(path)
    units = [
        u
        for u in sorted(course.units.values(), key=lambda u: (u.module, u.number))
        if module in (None, u.module)
    ]
    rows: list[dict[str, Any]] = [
        {
            "id": u.id,
            "title": u.title,
            "minutes": u.minutes,
            "activity": u.activity.kind,
            "target": getattr(u.activity, "exercise", None)
            or getattr(u.activity, "task", None)
            or ",".join(getattr(u.activity, "competences", [])),
            "lesson_words": u.words("lesson"),
            "translations": sorted(u.translations),
        }
        for u in units
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        f"{len(rows)} units",
        ["unit", "title", "minutes", "activity", "on", "lesson words", "translations"],
        [
            (
                r["id"],
                r["title"],
                r["minutes"],
                r["activity"],
                r["target"],
                r["lesson_words"],
                " ".join(r["translations"]),
            )
            for r in rows
        ],
    )
