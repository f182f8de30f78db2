"""``crisis items check`` (cue audit, coverage, test-wise learners), ``crisis items calibrate``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from crisis.cli.items import app
from crisis.competences import load_bundled
from crisis.exceptions import ContentError
from crisis.learners.calibration import load_calibration
from crisis.learners.irt import probability
from crisis.learners.items import apply_calibration, load_bundled_items

runner = CliRunner()
FIRST_EDITION = Path(__file__).parents[1] / "learners" / "data" / "items_first_edition"


def test_items_check_passes_on_the_bundled_bank():
    result = runner.invoke(app, ["check", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["passed"] and data["problems"] == []
    assert data["items"] >= 200
    overall = data["overall"]
    assert overall["key_longest"] <= 0.30 and overall["key_shortest"] <= 0.30
    assert max(overall["key_positions"].values()) <= 0.35
    assert 0.85 <= overall["length_ratio"] <= 1.15
    assert all(c["items"] >= 10 for c in data["competences"].values())
    assert all(min(c["levels"].values()) >= 2 for c in data["competences"].values())


def test_items_check_fails_on_a_bank_with_longest_option_keys():
    result = runner.invoke(app, ["check", "--items", str(FIRST_EDITION)])
    assert result.exit_code == 1
    assert isinstance(result.exception, ContentError)
    problems = result.exception.errors
    longest = next(p for p in problems if "strictly the longest option" in p)
    assert "128 of 139 items" in longest and "C02-01" in longest
    assert any(p.startswith("keys are on average 2.83 times as long") for p in problems)
    assert "C02: 6 items, at least 10 needed" in problems
    # Every problem is printed, not only the first.
    assert "C20: 7 items, at least 10 needed" in result.output


def test_items_check_takes_a_small_banks_own_minimums(tmp_path):
    """A city's bank of four items per competence passes with its own minimums and fails
    with the default ones."""
    catalogue = load_bundled()
    bank = load_bundled_items()
    lines = ["items:"]
    for competence in catalogue.framework.competences:
        for item in [i for i in bank.for_competence(competence.id)][:12:3]:
            lines += [
                f"  - id: city-{item.id}",
                f"    competence: {item.competence}",
                f"    level: {item.level}",
                f"    stem: {json.dumps(item.stem.get('en'))}",
                "    options:",
                *(f"      - {json.dumps(o.get('en'))}" for o in item.options),
                f"    answer: {'abcd'[item.answer]}",
                f"    explanation: {json.dumps(item.explanation.get('en'))}",
            ]
    (tmp_path / "city.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    default = runner.invoke(app, ["check", "--items", str(tmp_path / "city.yaml")])
    assert default.exit_code == 1
    assert any("at least 10 needed" in p for p in default.exception.errors)
    own = runner.invoke(
        app,
        [
            *("check", "--items", str(tmp_path / "city.yaml"), "--min-items", "4"),
            *("--min-per-level", "0", "--max-position", "0.6", "--max-longest", "0.5"),
            *("--max-shortest", "0.5", "--ratio", "0.7,1.3", "--max-echo", "0.5", "--json"),
        ],
    )
    assert own.exit_code == 0, own.output
    assert json.loads(own.output)["competences"]["C01"]["items"] == 4


def test_items_check_rejects_a_malformed_ratio():
    result = runner.invoke(app, ["check", "--ratio", "1.2"])
    assert result.exit_code == 2
    assert "LOW,HIGH" in result.output


@pytest.mark.slow
def test_items_check_runs_test_wise_learners_and_names_the_failing_strategy():
    good = runner.invoke(app, ["check", "--testwise", "2", "--json"])
    assert good.exit_code == 0, good.output
    strategies = {r["strategy"]: r for r in json.loads(good.output)["testwise"]}
    assert strategies["longest option"]["passed"]
    bad = runner.invoke(
        app,
        [
            *("check", "--items", str(FIRST_EDITION), "--testwise", "2", "--min-items", "6"),
            *("--min-per-level", "1", "--max-longest", "1", "--ratio", "0.1,9", "--max-echo", "1"),
        ],
    )
    assert bad.exit_code == 1
    assert bad.exception.errors == [
        "test-wise learners answering 'longest option' ended above level 1 in 100% of "
        "competences (at most 10% allowed)"
    ]


def _responses(tmp_path, bank, chosen, persons=400, shift=0.8, seed=0):
    rng = np.random.default_rng(seed)
    lines = ["person,item,correct"]
    for person in range(persons):
        theta = rng.normal()
        for item in chosen:
            p = probability(theta, 1.0, item.irt.b + shift, item.irt.c)
            lines.append(f"u{person},{item.id},{int(rng.random() < p)}")
    path = tmp_path / "responses.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_items_calibrate_refuses_items_with_too_few_responses(tmp_path):
    bank = load_bundled_items()
    chosen = [i for i in bank if i.competence in ("C01", "C11")][:15]
    responses = _responses(tmp_path, bank, chosen, persons=50)
    result = runner.invoke(app, ["calibrate", str(responses)])
    assert result.exit_code == 1
    error = result.exception
    assert isinstance(error, ContentError)
    assert str(error).startswith("calibration needs at least 200 responses per item; ")
    assert f"{len(bank)} of {len(bank)} items have fewer: {bank.items[0].id} (50)" in str(error)
    assert f"item {chosen[0].id}: 50 responses, at least 200 needed" in error.errors
    unanswered = next(i for i in bank if i not in chosen)
    assert f"item {unanswered.id}: 0 responses, at least 200 needed" in error.errors


def test_items_calibrate_per_area_writes_parameters_and_fit(tmp_path):
    bank = load_bundled_items()
    chosen = [
        item for c in ("C01", "C02", "C11") for item in [i for i in bank if i.competence == c][:10]
    ]
    responses = _responses(tmp_path, bank, chosen)
    out = tmp_path / "calibrated.yaml"
    result = runner.invoke(
        app, ["calibrate", str(responses), "--out", str(out), "--keep-short"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "Q1 p" in result.output and "infit" in result.output
    params = yaml.safe_load(out.read_text(encoding="utf-8"))["parameters"]
    assert all(params[item.id]["calibrated"] for item in chosen)
    area_of = {c.id: c.area for c in load_bundled().framework.competences}
    assert {params[i.id]["area"] for i in chosen} == {area_of[i.competence] for i in chosen}
    assert len({area_of[i.competence] for i in chosen}) == 2
    # The simulated items are 0.8 harder than their level suggests; calibration sees that.
    shift = np.mean([params[item.id]["b"] - item.irt.b for item in chosen])
    assert 0.4 < shift < 1.2
    fits = [params[item.id]["fit"] for item in chosen]
    assert all(0.7 < f["infit"] < 1.3 for f in fits)
    assert sum(f["misfit"] for f in fits) <= 2
    calibrated = apply_calibration(bank, load_calibration(out))
    assert calibrated.item(chosen[0].id).irt.b == params[chosen[0].id]["b"]
    assert calibrated.item(chosen[0].id).irt.c == 0.25
    untouched = next(i for i in bank if i not in chosen)
    assert params[untouched.id]["calibrated"] is False
    assert (params[untouched.id]["a"], params[untouched.id]["b"]) == (
        untouched.irt.a,
        untouched.irt.b,
    )


def test_items_calibrate_rejects_bad_rows(tmp_path):
    item = load_bundled_items().items[0].id
    responses = tmp_path / "responses.csv"
    responses.write_text(f"person,item,correct\nu1,{item},1\nu1,{item},0\nu2,NOPE,1\n")
    result = runner.invoke(app, ["calibrate", str(responses)])
    assert isinstance(result.exception, ContentError)
    assert result.exception.errors == [
        f"responses.csv:3: u1 answered {item} already on line 2",
        "responses.csv:4: item 'NOPE' is not in the item bank",
    ]
