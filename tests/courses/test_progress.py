"""Progress by evidence, workbench tasks, quizzes, runs and the exported record."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from crisis.competences import load_bundled
from crisis.courses import (
    MODULE_SD,
    Course,
    Facts,
    Unit,
    check_run,
    deadline_status,
    module_evidence,
    module_progress,
    run_progress,
)
from crisis.courses.practice import task_evidence
from crisis.courses.progress import PracticeVersion, QuizFact, RunFact
from crisis.courses.quiz import draw, score
from crisis.courses.report import progress_pdf, progress_record
from crisis.exceptions import ContentError
from crisis.learners import build_profile, load_bundled_items
from crisis.workbench.workspace import demo_workspace, parse_workspace
from tests.courses.units_fixture import UNITS, fixture_course

CAT = load_bundled()
M01 = CAT.module("M01")
T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
#: Every fixture unit opened at T0 (exercise and workbench evidence counts from then on).
OPENED = {"M01-1": T0, "M01-2": T0, "M01-3": T0}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The fixture module M01: a quiz, a register task and the river-flood exercise."""
    return fixture_course(tmp_path_factory.mktemp("units"))


@pytest.fixture(scope="module")
def units(course: Course) -> list[Unit]:
    return course.of_module("M01")


def _empty_workspace():  # type: ignore[no-untyped-def]
    return parse_workspace({"name": "practice-1", "register": {"city": "Portavera"}})


def _with_hazards(n: int):  # type: ignore[no-untyped-def]
    demo = demo_workspace()
    data = demo.model_dump(mode="json", by_alias=True)
    data["register"]["hazards"] = data["register"]["hazards"][:n]
    data["rounds"] = []
    data["pairwise"] = None
    return parse_workspace(data)


#: (return period in years, impact class) of a scenario → its risk band on the matrix.
BANDS = {
    "low": (500, 2),  # likelihood class 2 × impact 2 = 4
    "medium": (100, 3),  # 3 × 3 = 9
    "high": (20, 3),  # 4 × 3 = 12
    "very high": (5, 4),  # 5 × 4 = 20
}


def _scenario(band: str) -> dict[str, object]:
    period, impact = BANDS[band]
    return {
        "likelihood": {"return_period_years": period},
        "impacts": dict.fromkeys(
            ("people", "economy", "environment", "infrastructure", "society"), impact
        ),
    }


def _register(*bands: str, version: int = 1):  # type: ignore[no-untyped-def]
    """A practice workspace with one hazard per band given (both scenarios in that band)."""
    hazards = [
        {
            "id": f"h{k}",
            "title": f"Hazard {k}",
            "category": "natural",
            "kind": "shock",
            "most_probable": _scenario(band),
            "most_severe": _scenario(band),
            "version": version,
        }
        for k, band in enumerate(bands)
    ]
    return parse_workspace(
        {"name": "practice-1", "register": {"city": "Portavera", "hazards": hazards}}
    )


def _resaved(workspace, *ids: str):  # type: ignore[no-untyped-def]
    """``workspace`` with the hazards ``ids`` saved again from their form (version + 1)."""
    data = workspace.model_dump(mode="json", by_alias=True)
    for hazard in data["register"]["hazards"]:
        if hazard["id"] in ids:
            hazard["version"] += 1
    return parse_workspace(data)


def test_nothing_done_nothing_complete_and_resume_starts_at_unit_one(units: list[Unit]) -> None:
    progress = module_progress(M01, units, Facts())
    assert not progress.complete and progress.done == 0
    assert progress.resume == "M01-1" and progress.minutes_left == 240
    assert [u.status for u in progress.units] == ["not started"] * 3


def test_a_quiz_counts_only_when_passed_at_the_threshold(units: list[Unit]) -> None:
    failed = Facts(quizzes=[QuizFact("M01-1", 3, 5, T0)])
    assert module_progress(M01, units, failed).units[0].status == "started"
    # 0.8 × 5 = 4 correct answers needed.
    passed = Facts(quizzes=[QuizFact("M01-1", 3, 5, T0), QuizFact("M01-1", 4, 5, T0)])
    unit = module_progress(M01, units, passed).units[0]
    assert unit.complete and unit.evidence == "quiz passed: 4/5 correct"


def test_an_exercise_run_counts_for_its_own_exercise_only(units: list[Unit]) -> None:
    other = Facts(runs=[RunFact(7, "valley-earthquake", 90.0, T0)], opened=OPENED)
    assert not module_progress(M01, units, other).units[2].complete
    mine = Facts(runs=[RunFact(8, "river-flood", 3.0, T0)], opened=OPENED)
    unit = module_progress(M01, units, mine).units[2]
    assert unit.complete and unit.run == 8


