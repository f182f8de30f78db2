"""The workbench as the pages and the JSON API both use it.

Each change function loads the newest state of the workspace, checks the change with the
domain functions of :mod:`crisis.workbench`, saves the result as the next version and
commits; each read function returns domain objects. The browser and the API therefore can
never accept different data. Nothing here decides a rule of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from crisis.exceptions import (
    ConflictError,
    ContentError,
    CrisisError,
    FormatError,
    NotFoundError,
)
from crisis.store import workspaces
from crisis.store.tables import User
from crisis.store.workbench_tables import WorkbenchVersion, WorkbenchWorkspace
from crisis.store.workspaces import KEEP, State
from crisis.web.workbench_common import Access
from crisis.workbench.actionplan import Action, action_plan, parse_actions, stored_plan
from crisis.workbench.ahp import AHPResult, ahp
from crisis.workbench.impact import ClassEstimate, estimate_note
from crisis.workbench.impact import apply_estimate as apply_classes
from crisis.workbench.matrix import SCENARIO_CHOICES, ScenarioChoice
from crisis.workbench.prioritise import CRITERIA
from crisis.workbench.register import Hazard, Register, remove_hazard, replace_register
from crisis.workbench.register import save_hazard as save_in_register
from crisis.workbench.risk import BASES, Basis
from crisis.workbench.scorecard import Answer, ScorecardRound, check_round
from crisis.workbench.workspace import Workspace, migrate_pairwise


def create_workspace(db: Session, user: User, name: str, city: str) -> WorkbenchWorkspace:
    """Create an empty workspace owned by ``user``.

    Raises:
        ContentError: A bad name or city.
        ConflictError: The name is taken.
    """
    try:
        row = workspaces.create_workspace(db, name.strip(), city.strip(), user)
    except CrisisError:
        db.rollback()
        raise
    db.commit()
    return row


def set_member(db: Session, acc: Access, member: User, role: str | None) -> None:
    """Give ``member`` a role in the workspace, or remove them (``role=None``).

    Raises:
        ConflictError: The change would leave the workspace without an owner.
    """
    if role is None:
        workspaces.remove_member(db, acc.row, member)
    else:
        workspaces.set_member(db, acc.row, member, role)
    db.commit()


def state(db: Session, acc: Access) -> State:
    """The newest state of the workspace."""
    return workspaces.current(db, acc.row)


def _save(
    db: Session,
    acc: Access,
    before: State,
    after: Workspace,
    message: str,
    *,
    plan: Any = KEEP,
) -> WorkbenchVersion:
    row = workspaces.save(
        db, acc.row, after, base=before.version, author=acc.user, message=message, plan=plan
    )
    db.commit()
    return row


def changed_since(
    db: Session, acc: Access, base: int, part: Callable[[Workspace], Any]
) -> WorkbenchVersion | None:
    """The newest version if ``part`` of the state differs from what version ``base`` held.

    Forms carry the version they were loaded from; a save is refused only when the part it
    edits (one round, the weights, the register) changed meanwhile, not when anything did.

    Raises:
        ConflictError: ``base`` is not a version of this workspace.
    """
    try:
        then = workspaces.get_version(db, acc.row, base)
    except NotFoundError:
        raise ConflictError(f"the form refers to version {base}, which does not exist") from None
    now = workspaces.get_version(db, acc.row, acc.row.version)
    if part(workspaces.workspace_of(then)) != part(workspaces.workspace_of(now)):
        return now
    return None


# --- the register ------------------------------------------------------------------------


def save_hazard(db: Session, acc: Access, hazard: Hazard, *, expected: int | None) -> Hazard:
    """Add (``expected=None``) or replace a hazard; returns it as saved.

    Raises:
        ConflictError: The hazard changed since version ``expected``, or a new hazard
            reuses an id. Nothing is saved.
        ContentError: The hazard's multi-hazard ``combines`` names hazards it cannot.
    """
    before = state(db, acc)
    register = save_in_register(before.workspace.hazard_register, hazard, expected_version=expected)
    _save(db, acc, before, _with_register(before, register), f"Hazard {hazard.id} saved")
    return register.get(hazard.id)


def delete_hazard(db: Session, acc: Access, hazard_id: str, *, expected: int) -> None:
    """Remove a hazard that is still at version ``expected``.

    Raises:
        ConflictError: It changed since, or a multi-hazard scenario combines it.
        NotFoundError: No such hazard.
    """
    before = state(db, acc)
    register = remove_hazard(before.workspace.hazard_register, hazard_id, expected_version=expected)
    _save(db, acc, before, _with_register(before, register), f"Hazard {hazard_id} removed")


def apply_estimate(
    db: Session,
    acc: Access,
    hazard_id: str,
    scenario: str,
    estimates: Mapping[str, ClassEstimate],
    *,
    scenarios: int,
    expected: int,
) -> Hazard:
    """Write a simulator estimate into one scenario of a hazard, with a source line."""
    before = state(db, acc)
    hazard = before.workspace.hazard_register.get(hazard_id)
    updated = apply_classes(hazard, scenario, estimates)
    note = f"{scenario}: " + estimate_note(estimates, scenarios)
    sources = [s for s in updated.sources if not s.startswith(f"{scenario}: Simulator ensemble")]
    updated = updated.model_copy(update={"sources": (*sources, note)})
    register = save_in_register(
        before.workspace.hazard_register, updated, expected_version=expected
    )
    _save(
        db,
        acc,
        before,
        _with_register(before, register),
        f"Impact of {hazard_id} ({scenario}) estimated with the simulator",
    )
    return register.get(hazard_id)


def import_register(db: Session, acc: Access, imported: Register, filename: str) -> Register:
    """Replace the register by an imported one (every hazard counts as edited)."""
    before = state(db, acc)
    register = replace_register(before.workspace.hazard_register, imported)
    message = f"Register imported from {filename} ({len(register.hazards)} hazards)"
    _save(db, acc, before, _with_register(before, register), message)
    return register


def _with_register(before: State, register: Register) -> Workspace:
    return before.workspace.model_copy(update={"hazard_register": register})


# --- weights and priorities --------------------------------------------------------------


def set_pairwise(
    db: Session, acc: Access, matrix: Sequence[Sequence[float | str]] | None
) -> AHPResult | None:
    """Set the AHP judgements over the impact dimensions (``None`` for equal weights).

    A six-criterion matrix of earlier versions (likelihood first) is taken without its
    likelihood row and column, as stored workspaces are.

    Raises:
        ContentError: The matrix is not a valid pairwise matrix (the cell is named).
    """
    before = state(db, acc)
    value = None if matrix is None else migrate_pairwise([list(row) for row in matrix])
    result = None if value is None else ahp(value, CRITERIA)
    cells = None if value is None else tuple(tuple(row) for row in value)
    message = (
        "Criteria weights reset to equal"
        if result is None
        else f"Criteria weights set by AHP (CR {result.cr:.3f})"
    )
    _save(db, acc, before, before.workspace.model_copy(update={"pairwise": cells}), message)
    return result


def view(scenario: str, basis: str) -> tuple[ScenarioChoice, Basis]:
    """Check the scenario and impact basis a page or request asks for.

    Raises:
        FormatError: Naming the parameter and the allowed values.
    """
    if scenario not in SCENARIO_CHOICES:
        raise FormatError(
            f"scenario: must be one of {', '.join(SCENARIO_CHOICES)}, got {scenario!r}"
        )
    if basis not in BASES:
        raise FormatError(f"basis: must be one of {', '.join(BASES)}, got {basis!r}")
    return scenario, basis  # type: ignore[return-value]


# --- scorecard rounds --------------------------------------------------------------------


def find_round(workspace: Workspace, label: str) -> ScorecardRound:
    """The round called ``label``.

    Raises:
        NotFoundError: No such round.
    """
    for scoring in workspace.rounds:
        if scoring.label == label:
            return scoring
    raise NotFoundError(f"there is no scorecard round {label!r}")


def start_round(
    db: Session,
    acc: Access,
    *,
    label: str,
    date: dt.date,
    level: str,
    copy_from: str = "",
) -> ScorecardRound:
    """Start a new round, empty or with the scores and notes of ``copy_from``.

    Raises:
        ConflictError: A round with this label exists.
        ContentError: ``copy_from`` is at another level.
    """
    before = state(db, acc)
    if any(r.label == label for r in before.workspace.rounds):
        raise ConflictError(f"label: a round called {label!r} exists already")
    answers: dict[str, Answer] = {}
    if copy_from:
        source = find_round(before.workspace, copy_from)
        if source.level != level:
            raise ContentError(f"copy_from: round {copy_from!r} is {source.level}, not {level}")
        answers = {q: a.model_copy(update={"attachments": ()}) for q, a in source.answers.items()}
    scoring = ScorecardRound(level=level, label=label, date=date, answers=answers)  # type: ignore[arg-type]
    rounds = (*before.workspace.rounds, scoring)
    _save(
        db,
        acc,
        before,
        before.workspace.model_copy(update={"rounds": rounds}),
        f"Round {label} started",
    )
    return scoring


def put_round(
    db: Session,
    acc: Access,
    scoring: ScorecardRound,
    *,
    message: str | None = None,
    uploads: Sequence[tuple[str, str, str, bytes]] = (),
) -> ScorecardRound:
    """Create or replace the round of ``scoring``'s label, storing its evidence ``uploads``.

    ``uploads`` are ``(question id, file name, content type, bytes)``; each file is stored
    and its (made unique) name added to that answer's attachments.

    Raises:
        ContentError: An unknown question or a score out of range (each named).
    """
    check_round(scoring)
    before = state(db, acc)
    answers = dict(scoring.answers)
    for question_id, filename, content_type, data in uploads:
        answer = answers[question_id]
        row = workspaces.add_attachment(
            db,
            acc.row,
            round_label=scoring.label,
            question_id=question_id,
            filename=filename,
            content_type=content_type,
            content=data,
            user=acc.user,
            taken=answer.attachments,
        )
        answers[question_id] = answer.model_copy(
            update={"attachments": (*answer.attachments, row.filename)}
        )
    saved = scoring.model_copy(update={"answers": answers})
    existing = [r.label for r in before.workspace.rounds]
    if scoring.label in existing:
        rounds = tuple(saved if r.label == scoring.label else r for r in before.workspace.rounds)
    else:
        rounds = (*before.workspace.rounds, saved)
    _save(
        db,
        acc,
        before,
        before.workspace.model_copy(update={"rounds": rounds}),
        message or f"Round {scoring.label} saved",
    )
    return saved


# --- the action plan ---------------------------------------------------------------------


def plan_of(current: State) -> list[Action] | None:
    """The stored action plan, or ``None`` when none was saved."""
    return stored_plan(current.plan)


def draft_plan(
    db: Session, acc: Access, round_label: str, *, today: dt.date | None = None
) -> list[Action]:
    """Draft a plan from the weakest essentials of a round and save it (due dates from today).

    Raises:
        NotFoundError: No such round.
    """
    before = state(db, acc)
    scoring = find_round(before.workspace, round_label)
    actions = action_plan(
        scoring,
        register=before.workspace.hazard_register,
        weights=before.workspace.criteria_weights(),
        today=today,
        language=before.workspace.language,
    )
    _save(
        db,
        acc,
        before,
        before.workspace,
        f"Action plan drafted from round {round_label}",
        plan=[a.as_dict() for a in actions],
    )
    return actions


def plan_changed_since(db: Session, acc: Access, base: int) -> WorkbenchVersion | None:
    """The newest version if the plan changed since version ``base``.

    Raises:
        ConflictError: ``base`` is not a version of this workspace.
    """
    try:
        then = workspaces.get_version(db, acc.row, base)
    except NotFoundError:
        raise ConflictError(f"the form refers to version {base}, which does not exist") from None
    current = state(db, acc)
    if then.plan != current.plan:
        return workspaces.get_version(db, acc.row, current.version)
    return None


def save_plan(
    db: Session,
    acc: Access,
    rows: Sequence[Mapping[str, object]],
    competence_ids: set[str],
) -> list[Action]:
    """Check and save an edited plan (all or nothing).

    Raises:
        ContentError: Listing every bad field.
    """
    before = state(db, acc)
    actions = parse_actions(
        rows,
        hazard_ids=before.workspace.hazard_register.ids(),
        competence_ids=competence_ids,
    )
    _save(
        db,
        acc,
        before,
        before.workspace,
        "Action plan edited",
        plan=[a.as_dict() for a in actions],
    )
    return actions


# --- history -----------------------------------------------------------------------------


def restore(db: Session, acc: Access, number: int, *, base: int, author: User) -> WorkbenchVersion:
    """Make version ``number`` the newest, as a new version with the same bytes."""
    row = workspaces.restore_version(db, acc.row, number, base=base, author=author)
    db.commit()
    return row
