"""``crisis workbench``: hazard register, prioritisation and scorecard from files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
import yaml

from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.exceptions import ContentError, FormatError

app = typer.Typer(
    help="Hazard register, risk prioritisation and resilience scorecard.", no_args_is_help=True
)

WORKSPACE_HELP = "A workspace YAML file, or 'demo' for the bundled city Portavera."


def _workspace(source: str) -> Any:
    from crisis.workbench.workspace import demo_workspace, load_workspace

    return demo_workspace() if source == "demo" else load_workspace(source)


def _save(workspace: Any, path: Path) -> None:
    data = workspace.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@app.command("import")
def import_(
    source: Path = typer.Argument(..., help="CSV or XLSX file to import."),
    into: Path = typer.Option(..., "--into", help="Workspace YAML to update (created if new)."),
    kind: str = typer.Option("register", help="What the file holds: register or scorecard."),
    city: str | None = typer.Option(None, help="City name (for a new workspace)."),
    name: str | None = typer.Option(None, help="Workspace name (for a new workspace)."),
    label: str = typer.Option("Imported round", help="Scorecard round label."),
    date: str | None = typer.Option(None, help="Scorecard round date, YYYY-MM-DD (default today)."),
    level: str = typer.Option("preliminary", help="Scorecard level: preliminary or detailed."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Import a register or a scorecard round from CSV/XLSX into a workspace file."""
    from crisis.workbench.spreadsheets import import_register, import_round
    from crisis.workbench.workspace import Workspace, load_workspace, parse_workspace

    existing: Workspace | None = load_workspace(into) if into.exists() else None
    if kind == "register":
        city_name = city or (existing.hazard_register.city if existing else None)
        if city_name is None:
            raise ContentError("--city is required when creating a new workspace")
        register = import_register(source, city=city_name)
        if existing is None:
            slug = name or "".join(c if c.isalnum() else "-" for c in city_name.lower())
            workspace = parse_workspace({"name": slug, "register": register.model_dump()})
        else:
            workspace = existing.model_copy(update={"hazard_register": register})
        summary = {"workspace": str(into), "hazards": len(register.hazards)}
    elif kind == "scorecard":
        if existing is None:
            raise ContentError(f"{into} does not exist; import a register first")
        try:
            day = dt.date.fromisoformat(date) if date else dt.date.today()
        except ValueError:
            raise FormatError(f"--date must be YYYY-MM-DD, got {date!r}") from None
        scoring = import_round(source, label=label, date=day, level=level)
        rounds = (*(r for r in existing.rounds if r.label != label), scoring)
        workspace = existing.model_copy(update={"rounds": rounds})
        summary = {"workspace": str(into), "round": label, "answers": len(scoring.answers)}
    else:
        raise ContentError(f"--kind must be register or scorecard, got {kind!r}")
    _save(workspace, into)
    if as_json:
        print_json(summary)
    else:
        console.print(", ".join(f"{k}: {v}" for k, v in summary.items()))


