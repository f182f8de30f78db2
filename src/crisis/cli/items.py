"""``crisis items``: check an item bank for cues and coverage, recalibrate it from responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml

from crisis.cli._output import JSON_OPTION_HELP, console, print_json, print_table
from crisis.cli.learners import CATALOGUE_HELP, ITEMS_HELP, _catalogue
from crisis.exceptions import ContentError

app = typer.Typer(help="The knowledge-test item bank.", no_args_is_help=True)


@app.callback()
def _items() -> None:
    """The knowledge-test item bank."""


def _ratio(value: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in value.split(","))
    except ValueError:
        raise typer.BadParameter(f"expected two numbers LOW,HIGH, got {value!r}") from None
    if not 0 < low <= 1 <= high:
        raise typer.BadParameter(f"expected LOW ≤ 1 ≤ HIGH, got {value!r}")
    return low, high


def _pct(share: float) -> str:
    return f"{share:.0%}"


@app.command("check")
def check(
    items: Path | None = typer.Option(None, "--items", help=ITEMS_HELP),
    catalogue_dir: Path | None = typer.Option(None, "--catalogue", help=CATALOGUE_HELP),
    min_items: int = typer.Option(10, min=0, help="Items each competence needs."),
    min_per_level: int = typer.Option(2, min=0, help="Items each competence needs per level 1–4."),
    max_longest: float = typer.Option(
        0.30, min=0, max=1, help="Largest share of items whose key is strictly the longest."
    ),
    max_shortest: float = typer.Option(
        0.30, min=0, max=1, help="Largest share of items whose key is strictly the shortest."
    ),
    max_position: float = typer.Option(
        0.35, min=0, max=1, help="Largest share of keys at one option position."
    ),
    ratio: str = typer.Option(
        "0.85,1.15", help="Allowed range of mean key length / mean distractor length."
    ),
    max_echo: float = typer.Option(
        0.20, min=0, max=1, help="Largest share of keys repeating a stem word no distractor has."
    ),
    testwise: int = typer.Option(
        0, min=0, max=200, help="Also send test-wise strategies through this many tests each."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Validate an item bank, audit its options for cues and check it covers the framework.

    Exits 1, naming the items, when a limit is broken.
    """
    from crisis.learners.cues import CueLimits, audit
    from crisis.learners.items import load_items

    catalogue = _catalogue(catalogue_dir)
    bank = load_items(items, catalogue=catalogue)
    limits = CueLimits(
        max_longest=max_longest,
        max_shortest=max_shortest,
        max_position=max_position,
        ratio=_ratio(ratio),
        max_echo=max_echo,
        min_items=min_items,
        min_per_level=min_per_level,
    )
    report = audit(bank, catalogue, limits)
    problems = list(report.problems)
    strategies = []
    if testwise:
        from crisis.learners.testwise import PASS_LEVEL, REQUIRED_SHARE, testwise_check

        strategies = testwise_check(bank, catalogue, tests=testwise)
        problems += [
            f"test-wise learners answering '{r.strategy}' ended above level {PASS_LEVEL} in "
            f"{1 - r.low_share:.0%} of competences (at most {1 - REQUIRED_SHARE:.0%} allowed)"
            for r in strategies
            if not r.passed
        ]
    if as_json:
        print_json(
            {
                "items": len(bank),
                **report.as_dict(),
                "testwise": [r.as_dict() for r in strategies],
                "problems": problems,
                "passed": not problems,
            }
        )
    else:
        rows = []
        for stats in [*report.competences, report.overall]:
            n = stats.items or 1
            rows.append(
                (
                    stats.group,
                    stats.items,
                    *(stats.levels[lvl] for lvl in (1, 2, 3, 4)),
                    _pct(stats.share(stats.longest)),
                    _pct(stats.share(stats.shortest)),
                    "/".join(f"{100 * v / n:.0f}" for v in stats.positions.values()),
                    f"{stats.ratio:.2f}",
                    _pct(stats.share(stats.echo)),
                )
            )
        print_table(
            f"{len(bank)} items",
            [
                "",
                "items",
                "L1",
                "L2",
                "L3",
                "L4",
                "longest",
                "shortest",
                "a/b/c/d %",
                "length",
                "echo",
            ],
            rows,
        )
        console.print(
            "longest/shortest: items whose key is strictly the longest/shortest option; "
            "length: mean key length / mean distractor length; echo: keys that alone repeat "
            "a word of the stem."
        )
        console.print(
            f"Distractors that alone repeat a stem word: "
            f"{_pct(report.overall.distractor_echo)} (keys: "
            f"{_pct(report.overall.share(report.overall.echo))})"
        )
        if report.similar:
            console.print(
                "Near-duplicate stems: "
                + ", ".join(f"{a} ~ {b} ({j:.0%})" for a, b, j in report.similar)
            )
        if strategies:
            print_table(
                "Test-wise learners",
                ["strategy", "tests", "right answers", "Not yet or Basic"],
                [(r.strategy, r.tests, _pct(r.correct), _pct(r.low_share)) for r in strategies],
            )
    if problems and not as_json:
        console.print("[bold]Problems:[/bold]")
        for problem in problems:
            console.print(f"- {problem}", markup=False)
    if problems:
        raise ContentError(
            f"the item bank fails the check ({len(problems)} problem(s)); first: {problems[0]}",
            errors=problems,
        )