def test_a_run_counts_only_when_it_finished_after_the_unit_was_opened(units: list[Unit]) -> None:
    flood = units[2]
    run = RunFact(8, "river-flood", 60.0, T0)
    # Never opened: the run is not evidence for this unit.
    assert module_progress(M01, [flood], Facts(runs=[run])).units[0].status == "not started"
    # Finished an hour before the learner opened the unit: it does not count.
    later = Facts(runs=[run], opened={flood.id: T0 + HOUR}, visits={flood.id: T0 + HOUR})
    unit = module_progress(M01, [flood], later).units[0]
    assert unit.status == "started" and unit.evidence is None
    # A run finished after the opening completes it, and is the one named.
    again = RunFact(9, "river-flood", 20.0, T0 + 2 * HOUR)
    facts = Facts(runs=[run, again], opened={flood.id: T0 + HOUR})
    unit = module_progress(M01, [flood], facts).units[0]
    assert unit.complete and unit.run == 9 and unit.completed_at == T0 + 2 * HOUR
    # The moment of opening itself counts ("at or after").
    assert module_progress(M01, [flood], Facts(runs=[run], opened={flood.id: T0})).complete


def test_one_run_does_not_complete_every_unit_that_shares_the_exercise(
    tmp_path, units: list[Unit]
) -> None:  # type: ignore[no-untyped-def]
    second = UNITS["M01-3.md"].replace("id: M01-3", "id: M01-4")
    course = fixture_course(tmp_path, **{"M01-4.md": second})
    a, b = course.units["M01-3"], course.units["M01-4"]
    # Unit A opened, the exercise played, then unit B opened: only A is complete.
    facts = Facts(
        runs=[RunFact(1, "river-flood", 40.0, T0 + HOUR)],
        opened={a.id: T0, b.id: T0 + 2 * HOUR},
    )
    done = module_progress(M01, [a, b], facts)
    assert [u.complete for u in done.units] == [True, False]
    # Playing it again after opening B completes B with that second run.
    facts = Facts(
        runs=[*facts.runs, RunFact(2, "river-flood", 55.0, T0 + 3 * HOUR)], opened=facts.opened
    )
    done = module_progress(M01, [a, b], facts)
    assert [u.run for u in done.units] == [1, 2] and done.complete


def test_min_score_is_honoured(units: list[Unit]) -> None:
    from dataclasses import replace

    strict = replace(units[2], activity=units[2].activity.model_copy(update={"min_score": 50.0}))
    low = Facts(runs=[RunFact(1, "river-flood", 49.0, T0)], opened=OPENED)
    high = Facts(
        runs=[RunFact(1, "river-flood", 49.0, T0), RunFact(2, "river-flood", 51.0, T0)],
        opened=OPENED,
    )
    assert not module_progress(M01, [strict], low).units[0].complete
    assert module_progress(M01, [strict], high).units[0].run == 2


def test_a_workbench_task_counts_from_the_first_version_that_holds_it(units: list[Unit]) -> None:
    versions = [
        PracticeVersion(1, _empty_workspace(), None, T0),
        PracticeVersion(2, _with_hazards(3), None, T0 + dt.timedelta(days=1)),
        # Deleting hazards later does not undo the evidence.
        PracticeVersion(3, _with_hazards(1), None, T0 + dt.timedelta(days=2)),
    ]
    unit = module_progress(M01, units, Facts(practice=versions, opened=OPENED)).units[1]
    assert unit.complete and unit.completed_at == T0 + dt.timedelta(days=1)
    assert "version 2" in unit.evidence
    # Nothing counts for a unit the learner has not opened.
    assert not module_progress(M01, units, Facts(practice=versions)).units[1].complete


def test_work_saved_before_the_unit_was_opened_does_not_count(units: list[Unit]) -> None:
    register = units[1]
    three = _register("low", "medium", "high")
    saved = [PracticeVersion(1, _empty_workspace(), None, T0), PracticeVersion(2, three, None, T0)]
    opened = {register.id: T0 + HOUR}
    # The register was saved before the learner opened this unit.
    assert not module_progress(M01, [register], Facts(practice=saved, opened=opened)).complete
    # Saving the workspace again unchanged after opening is not new work either.
    same = [*saved, PracticeVersion(3, three, None, T0 + 2 * HOUR)]
    assert not module_progress(M01, [register], Facts(practice=same, opened=opened)).complete
    # Editing one hazard after opening (its form saved: version + 1) is.
    edited = [*same, PracticeVersion(4, _resaved(three, "h1"), None, T0 + 3 * HOUR)]
    unit = module_progress(M01, [register], Facts(practice=edited, opened=opened)).units[0]
    assert unit.complete and "version 4" in unit.evidence


