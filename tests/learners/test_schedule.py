"""A learner's path: optimal modules in order, explained, on a calendar."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from crisis.competences import load_bundled
from crisis.exceptions import ContentError, InfeasiblePathError
from crisis.learners.gaps import analyse_gaps
from crisis.learners.paths import PathPlanner, exhaustive_optimum
from crisis.learners.schedule import plan_path

MONDAY = dt.date(2026, 1, 5)


def test_path_on_small_catalogue_is_ordered_explained_and_scheduled(small_catalogue):
    gaps = analyse_gaps({"C01": 2, "C04": 3}, small_catalogue.profile("role"), small_catalogue)
    path = plan_path(gaps, small_catalogue, hours_per_week=5, start=MONDAY)
    ids = [s.module for s in path.steps]
    for k, step in enumerate(path.steps):
        module = small_catalogue.module(step.module)
        assert set(module.prerequisites) <= set(ids[:k])
    m04 = next(s for s in path.steps if s.module == "M04")
    assert "needs M03 first" in m04.explanation
    assert "Competence C06 0→3" in m04.explanation
    # Calendar: consecutive, no gaps, hours/week respected.
    assert path.steps[0].start == MONDAY
    assert path.weeks == -(-int(path.hours) // 5)
    days = -(-int(path.hours) * 7 // 5)
    assert path.steps[-1].end == MONDAY + dt.timedelta(days=days - 1)
    planner = PathPlanner(small_catalogue.curriculum)
    targets = {g.competence: g.target for g in gaps if g.open}
    assert path.hours == exhaustive_optimum(planner, targets)[0]


def test_scro_path_from_scratch_closes_every_gap():
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    path = plan_path(gaps, catalogue, start=MONDAY, hours_per_week=6)
    closed = {c for step in path.steps for c, _, _ in step.closes}
    assert closed == {g.competence for g in gaps if g.open}
    assert all(step.explanation for step in path.steps)
    data = path.as_dict()
    assert data["hours"] == path.hours and data["steps"][0]["start"] == "2026-01-05"


def test_completed_modules_are_not_repeated():
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    path = plan_path(gaps, catalogue, completed=["M01", "M02"], start=MONDAY)
    ids = [s.module for s in path.steps]
    assert "M01" not in ids and "M02" not in ids
    assert any("builds on completed M01" in s.explanation for s in path.steps)


def test_infeasible_gap_names_the_competence(small_catalogue):
    gaps = analyse_gaps({}, small_catalogue.profile("role"), small_catalogue)
    gaps = [g if g.competence != "C02" else type(g)(**{**vars(g), "target": 4}) for g in gaps]
    with pytest.raises(InfeasiblePathError, match="gap C02 → level 4"):
        plan_path(gaps, small_catalogue, start=MONDAY)


@pytest.mark.parametrize("hours", [0, -2, float("nan")])
def test_hours_per_week_must_be_positive(small_catalogue, hours):
    with pytest.raises(ContentError, match="hours per week"):
        plan_path([], small_catalogue, hours_per_week=hours)


def test_no_gaps_no_modules(small_catalogue):
    levels = {cid: 4 for cid in small_catalogue.profile("role").targets}
    gaps = analyse_gaps(levels, small_catalogue.profile("role"), small_catalogue)
    path = plan_path(gaps, small_catalogue, start=MONDAY)
    assert path.steps == [] and path.hours == 0 and path.weeks == 0


def test_module_dates_follow_one_another_without_overlap():
    """Each module starts the day after the previous one ends, however the hours fall."""
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    for per_week in (3, 4, 7.5, 10):
        path = plan_path(gaps, catalogue, start=MONDAY, hours_per_week=per_week)
        assert any(step.hours > per_week for step in path.steps)  # some span several weeks
        for before, after in pairwise(path.steps):
            assert after.start == before.end + dt.timedelta(days=1), (before.module, after.module)
            assert after.weeks[0] >= before.weeks[1]
        for step in path.steps:
            assert step.start <= step.end
            assert step.weeks == (
                (step.start - MONDAY).days // 7 + 1,
                (step.end - MONDAY).days // 7 + 1,
            )
            # The time given is the module's hours at the weekly pace, to the day.
            assert abs((step.end - step.start).days + 1 - step.hours * 7 / per_week) < 2
