"""``crisis learner``, ``crisis cohort`` and ``crisis items``: the learner journey from files."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import typer

from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.exceptions import ContentError, FormatError
from crisis.formats.tables import SafeDictWriter

app = typer.Typer(help="A learner's gaps and optimal learning path.", no_args_is_help=True)
cohort_app = typer.Typer(help="Training needs of a group of staff.", no_args_is_help=True)

ITEMS_HELP = "Item file or folder (default: bundled)."
CATALOGUE_HELP = "Folder with framework.yaml, profiles.yaml, curriculum.yaml (default: bundled)."


# Callbacks keep each app a command group, so "path", "needs" … are always spelled out.
@app.callback()
def _learner() -> None:
    """A learner's gaps and optimal learning path."""


@cohort_app.callback()
def _cohort() -> None:
    """Training needs of a group of staff."""


def _catalogue(path: Path | None) -> Any:
    from crisis.competences import load_bundled, load_catalogue

    return load_catalogue(path) if path is not None else load_bundled()


def _date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormatError(f"--start must be a date YYYY-MM-DD, got {value!r}") from None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@app.command("path")
def path(
    ratings: Path = typer.Option(..., "--ratings", help="YAML, JSON or CSV: competence → level."),
    profile: str = typer.Option("scro", "--profile", help="Job profile id."),
    completed: str | None = typer.Option(None, help="Completed modules, e.g. M01,M02."),
    hours_per_week: float = typer.Option(4.0, "--hours-per-week", help="Study hours per week."),
    start: str | None = typer.Option(None, help="First day of week 1, YYYY-MM-DD (default today)."),
    objective: str = typer.Option("hours", help="Minimise 'hours' or 'ects'."),
    scope: str = typer.Option(
        "all", help="What the path may use: a programme id (e.g. scro-mooc) or 'all'."
    ),
    lang: str = typer.Option("en", help="Language: en, el, de, pt."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also write the PDF report here."),
    catalogue_dir: Path | None = typer.Option(None, "--catalogue", help=CATALOGUE_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Gaps against a job profile and the cheapest ordered set of modules that closes them."""
    from crisis.learners.gaps import analyse_gaps
    from crisis.learners.schedule import plan_path, scope_modules
    from crisis.learners.selfassessment import load_ratings

    if objective not in ("hours", "ects"):
        raise ContentError(f"--objective must be hours or ects, got {objective!r}")
    catalogue = _catalogue(catalogue_dir)
    job = catalogue.profile(profile)
    assessment = load_ratings(ratings, catalogue=catalogue)
    gaps = analyse_gaps(assessment.as_dict(), job, catalogue, lang=lang)
    result = plan_path(
        gaps,
        catalogue,
        completed=_split(completed),
        hours_per_week=hours_per_week,
        start=_date(start),
        objective="ects" if objective == "ects" else "hours",
        lang=lang,
        scope=scope_modules(catalogue.curriculum, scope),
    )
    if pdf is not None:
        from crisis.learners.report import learner_report_pdf

        pdf.write_bytes(
            learner_report_pdf(catalogue=catalogue, profile=job, gaps=gaps, path=result, lang=lang)
        )
    if as_json:
        print_json({"profile": job.id, **result.as_dict()})
        return
    print_table(
        f"Gaps against {job.title.get(lang)}",
        ["#", "competence", "title", "current", "target", "essential"],
        [
            (
                g.priority + 1,
                g.competence,
                g.title,
                g.current,
                g.target,
                "yes" if g.essential else "",
            )
            for g in gaps
            if g.open
        ],
    )
    print_table(
        "Learning path",
        ["#", "module", "title", "hours", "weeks", "dates", "why"],
        [
            (
                k,
                s.module,
                s.title,
                f"{s.hours:g}",
                f"{s.weeks[0]}–{s.weeks[1]}",
                f"{s.start} – {s.end}",
                s.explanation,
            )
            for k, s in enumerate(result.steps, start=1)
        ],
    )
    console.print(
        f"{len(result.steps)} modules, {result.hours:g} hours, {result.ects:g} ECTS, "
        f"{result.weeks} weeks at {hours_per_week:g} h/week"
        + (f"; report written to {pdf}" if pdf else "")
    )


@cohort_app.command("needs")
def needs(
    file: Path = typer.Argument(..., help="CSV or XLSX: person, consent, C01 … C20."),
    profile: str = typer.Option("scro", "--profile", help="Job profile id."),
    budget: float | None = typer.Option(None, "--budget", help="Hours budget for modules."),
    export: Path | None = typer.Option(None, "--export", help="Write anonymised CSV here."),
    seed: int | None = typer.Option(None, help="Seed for the export's row order."),
    lang: str = typer.Option("en", help="Language: en, el, de, pt."),
    catalogue_dir: Path | None = typer.Option(None, "--catalogue", help=CATALOGUE_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Training-needs analysis of staff self-assessments, and the modules that serve most."""
    from crisis.learners.cohorts import anonymised_rows, training_needs
    from crisis.learners.staff import read_staff

    catalogue = _catalogue(catalogue_dir)
    job = catalogue.profile(profile)
    members = read_staff(file, catalogue)
    analysis = training_needs(members, job, catalogue, budget_hours=budget, lang=lang)
    if export is not None:
        rows = anonymised_rows(members, job, catalogue, rng=seed)
        buffer = io.StringIO()
        writer = SafeDictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        export.write_text(buffer.getvalue(), encoding="utf-8")
    if as_json:
        print_json(analysis.as_dict())
        return
    console.print(f"{analysis.size} people, profile {job.id}; {analysis.hidden} without consent")
    if analysis.matrix:
        print_table(
            "Levels of people who consented",
            ["person", *analysis.competences],
            [(p, *levels.values()) for p, levels in analysis.matrix.items()],
        )
    if not analysis.aggregates_visible:
        console.print(f"Aggregates hidden: {analysis.note}")
        return
    for title, group, count in (
        ("learners who share their results", analysis.distributions, analysis.learners),
        ("imported people", analysis.imported_distributions, analysis.imported),
    ):
        if group is None:
            continue
        print_table(
            f"Distribution per competence: {count} {title}",
            ["competence", "target", "0", "1", "2", "3", "4", "below target"],
            [(d.competence, d.target, *d.counts, f"{d.below_target}/{count}") for d in group],
        )
    if analysis.coverage is not None:
        c = analysis.coverage
        console.print(
            f"Recommended modules within {c.budget:g} h: {', '.join(c.modules) or 'none'} "
            f"({c.hours:g} h) serve {c.gaps_served} of {c.gaps_total} individual gaps"
        )
    if export is not None:
        console.print(f"Anonymised results written to {export}")
