"""``crisis competences``: audit, export and import competence frameworks and curricula."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer

from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.competences import LANGUAGES, load_bundled, load_catalogue
from crisis.competences.audit import audit
from crisis.competences.case import export_case, export_case_curriculum
from crisis.competences.case_import import import_case
from crisis.competences.documents import export_json, export_yaml, import_document, write_folder
from crisis.competences.esco import rank, read_package
from crisis.competences.models import Catalogue
from crisis.competences.moodle import export_framework, import_framework
from crisis.exceptions import ContentError, CrisisError
from crisis.settings import Settings

app = typer.Typer(
    help="The SCRO competence framework, job profiles and curriculum.", no_args_is_help=True
)


class ExportFormat(StrEnum):
    """Formats ``export`` writes."""

    moodle = "moodle"
    case = "case"
    case_curriculum = "case-curriculum"
    json = "json"
    yaml = "yaml"


def _catalogue(path: Path | None) -> Catalogue:
    return load_bundled() if path is None else load_catalogue(path)


def _changed(path: Path | None) -> datetime | None:
    if path is None:
        return None
    times = [p.stat().st_mtime for p in path.rglob("*.yaml") if p.is_file()]
    return datetime.fromtimestamp(max(times), UTC) if times else None


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise CrisisError(f"--lang: {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


@app.command()
def check(
    path: Path | None = typer.Argument(
        None, help="Catalogue folder; the bundled SCRO content if omitted."
    ),
    profile: str = typer.Option(
        "scro", help="Job profile whose targets the curriculum must reach."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Audit a catalogue: references, prerequisites, reachability, assessment, translations."""
    report = audit(path, profile=profile)
    if as_json:
        print_json(report.as_dict())
    else:
        if report.findings:
            print_table(
                f"Audit of {report.source}",
                ["severity", "check", "finding"],
                [(f.severity, f.check, f.message) for f in report.findings],
            )
        verdict = "[green]passed[/green]" if report.ok else "[red]failed[/red]"
        console.print(
            f"{report.source}: {verdict} with {len(report.errors)} error(s) and "
            f"{len(report.warnings)} warning(s)"
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def export(
    fmt: ExportFormat = typer.Option(ExportFormat.yaml, "--format", help="Output format."),
    path: Path | None = typer.Option(None, "--from", help="Catalogue folder (default: bundled)."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
    lang: str = typer.Option("en", help="Language of the texts (moodle and case)."),
) -> None:
    """Export the catalogue as Moodle CSV, CASE 1.0 packages, JSON or YAML.

    CASE identifiers start from CRISIS_BASE_URL; their change time is the framework's
    ``updated`` date, else the time the catalogue's files last changed.
    """
    cat = _catalogue(path)
    base = Settings.from_env().public_url
    changed = _changed(path)
    if fmt is ExportFormat.moodle:
        text = export_framework(cat.framework, _lang(lang))
    elif fmt is ExportFormat.case:
        text = export_case(cat, _lang(lang), base_url=base, changed=changed)
    elif fmt is ExportFormat.case_curriculum:
        text = export_case_curriculum(cat, _lang(lang), base_url=base, changed=changed)
    elif fmt is ExportFormat.json:
        text = export_json(cat)
    else:
        text = export_yaml(cat)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({fmt.value})")


def _import(file: Path, data: bytes) -> tuple[Catalogue, str]:
    if file.suffix.lower() == ".csv":
        framework = import_framework(data, file.name)
        cat = Catalogue.model_validate(
            {
                "framework": framework,
                "curriculum": {"id": "curriculum", "title": "Curriculum", "modules": []},
            }
        )
        return cat, "Moodle competency framework"
    if file.suffix.lower() == ".json" and b'"CFDocument"' in data[:4096]:
        cat = Catalogue.model_validate(
            {
                "framework": import_case(data, file.name),
                "curriculum": {"id": "curriculum", "title": "Curriculum", "modules": []},
            }
        )
        return cat, "CASE 1.0 package"
    if file.suffix.lower() in (".json", ".yaml", ".yml"):
        return import_document(data, file.name), "CRISIS catalogue"
    raise CrisisError(f"{file.name}: unknown file type; expected .csv, .json, .yaml or .yml")


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., help="A Moodle framework CSV, a CASE 1.0 package, or a JSON/YAML catalogue export."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the result as YAML files into this folder."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Validate a framework file and print a summary; with --out, write it as YAML."""
    if not file.is_file():
        raise CrisisError(f"{file}: no such file")
    data = file.read_bytes()
    try:
        cat, kind = _import(file, data)
    except ContentError as exc:
        # Every problem of the file, one per line, so that all can be fixed in one go.
        for problem in exc.errors:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    summary = {
        "file": file.name,
        "kind": kind,
        "framework": cat.framework.id,
        "areas": len(cat.framework.areas),
        "competences": len(cat.framework.competences),
        "profiles": len(cat.profiles),
        "modules": len(cat.curriculum.modules),
    }
    if out is not None:
        summary["written"] = [str(p) for p in write_folder(cat, out)]
    if as_json:
        print_json(summary)
    else:
        print_table(
            f"Imported {file.name}", ["item", "value"], [(k, v) for k, v in summary.items()]
        )


@app.command("esco-suggest")
def esco_suggest(
    files: list[Path] = typer.Argument(
        ..., help="ESCO CSV files: skills_<lang>.csv in any languages (several at once)."
    ),
    path: Path | None = typer.Option(None, "--from", help="Catalogue folder (default: bundled)."),
    limit: int = typer.Option(5, min=1, max=20, help="Suggestions per competence."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Suggest ESCO skills for each competence, for a person to review.

    Accept them on the web page Competences › ESCO mappings, or add the URIs to the
    competences' ``mappings.esco`` in framework.yaml.
    """
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CrisisError(f"{', '.join(missing)}: no such file")
    cat = _catalogue(path)
    try:
        package = read_package({f.name: f.read_bytes() for f in files})
    except ContentError as exc:
        for problem in exc.errors:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    ranked = rank(cat, package, limit=limit)
    if as_json:
        print_json(
            {
                "languages": package.languages,
                "skills": len(package.skills),
                "suggestions": {
                    comp: [{"uri": s.uri, "label": s.label, "score": s.score} for s in suggestions]
                    for comp, suggestions in ranked.items()
                },
            }
        )
        return
    print_table(
        f"ESCO suggestions ({len(package.skills)} skills in {', '.join(package.languages)})",
        ["competence", "rank", "score", "ESCO skill", "URI"],
        [
            (
                f"{comp} {cat.competence(comp).title.get('en')}" if i == 0 else "",
                i + 1,
                s.score,
                s.label,
                s.uri,
            )
            for comp, suggestions in ranked.items()
            for i, s in enumerate(suggestions)
        ],
    )