def test_the_matrix_task_needs_five_hazards_assessed_in_three_bands() -> None:
    # The register task's evidence alone (three hazards) is not a matrix.
    assert task_evidence("register", _register("low", "medium", "high"), None)
    assert task_evidence("matrix", _register("low", "medium", "high"), None) is None
    # Five hazards in only two bands: the learner has not told the risks apart.
    two = _register("low", "low", "medium", "medium", "medium")
    assert task_evidence("matrix", two, None) is None
    five = _register("low", "medium", "high", "high", "very high")
    assert task_evidence("matrix", five, None) == (
        "5 hazards assessed, in 4 risk bands (low, medium, high, very high)"
    )
    # Those five were in the workspace before the unit was opened: each must be reviewed
    # (saved again from its form) after the opening to count.
    before = (five, None)
    assert task_evidence("matrix", five, None, before) is None
    four = _resaved(five, "h0", "h1", "h2", "h3")
    assert task_evidence("matrix", four, None, before) is None
    assert task_evidence("matrix", _resaved(four, "h4"), None, before) is not None
    # Reviewing five that all sit in two bands is still not enough.
    six = _register("low", "low", "low", "medium", "medium", "very high")
    reviewed = _resaved(six, "h0", "h1", "h2", "h3", "h4")
    assert task_evidence("matrix", reviewed, None, (six, None)) is None


@pytest.mark.parametrize(
    ("task", "done"),
    [
        ("register", lambda: _with_hazards(3)),
        ("matrix", lambda: _register("low", "medium", "high", "very high", "high")),
        ("weights", demo_workspace),
        ("scorecard", demo_workspace),
    ],
)
def test_workbench_tasks_need_their_artefact(task: str, done) -> None:  # type: ignore[no-untyped-def]
    assert task_evidence(task, _empty_workspace(), None) is None
    assert task_evidence(task, done(), None) is not None
    # The same artefact already there when the unit was opened is not new evidence.
    assert task_evidence(task, done(), None, (done(), None)) is None
    assert task_evidence(task, done(), None, (_empty_workspace(), None)) is not None


def test_action_plan_and_impact_tasks() -> None:
    plan = [{"action": "Appoint a lead"}]
    assert task_evidence("actionplan", demo_workspace(), None) is None
    assert task_evidence("actionplan", demo_workspace(), plan)
    assert task_evidence("actionplan", demo_workspace(), plan, (demo_workspace(), plan)) is None
    longer = [*plan, {"action": "Raise the pumps"}]
    assert task_evidence("actionplan", demo_workspace(), longer, (demo_workspace(), plan))
    assert task_evidence("impact", demo_workspace(), None) is None
    data = demo_workspace().model_dump(mode="json", by_alias=True)
    data["register"]["hazards"][0]["sources"] = ["most_severe: Simulator ensemble of 200 floods"]
    estimated = parse_workspace(data)
    assert task_evidence("impact", estimated, None)
    assert task_evidence("impact", estimated, None, (demo_workspace(), None))
    assert task_evidence("impact", estimated, None, (estimated, None)) is None


def test_a_module_is_complete_when_every_unit_is_and_then_it_is_evidence(
    units: list[Unit],
) -> None:
    facts = Facts(
        quizzes=[QuizFact("M01-1", 5, 5, T0)],
        runs=[RunFact(3, "river-flood", 40.0, T0 + dt.timedelta(hours=2))],
        practice=[PracticeVersion(2, _with_hazards(3), None, T0 + dt.timedelta(hours=1))],
        opened=OPENED,
    )
    progress = module_progress(M01, units, facts)
    assert progress.complete and progress.minutes_left == 0 and progress.resume is None
    assert progress.completed_at == T0 + dt.timedelta(hours=2)
    evidence = module_evidence(CAT, ["M01"])
    assert {(e.competence, e.level, e.sd) for e in evidence} == {
        ("C01", 2.0, MODULE_SD),
        ("C11", 1.0, MODULE_SD),
    }
    # With a self-rating of 0, a completed module lifts C01 to the inverse-variance mean.
    profile = build_profile(CAT, self_ratings={"C01": 0}, evidence=evidence)
    weight = 1 / MODULE_SD**2
    assert math.isclose(profile.level("C01").estimate, 2 * weight / (1 + weight))


def test_a_module_without_units_is_complete_only_when_recorded() -> None:
    u01 = CAT.module("U01")
    assert not module_progress(u01, [], Facts()).complete
    recorded = module_progress(u01, [], Facts(recognised={"U01": (T0, "Dr. Lena Berg")}))
    assert recorded.complete and recorded.recognised_by == "Dr. Lena Berg"


