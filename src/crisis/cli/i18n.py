"""``crisis i18n``: translation completeness of the bundled content, and the glossary."""

from __future__ import annotations

from pathlib import Path

import typer

from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.exceptions import CrisisError
from crisis.i18n.check import check as run_check
from crisis.i18n.check import content_names
from crisis.i18n.glossary import TRANSLATED, bundled_glossary, load_glossary

app = typer.Typer(
    help="Languages: translation completeness of every bundled text, and the glossary.",
    no_args_is_help=True,
)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@app.command()
def check(
    lang: list[str] = typer.Option(
        [], "--lang", help="Check only this language (el, de, pt); repeat or comma-separate."
    ),
    content: list[str] = typer.Option(
        [], "--content", help="Check only this content type; repeat or comma-separate."
    ),
    skip: list[str] = typer.Option(
        [], "--skip", help="Leave out this content type; repeat or comma-separate."
    ),
    glossary: Path | None = typer.Option(
        None, "--glossary", help="Glossary file to hold (default: the bundled one)."
    ),
    no_glossary: bool = typer.Option(
        False, "--no-glossary", help="Report missing translations only."
    ),
    limit: int = typer.Option(
        50, min=0, help="List at most this many problems per content type (0: all)."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Find every missing or empty translation and every glossary term rendered otherwise.

    Walks every bundled content file and the interface catalogues; exit code 1 when anything
    is found. Content types: run `crisis i18n types`.
    """
    languages = _split(lang) or list(TRANSLATED)
    report = run_check(
        languages,
        content=_split(content) or None,
        skip=_split(skip),
        glossary=load_glossary(glossary) if glossary is not None else None,
        use_glossary=not no_glossary,
    )
    if as_json:
        print_json(report.as_dict())
        if not report.ok:
            raise typer.Exit(1)
        return
    rows = []
    for name, tally in report.tallies.items():
        problems = report.for_content(name)
        missing = sum(p.kind == "missing" for p in problems)
        rows.append(
            (
                name,
                tally.total,
                *(f"{tally.translated[lg]}/{tally.total}" for lg in report.languages),
                missing,
                tally.glossary,
            )
        )
    print_table(
        "Translations of the bundled content",
        ["content", "texts", *report.languages, "missing", "glossary"],
        rows,
    )
    for name in report.tallies:
        problems = report.for_content(name)
        if not problems:
            continue
        console.print(f"\n[bold]{name}[/bold]: {len(problems)} problem(s)")
        shown = problems if limit == 0 else problems[:limit]
        for problem in shown:
            console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
        if len(shown) < len(problems):
            console.print(f"… and {len(problems) - len(shown)} more (--limit 0 lists all)")
    verdict = "[green]complete[/green]" if report.ok else "[red]incomplete[/red]"
    console.print(
        f"\n{verdict}: {len(report.missing)} missing translation(s), "
        f"{len(report.glossary)} glossary finding(s) in {', '.join(report.languages)}"
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def types(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """List the content types the check walks."""
    from crisis.i18n.content import content_types

    rows = [(c.name, c.description) for c in content_types()]
    rows.append(("interface", "the interface's gettext catalogues"))
    if as_json:
        print_json([{"name": n, "description": d} for n, d in rows])
    else:
        print_table("Content types", ["name", "what it holds"], rows)
    assert [r[0] for r in rows] == content_names()


@app.command()
def glossary(
    term: str | None = typer.Argument(None, help="A term id (e.g. hazard); all terms if omitted."),
    lang: str | None = typer.Option(None, "--lang", help="Show one language (en, el, de, pt)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Print the glossary: each term in every language, with what the check flags."""
    gloss = bundled_glossary()
    terms = [gloss.term(term)] if term else gloss.terms
    languages = ["en", *TRANSLATED]
    if lang is not None:
        if lang not in languages:
            raise CrisisError(f"--lang: {lang!r} is not one of {', '.join(languages)}")
        languages = [lang]
    if as_json:
        print_json([t.model_dump(exclude_none=True) for t in terms])
        return
    rows = []
    for t in terms:
        cells = []
        for lg in languages:
            if lg == "en":
                cells.append(t.en.term)
            else:
                r = t.rendering(lg)
                avoid = f" (not: {', '.join(r.avoid)})" if r.avoid else ""
                cells.append(r.term + avoid)
        rows.append((t.id, *cells))
    print_table("Glossary", ["id", *languages], rows)