@app.command("calibrate")
def calibrate(
    responses: Path = typer.Argument(..., help="CSV with columns person, item, correct."),
    out: Path | None = typer.Option(None, "--out", help="Write calibrated parameters (YAML)."),
    min_responses: int = typer.Option(200, min=1, help="Responses each item needs."),
    keep_short: bool = typer.Option(
        False,
        "--keep-short",
        help="Calibrate the items that have enough responses; the others keep their values.",
    ),
    items: Path | None = typer.Option(None, "--items", help=ITEMS_HELP),
    catalogue_dir: Path | None = typer.Option(None, "--catalogue", help=CATALOGUE_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Re-estimate item discrimination and difficulty area by area, with item fit.

    Marginal maximum likelihood (Bock–Aitkin EM), the guessing asymptote fixed at one over
    the number of options.
    """
    from crisis.learners.calibration import calibrate_bank
    from crisis.learners.items import load_items

    catalogue = _catalogue(catalogue_dir)
    bank = load_items(items, catalogue=catalogue)
    result = calibrate_bank(
        responses, bank, catalogue, min_responses=min_responses, keep_short=keep_short
    )
    parameters = result.parameters()
    flagged = result.flagged()
    if out is not None:
        document = {
            "min_responses": min_responses,
            "iterations": result.iterations,
            "converged": result.converged,
            "parameters": parameters,
        }
        out.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    if as_json:
        print_json(
            {
                "converged": result.converged,
                "iterations": result.iterations,
                "items": parameters,
                "flagged": flagged,
            }
        )
        return
    changed = [(iid, p) for iid, p in parameters.items() if p["calibrated"]]
    rows = []
    for iid, p in changed:
        fit: dict[str, Any] = p.get("fit") or {}  # type: ignore[assignment]
        rows.append(
            (
                iid,
                p["area"],
                p["responses"],
                f"{bank.item(iid).irt.a:g} → {p['a']:.2f}",
                f"{bank.item(iid).irt.b:g} → {p['b']:.2f}",
                fit.get("infit", "–"),
                fit.get("outfit", "–"),
                "–" if fit.get("p") is None else f"{fit['p']:.3f}",
                "; ".join(flagged.get(iid, [])),
            )
        )
    print_table(
        f"{len(changed)} of {len(parameters)} items recalibrated",
        ["item", "area", "responses", "a", "b", "infit", "outfit", "Q1 p", "flag"],
        rows,
    )
    kept = len(parameters) - len(changed)
    console.print(
        (
            f"{kept} items kept their parameters (fewer than {min_responses} responses); "
            if kept
            else ""
        )
        + f"EM {'converged' if result.converged else 'did not converge'} "
        f"(at most {result.iterations} cycles per area); {len(flagged)} item(s) flagged"
        + (f"; written to {out}" if out else "")
    )
