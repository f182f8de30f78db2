"""The learner journey as the pages and the JSON API both use it.

Each function reads what it needs from the store, calls the domain functions of
:mod:`crisis.learners` and returns domain objects; nothing here decides a rule of its own.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from crisis.competences.models import Catalogue, JobProfile
from crisis.exceptions import ConflictError, ContentError
from crisis.learners import (
    AdaptiveTest,
    CatState,
    CompetenceProfile,
    Evidence,
    Gap,
    Item,
    ItemBank,
    LearningPath,
    Member,
    SelfAssessment,
    TestResult,
    analyse_gaps,
    build_profile,
    load_bundled_items,
    plan_path,
)
from crisis.store import exercises
from crisis.store import learning as store
from crisis.store.learner_tables import LearningAttempt, LearningCohort, LearningPlan
from crisis.store.tables import User


def item_bank() -> ItemBank:
    """The item bank of the knowledge test (the bundled one)."""
    return load_bundled_items()


# --- self-assessment --------------------------------------------------------------------


def self_assessment(db: Session, user: User, cat: Catalogue) -> SelfAssessment:
    """The learner's self-ratings on the competences of ``cat``."""
    known = {c.id for c in cat.framework.competences}
    return SelfAssessment(ratings={k: v for k, v in store.ratings(db, user).items() if k in known})


def rate(db: Session, user: User, cat: Catalogue, values: dict[str, Any]) -> SelfAssessment:
    """Check and store self-ratings (all or none); returns the whole self-assessment.

    Raises:
        ContentError: naming each unknown competence or bad level.
    """
    checked = SelfAssessment.from_mapping(values, catalogue=cat, source="self-assessment")
    store.set_ratings(db, user, checked.as_dict())
    return self_assessment(db, user, cat)


# --- the adaptive test ------------------------------------------------------------------


def test_of(
    attempt: LearningAttempt, cat: Catalogue, exposure: dict[str, float] | None = None
) -> AdaptiveTest:
    """The adaptive test of a stored attempt, resumed exactly.

    ``exposure`` (from :func:`crisis.store.learning.item_exposure`) is needed only to choose
    a new item.
    """
    return AdaptiveTest(item_bank(), cat, CatState.model_validate(attempt.state), exposure=exposure)


def running_attempt(db: Session, user: User, cat: Catalogue) -> LearningAttempt | None:
    """The learner's unfinished test, if it can go on.

    A test begun on items that have since left the item bank (a new edition of the bank)
    cannot: it is retired, and the learner starts afresh.
    """
    running = store.running_attempt(db, user)
    if running is None:
        return None
    try:
        test_of(running, cat)
    except ContentError:
        store.retire_attempt(db, running)
        return None
    return running


def start_test(db: Session, user: User, cat: Catalogue) -> LearningAttempt:
    """The learner's running test, or a new one."""
    running = running_attempt(db, user, cat)
    if running is not None:
        return running
    test = AdaptiveTest.start(item_bank(), cat, seed=secrets.randbits(31))
    return store.start_attempt(db, user, test.state.model_dump(mode="json"))


@dataclass(frozen=True)
class Question:
    """The question to show now: the item and its position (0 = first)."""

    attempt: LearningAttempt
    item: Item | None
    sequence: int
    limit: int


def current_question(db: Session, attempt: LearningAttempt, cat: Catalogue) -> Question:
    """The item being asked in ``attempt`` (choosing it if none is pending), or none if done.

    A newly chosen item, or the end of the test, is saved at once so that every request sees
    the same question.
    """
    test = test_of(attempt, cat)
    if test.state.pending is None and not test.state.finished:
        test = test_of(attempt, cat, store.item_exposure(db))
    before = (test.state.pending, test.state.finished)
    item = None if attempt.status == "finished" else test.next_item()
    if attempt.status == "running" and (test.state.pending, test.state.finished) != before:
        result = test.result().as_dict() if test.finished else None
        store.save_state(
            db,
            attempt,
            test.state.model_dump(mode="json"),
            expected_version=attempt.version,
            result=result,
        )
    return Question(attempt, item, len(test.state.answers), test.state.config.max_items)


def answer(
    db: Session,
    user: User,
    cat: Catalogue,
    *,
    attempt_id: int,
    item_id: str,
    sequence: int,
    option: int,
) -> tuple[bool, LearningAttempt]:
    """Record one answer and move the test on; returns whether it was correct.

    A stale form (its sequence number is behind the test), an item that is not the one being
    asked, or an answer already recorded is refused and nothing is stored.

    Raises:
        ConflictError: the answer is stale, replayed, concurrent or to an item not asked.
        ContentError: the option does not exist.
        NotFoundError: no such attempt of this learner.
    """
    # Two submissions of the same answer (a double click, two tabs) must run one after the
    # other, so that the second sees the first's result: end the read-only transaction the
    # request's dependencies began, then read the attempt under its row lock.
    db.rollback()
    attempt = store.get_attempt(db, user, attempt_id, lock=True)
    if attempt.status != "running":
        raise ConflictError(
            "this test has ended; the answer was not recorded (see your results instead)"
        )
    test = test_of(attempt, cat, store.item_exposure(db))
    answered = len(test.state.answers)
    if sequence != answered:
        raise ConflictError(
            f"this form is for question {sequence + 1}, but the test is at question "
            f"{answered + 1}: it was already answered (a repeated or out-of-date submission); "
            "nothing was recorded twice"
        )
    version = attempt.version
    correct = test.answer(item_id, option)
    store.record_response(
        db, attempt, sequence=sequence, item_id=item_id, option=option, correct=correct
    )
    test.next_item()
    result = test.result().as_dict() if test.finished else None
    store.save_state(
        db, attempt, test.state.model_dump(mode="json"), expected_version=version, result=result
    )
    return correct, attempt


