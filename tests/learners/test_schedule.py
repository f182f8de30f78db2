"""A learner's path: optimal modules in order, explained, on a calendar."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest

from crisis.competences import load_bundled
from crisis.exceptions import ContentError, InfeasiblePathError
from crisis.learners.gaps import analyse_gaps
from crisis.learners.paths import PathPlanner, exhaustive_optimum
from crisis.learners.schedule import expand_completed, plan_path, scope_modules

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
    # Calendar: consecutive, never overlapping, hours/week respected.
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


def _mooc(catalogue):  # type: ignore[no-untyped-def]
    return scope_modules(catalogue.curriculum, "scro-mooc")


def test_scro_default_mooc_path_is_at_most_80_hours():
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    default = scope_modules(catalogue.curriculum, None)
    assert default == _mooc(catalogue)
    path = plan_path(gaps, catalogue, start=MONDAY, scope=default)
    assert 0 < path.hours <= 80
    assert all(step.module.startswith("M") for step in path.steps)
    # Targets the open course teaches only to level 2 are listed, not left silently open.
    assert ("C01", 2, 3) in path.beyond_scope


def test_the_programme_scope_uses_programme_modules_only():
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    scope = scope_modules(catalogue.curriculum, "scro-postgraduate")
    path = plan_path(gaps, catalogue, start=MONDAY, scope=scope)
    assert {s.module for s in path.steps} <= set(scope) and path.beyond_scope == []
    with pytest.raises(ContentError, match="scope: 'mars' is not a programme"):
        scope_modules(catalogue.curriculum, "mars")


def test_a_completed_programme_module_covers_the_modules_it_extends():
    catalogue = load_bundled()
    assert expand_completed(catalogue.curriculum, ["U01"]) == {"U01", "M01", "M02", "M06"}
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    path = plan_path(gaps, catalogue, completed=["U01"], start=MONDAY, scope=_mooc(catalogue))
    ids = [s.module for s in path.steps]
    assert not {"M01", "M02", "M06"} & set(ids)
    assert {"M01", "M02", "M06"} <= set(path.completed)
    # M03 needs M01, which U01 covers.
    m03 = next(s for s in path.steps if s.module == "M03")
    assert "builds on completed M01" in m03.explanation


def test_completed_open_course_modules_remove_programme_work():
    catalogue = load_bundled()
    # A role that needs C01 and C02 at level 2: in the programme only U01 teaches them.
    job = catalogue.profile("scro").model_copy(
        update={
            "targets": {
                cid: target.model_copy(update={"level": 2})
                for cid, target in catalogue.profile("scro").targets.items()
                if cid in ("C01", "C02")
            }
        }
    )
    gaps = analyse_gaps({}, job, catalogue)
    programme = scope_modules(catalogue.curriculum, "scro-postgraduate")
    before = plan_path(gaps, catalogue, start=MONDAY, scope=programme)
    assert [s.module for s in before.steps] == ["U01"]
    after = plan_path(gaps, catalogue, completed=["M01", "M02"], start=MONDAY, scope=programme)
    assert after.steps == [] and after.covered_by_completed == ["C01", "C02"]
    # Still needed, a programme module is credited with the extended hours already studied.
    scro = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    credited = plan_path(scro, catalogue, completed=["M01", "M02"], start=MONDAY, scope=programme)
    u01 = next(s for s in credited.steps if s.module == "U01")
    assert u01.hours == 125 - 8 and u01.credited == 8


def test_in_both_scopes_a_path_never_holds_a_module_and_one_that_extends_it():
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    path = plan_path(gaps, catalogue, start=MONDAY, scope=None)
    ids = {s.module for s in path.steps}
    for module in catalogue.curriculum.modules:
        if module.id in ids:
            assert not set(module.extends) & ids, module.id
    closed = {c for s in path.steps for c, _, _ in s.closes}
    assert closed == {g.competence for g in gaps if g.open}


@pytest.mark.parametrize("per_week", [3, 4, 6, 10])
def test_the_calendar_never_overlaps_and_keeps_the_weekly_hours(per_week):
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    path = plan_path(gaps, catalogue, start=MONDAY, hours_per_week=per_week, scope=_mooc(catalogue))
    for before, after in zip(path.steps, path.steps[1:], strict=False):
        assert after.start > before.end
    total_days = (path.steps[-1].end - MONDAY).days + 1
    assert path.hours / (total_days / 7) <= per_week * 1.1


def test_module_dates_follow_one_another_without_overlap():
    """Each module starts the day after the previous one ends, however the hours fall."""
    catalogue = load_bundled()
    gaps = analyse_gaps({}, catalogue.profile("scro"), catalogue)
    for per_week in (3, 4, 7.5, 10):
        path = plan_path(gaps, catalogue, start=MONDAY, hours_per_week=per_week, scope=None)
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