@app.command("export")
def export(
    workspace: str = typer.Argument(..., help=WORKSPACE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (.csv or .xlsx)."),
    kind: str = typer.Option("register", help="What to export: register or scorecard."),
    round_label: str | None = typer.Option(None, "--round", help="Round label (default latest)."),
) -> None:
    """Export the register or a scorecard round as CSV or XLSX."""
    from crisis.workbench.spreadsheets import export_register, export_round

    ws = _workspace(workspace)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise FormatError(f"--out must end in .csv or .xlsx, got {out.name!r}")
    if kind == "register":
        export_register(ws.hazard_register, out, fmt=fmt)
    elif kind == "scorecard":
        scoring = (
            ws.latest_round()
            if round_label is None
            else next((r for r in ws.rounds if r.label == round_label), None)
        )
        if scoring is None:
            raise ContentError(f"workspace has no scorecard round {round_label or ''}".strip())
        export_round(scoring, out, fmt=fmt)
    else:
        raise ContentError(f"--kind must be register or scorecard, got {kind!r}")
    console.print(f"wrote {out}")


@app.command("report")
def report(
    workspace: str = typer.Argument(..., help=WORKSPACE_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="PDF file to write."),
    language: str = typer.Option("en", help="Language: en, el, de or pt."),
) -> None:
    """Write the city resilience profile as a PDF."""
    from crisis.workbench.report import profile_pdf
    from crisis.workbench.taxonomy import LANGUAGES

    if language not in LANGUAGES:
        raise ContentError(f"--language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    out.write_bytes(profile_pdf(_workspace(workspace), language=language))
    console.print(f"wrote {out}")


@app.command("rank")
def rank_(
    workspace: str = typer.Argument(..., help=WORKSPACE_HELP),
    scenario: str = typer.Option("both", help="most_probable, most_severe or both."),
    basis: str = typer.Option("weighted", help="Impact: weighted (AHP) or highest dimension."),
    show_sensitivity: bool = typer.Option(
        False, "--sensitivity", help="Also show which weight change flips the top 3."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Rank the hazards by risk: likelihood class and AHP-weighted impact, as on the matrix."""
    from crisis.workbench.prioritise import agreement, rank
    from crisis.workbench.sensitivity import sensitivity

    if scenario not in ("most_probable", "most_severe", "both"):
        raise ContentError(
            f"--scenario must be most_probable, most_severe or both, got {scenario!r}"
        )
    if basis not in ("weighted", "highest"):
        raise ContentError(f"--basis must be weighted or highest, got {basis!r}")
    ws = _workspace(workspace)
    weights = ws.criteria_weights()
    options: dict[str, Any] = {"scenario": scenario, "basis": basis}
    ranking = rank(ws.hazard_register, weights, **options)
    agreed = agreement(ranking)
    flips = sensitivity(ws.hazard_register, weights, **options) if show_sensitivity else []
    if as_json:
        data: dict[str, Any] = {
            "ranking": [r.as_dict() for r in ranking],
            "agreement": agreed.as_dict(),
        }
        if show_sensitivity:
            data["sensitivity"] = [f.as_dict() for f in flips]
        print_json(data)
        return
    print_table(
        f"Hazards of {ws.hazard_register.city}",
        ["#", "hazard", "title", "scenario", "L", "impact", "risk", "band"],
        [
            (
                r.rank,
                r.hazard_id,
                r.title,
                r.scenario.replace("_", " "),
                r.likelihood_class,
                f"{r.impact_weighted:.2f}",
                r.risk,
                r.band,
            )
            for r in ranking
        ],
    )
    if agreed.kendall_tau is not None:
        console.print(f"Kendall τ between matrix cells and ranking: {agreed.kendall_tau:.3f}")
    if show_sensitivity:
        print_table(
            "Smallest weight change that changes the top 3",
            ["dimension", "weight", "up", "down"],
            [
                (
                    f.criterion,
                    f"{f.weight:.3f}",
                    "none" if f.up is None else f"+{f.up.delta:.3f} → {', '.join(f.up.top_after)}",
                    "none"
                    if f.down is None
                    else f"{f.down.delta:.3f} → {', '.join(f.down.top_after)}",
                )
                for f in flips
            ],
        )


def _read_pairwise(path: Path) -> tuple[list[str] | None, list[list[object]]]:
    from crisis.workbench._loading import read_document

    if path.suffix.lower() == ".csv":
        import csv

        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        if rows and rows[0] and rows[0][0].strip() == "":
            names = [c.strip() for c in rows[0][1:]]
            return names, [[c.strip() for c in r[1:]] for r in rows[1:] if r]
        return None, [[c.strip() for c in r] for r in rows if r]
    data = read_document(path).data
    if isinstance(data, dict) and "matrix" in data:
        return data.get("criteria"), data["matrix"]
    if isinstance(data, list):
        return None, data
    raise FormatError(
        "expected a 'matrix' (and optional 'criteria') or a list of rows", location=path.name
    )


@app.command("ahp")
def ahp_(
    matrix_file: Path = typer.Argument(..., help="YAML (criteria, matrix) or CSV pairwise matrix."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Weights and consistency ratio of a pairwise comparison matrix.

    When CR exceeds 0.10, the judgements whose revision lowers it most are named.
    """
    from crisis.workbench.ahp import ahp, revisions

    criteria, matrix = _read_pairwise(matrix_file)
    result = ahp(matrix, criteria)
    found = [] if result.consistent else revisions(matrix, criteria)
    if as_json:
        print_json({**result.as_dict(), "inconsistent_judgements": [r.as_dict() for r in found]})
        return
    print_table(
        "AHP weights",
        ["criterion", "eigenvector", "geometric mean"],
        [
            (c, f"{w:.4f}", f"{g:.4f}")
            for c, w, g in zip(
                result.criteria, result.weights, result.geometric_weights, strict=True
            )
        ],
    )
    verdict = (
        "acceptable" if result.consistent else "too inconsistent (CR > 0.10): revise the judgements"
    )
    console.print(
        f"λmax = {result.lambda_max:.4f}, CI = {result.ci:.4f}, CR = {result.cr:.4f} — {verdict}"
    )
    for r in found:
        d = r.as_dict()
        console.print(
            f"  {r.first} vs {r.second}: you gave {d['current_text']}, the other judgements "
            f"imply about {r.implied:.2f}; {d['suggested_text']} would give CR {r.cr_after:.3f}"
        )