def latest_result(db: Session, user: User, cat: Catalogue) -> TestResult | None:
    """What the learner's most recent finished test measured, if there is one."""
    attempt = store.latest_finished(db, user)
    return test_result(attempt, cat) if attempt is not None else None


def test_result(attempt: LearningAttempt, cat: Catalogue) -> TestResult | None:
    """The result of a stored attempt, or ``None`` if it no longer fits the item bank."""
    try:
        return test_of(attempt, cat).result()
    except ContentError:
        return None


# --- evidence, profile, gaps, path ------------------------------------------------------


def exercise_evidence(db: Session, user: User, cat: Catalogue) -> list[Evidence]:
    """Evidence from the learner's played exercises, on the competences of ``cat``."""
    known = {c.id for c in cat.framework.competences}
    return [e for e in exercises.evidence_for(db, user) if e.competence in known]


def profile_of(db: Session, user: User, cat: Catalogue) -> CompetenceProfile:
    """Self-ratings, the latest test, exercise evidence and completed modules in one profile."""
    from crisis.web.courses import service as courses

    return build_profile(
        cat,
        self_ratings=self_assessment(db, user, cat).as_dict(),
        test=latest_result(db, user, cat),
        evidence=[*exercise_evidence(db, user, cat), *courses.course_evidence(db, user, cat)],
    )


def job_profile(cat: Catalogue, profile_id: str | None, fallback: str = "scro") -> JobProfile:
    """The chosen job profile: ``profile_id``, else ``fallback``, else the first one.

    Raises:
        NotFoundError: ``profile_id`` names no profile of the catalogue.
    """
    if profile_id:
        return cat.profile(profile_id)
    if fallback in cat.profiles:
        return cat.profiles[fallback]
    if not cat.profiles:
        raise ContentError("the competence catalogue has no job profiles")
    return next(iter(cat.profiles.values()))


def gaps_of(profile: CompetenceProfile, job: JobProfile, cat: Catalogue, lang: str) -> list[Gap]:
    """Gap analysis of a competence profile against a job profile, most urgent first."""
    return analyse_gaps(profile.as_levels(), job, cat, lang=lang)


def path_of(
    gaps: Sequence[Gap],
    cat: Catalogue,
    plan: LearningPlan,
    lang: str,
    completed: Sequence[str] = (),
) -> LearningPath:
    """The learner's optimal path for their settings, within their scope.

    Args:
        completed: Modules completed by evidence (see :func:`completed_of`).

    Raises:
        InfeasiblePathError: naming the gap no module can close.
    """
    from crisis.web.courses import service as courses

    scope = courses.scope_of(cat, plan.scope)
    return plan_path(
        gaps,
        cat,
        completed=completed,
        hours_per_week=plan.hours_per_week,
        start=plan.start or dt.date.today(),
        objective="ects" if plan.objective == "ects" else "hours",
        lang=lang,
        scope=scope,
    )


def completed_of(db: Session, user: User, cat: Catalogue) -> list[str]:
    """Modules the learner completed, by evidence (never by a tick)."""
    from crisis.web.courses import service as courses

    return courses.completed_modules(db, user, cat)


def has_evidence(db: Session, user: User, cat: Catalogue) -> bool:
    """Whether anything is known about the learner, so that a path can fit them."""
    from crisis.web.courses import service as courses

    return courses.has_evidence(db, user, cat)


# --- cohorts ----------------------------------------------------------------------------


def cohort_members(db: Session, cohort: LearningCohort, cat: Catalogue) -> list[Member]:
    """The cohort as :class:`Member` records: consenting learners' profile levels, imported
    ratings; a learner who has not consented appears with no levels at all."""
    rows = store.members(db, cohort)
    known = {c.id for c in cat.framework.competences}
    out = []
    for member, user in rows:
        if user is not None and not member.consented:
            # A learner who does not share is used nowhere: their profile is not even built.
            levels: dict[str, int] = {}
        elif user is not None:
            levels = profile_of(db, user, cat).as_levels()
        else:
            levels = {k: int(v) for k, v in (member.levels or {}).items() if k in known}
        out.append(
            Member(
                person=member.label,
                levels=levels,
                consented=member.consented,
                imported=user is None,
            )
        )
    return out


def may_see_cohort(user: User, cohort: LearningCohort) -> bool:
    """Whether ``user`` runs ``cohort`` (admins run every cohort)."""
    return user.role == "admin" or cohort.owner_id == user.id