def test_quizzes_draw_from_the_units_competences_and_are_scored(units: list[Unit]) -> None:
    bank = load_bundled_items()
    activity = units[0].activity
    drawn = draw(activity, bank, rng=3)
    assert len(drawn) == 5 and len(set(drawn)) == 5
    assert {bank.item(i).competence for i in drawn} == {"C01", "C11"}
    assert all(bank.item(i).level <= 2 for i in drawn)
    assert draw(activity, bank, rng=3) == drawn
    right = {i: bank.item(i).answer for i in drawn}
    assert score(activity, bank, drawn, right).passed
    wrong = {**right, drawn[0]: (right[drawn[0]] + 1) % 4, drawn[1]: (right[drawn[1]] + 1) % 4}
    result = score(activity, bank, drawn, wrong)
    assert result.correct == 3 and not result.passed
    with pytest.raises(ContentError, match="question 5: choose an answer"):
        score(activity, bank, drawn, {i: right[i] for i in drawn[:4]})


def test_a_run_is_checked_and_deadlines_follow_the_evidence(
    course: Course, units: list[Unit]
) -> None:
    start = dt.date(2027, 3, 1)
    with pytest.raises(ContentError) as caught:
        check_run(
            CAT,
            course,
            title=" ",
            modules=["M01", "M42"],
            start=start,
            required=["M01-1", "M02-7"],
            deadlines={"M01-2": dt.date(2027, 2, 1), "M09-1": dt.date(2027, 4, 1)},
        )
    errors = "\n".join(caught.value.errors)
    assert "title: give the run a title" in errors
    assert "'M42' is not a module of the curriculum" in errors
    assert "'M02-7' is not a unit of this run's modules" in errors
    assert "2027-02-01 is before the start 2027-03-01" in errors
    assert "'M09-1': not a module or unit of this run" in errors
    plan = check_run(
        CAT,
        course,
        title="Spring",
        modules=["M01"],
        start=start,
        required=["M01-1", "M01-3"],
        deadlines={"M01-1": dt.date(2027, 3, 8), "M01": dt.date(2027, 3, 31)},
    )
    facts = Facts(quizzes=[QuizFact("M01-1", 5, 5, T0)])
    progress = {"M01": module_progress(M01, units, facts)}
    statuses = {d.target: d.status for d in deadline_status(plan, progress, dt.date(2027, 3, 10))}
    assert statuses == {"M01-1": "met", "M01": "open"}
    late = Facts(quizzes=[QuizFact("M01-1", 5, 5, T0 + dt.timedelta(days=10))])
    progress = {"M01": module_progress(M01, units, late)}
    statuses = {d.target: d.status for d in deadline_status(plan, progress, dt.date(2027, 4, 2))}
    assert statuses == {"M01-1": "missed", "M01": "overdue"}
    # The module deadline counts the run's required units only (M01-2 is not required).
    done = Facts(
        quizzes=[QuizFact("M01-1", 5, 5, T0)],
        runs=[RunFact(1, "river-flood", 1, T0)],
        opened=OPENED,
    )
    progress = {"M01": module_progress(M01, units, done)}
    statuses = {d.target: d.status for d in deadline_status(plan, progress, dt.date(2027, 3, 2))}
    assert statuses["M01"] == "met"


def test_the_instructor_sees_consenting_learners_and_counts_for_five_or_more(
    course: Course, units: list[Unit]
) -> None:
    plan = check_run(CAT, course, title="Run", modules=["M01"], start=dt.date(2027, 3, 1))
    done = {"M01": module_progress(M01, units, Facts(quizzes=[QuizFact("M01-1", 5, 5, T0)]))}
    none = {"M01": module_progress(M01, units, Facts())}
    members = [("Ana", 1, True, done), ("Bo", 2, False, done), ("Cy", 3, False, none)]
    small = run_progress(plan, members, dt.date(2027, 3, 2))
    assert [r.member for r in small.rows] == ["Ana"] and small.hidden == 2
    assert small.counts is None and "at least 5" in small.note
    members += [("Di", 4, True, none), ("Ed", 5, False, none)]
    big = run_progress(plan, members, dt.date(2027, 3, 2))
    assert big.counts == {"M01-1": 2, "M01-2": 0, "M01-3": 0}
    assert "Bo" not in str(big.as_dict())


def test_the_progress_export(tmp_path, course: Course, units: list[Unit]) -> None:  # type: ignore[no-untyped-def]
    facts = Facts(quizzes=[QuizFact("M01-1", 5, 5, T0)], visits={"M01-2": T0})
    progress = {
        "M01": module_progress(M01, units, facts),
        "M02": module_progress(CAT.module("M02"), [], Facts()),
    }
    record = progress_record(CAT, course, progress, learner="Eleni Papadopoulou")
    assert [m["module"] for m in record["modules"]] == ["M01"]
    assert record["modules"][0]["units"][0]["title"] == "The city as a system of systems"
    for lang in ("en", "el"):
        pdf = progress_pdf(CAT, course, record, lang)
        assert pdf.startswith(b"%PDF")
        (tmp_path / f"progress-{lang}.pdf").write_bytes(pdf)
