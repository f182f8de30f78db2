"""Repository of workbench workspaces: members, versioned states and evidence files.

Each save writes a new :class:`WorkbenchVersion` with the whole state. A save names the
version it started from (``base``); if another save landed first, the workspace's version
counter no longer matches and the save is refused with :class:`ConflictError` — on SQLite
and PostgreSQL alike, because the counter is bumped by one conditional ``UPDATE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, ContentError, NotFoundError
from crisis.store.tables import User, utcnow
from crisis.store.workbench_tables import (
    MEMBER_ROLES,
    WorkbenchAttachment,
    WorkbenchMember,
    WorkbenchVersion,
    WorkbenchWorkspace,
)
from crisis.workbench.history import diff, restore, snapshot
from crisis.workbench.workspace import DEMO, Workspace, demo_workspace, parse_workspace

#: ``plan`` argument of :func:`save` that keeps the current action plan.
KEEP: Any = object()


@dataclass(frozen=True)
class State:
    """The newest state of a workspace."""

    workspace: Workspace
    plan: list[dict[str, Any]] | None
    version: int


@lru_cache(maxsize=64)
def _parse(text: str) -> Workspace:
    # Snapshots never change once written, so parsing each one once is enough.
    return restore(text)


def workspace_of(row: WorkbenchVersion) -> Workspace:
    """The workspace a stored version holds."""
    return _parse(row.snapshot)


# --- workspaces and members ------------------------------------------------------------


def create_workspace(
    db: Session,
    name: str,
    city: str,
    owner: User,
    *,
    workspace: Workspace | None = None,
    message: str = "Workspace created",
) -> WorkbenchWorkspace:
    """Create a workspace (empty, or holding ``workspace``) with ``owner`` as its owner.

    Raises:
        ContentError: A bad name or city.
        ConflictError: The name is taken.
    """
    state = workspace or parse_workspace({"name": name, "register": {"city": city}})
    if db.scalar(select(WorkbenchWorkspace.id).where(WorkbenchWorkspace.name == state.name)):
        raise ConflictError(f"a workspace named {state.name!r} already exists")
    row = WorkbenchWorkspace(
        name=state.name, city=state.hazard_register.city, version=1, created_by=owner.id
    )
    db.add(row)
    db.flush()
    db.add(WorkbenchMember(workspace_id=row.id, user_id=owner.id, role="owner"))
    db.add(
        WorkbenchVersion(
            workspace_id=row.id,
            number=1,
            author_id=owner.id,
            author=owner.username,
            message=message[:500],
            changes={"created": True},
            snapshot=snapshot(state),
            plan=None,
        )
    )
    db.flush()
    return row


def get_workspace(db: Session, name: str) -> WorkbenchWorkspace:
    """The workspace called ``name``.

    Raises:
        NotFoundError: No such workspace.
    """
    row = db.scalar(select(WorkbenchWorkspace).where(WorkbenchWorkspace.name == name))
    if row is None:
        raise NotFoundError(f"no workspace {name!r}")
    return row


def list_workspaces(db: Session, user: User | None = None) -> list[WorkbenchWorkspace]:
    """Every workspace, or those ``user`` is a member of, by name."""
    query = select(WorkbenchWorkspace).order_by(WorkbenchWorkspace.name)
    if user is not None:
        query = query.join(WorkbenchMember).where(WorkbenchMember.user_id == user.id)
    return list(db.scalars(query))


def member_role(db: Session, workspace: WorkbenchWorkspace, user: User) -> str | None:
    """``user``'s role in ``workspace``, or ``None`` if not a member."""
    return db.scalar(
        select(WorkbenchMember.role).where(
            WorkbenchMember.workspace_id == workspace.id, WorkbenchMember.user_id == user.id
        )
    )


def members(db: Session, workspace: WorkbenchWorkspace) -> list[tuple[User, str]]:
    """The members and their roles, by username."""
    rows = db.execute(
        select(User, WorkbenchMember.role)
        .join(WorkbenchMember, WorkbenchMember.user_id == User.id)
        .where(WorkbenchMember.workspace_id == workspace.id)
        .order_by(User.username)
    )
    return [(user, role) for user, role in rows]


def set_member(db: Session, workspace: WorkbenchWorkspace, user: User, role: str) -> None:
    """Add ``user`` with ``role`` or change their role.

    Raises:
        ContentError: An unknown role.
        ConflictError: The change would leave the workspace without an owner.
    """
    if role not in MEMBER_ROLES:
        raise ContentError(f"role must be one of {', '.join(MEMBER_ROLES)}, got {role!r}")
    row = db.scalar(
        select(WorkbenchMember).where(
            WorkbenchMember.workspace_id == workspace.id, WorkbenchMember.user_id == user.id
        )
    )
    if row is None:
        db.add(WorkbenchMember(workspace_id=workspace.id, user_id=user.id, role=role))
    else:
        if row.role == "owner" and role != "owner":
            _keep_an_owner(db, workspace)
        row.role = role
    db.flush()


def remove_member(db: Session, workspace: WorkbenchWorkspace, user: User) -> None:
    """Take ``user`` out of the workspace.

    Raises:
        NotFoundError: Not a member.
        ConflictError: They are the last owner.
    """
    row = db.scalar(
        select(WorkbenchMember).where(
            WorkbenchMember.workspace_id == workspace.id, WorkbenchMember.user_id == user.id
        )
    )
    if row is None:
        raise NotFoundError(f"{user.username} is not a member of {workspace.name}")
    if row.role == "owner":
        _keep_an_owner(db, workspace)
    db.delete(row)
    db.flush()


def _keep_an_owner(db: Session, workspace: WorkbenchWorkspace) -> None:
    owners = db.scalar(
        select(func.count(WorkbenchMember.id)).where(
            WorkbenchMember.workspace_id == workspace.id, WorkbenchMember.role == "owner"
        )
    )
    if (owners or 0) <= 1:
        raise ConflictError(f"{workspace.name} needs at least one owner; add another one first")


# --- versions ----------------------------------------------------------------------------


def get_version(db: Session, workspace: WorkbenchWorkspace, number: int) -> WorkbenchVersion:
    """Version ``number`` of ``workspace``.

    Raises:
        NotFoundError: No such version.
    """
    row = db.scalar(
        select(WorkbenchVersion).where(
            WorkbenchVersion.workspace_id == workspace.id, WorkbenchVersion.number == number
        )
    )
    if row is None:
        raise NotFoundError(f"{workspace.name} has no version {number}")
    return row


def current(db: Session, workspace: WorkbenchWorkspace) -> State:
    """The newest state of ``workspace``."""
    row = get_version(db, workspace, workspace.version)
    return State(workspace_of(row), row.plan, row.number)


def list_versions(
    db: Session, workspace: WorkbenchWorkspace, *, limit: int | None = None
) -> list[WorkbenchVersion]:
    """Versions from the newest down."""
    query = (
        select(WorkbenchVersion)
        .where(WorkbenchVersion.workspace_id == workspace.id)
        .order_by(WorkbenchVersion.number.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))


def changes(
    before: Workspace,
    after: Workspace,
    plan_before: list[dict[str, Any]] | None = None,
    plan_after: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What changed, as ids and field paths (no values, no prose)."""
    found = diff(before, after)
    out: dict[str, Any] = {
        "hazards_added": found.hazards_added,
        "hazards_removed": found.hazards_removed,
        "hazards_changed": {h: [c["field"] for c in cs] for h, cs in found.hazards_changed.items()},
        "rounds_added": found.rounds_added,
        "rounds_removed": found.rounds_removed,
        "rounds_changed": {r: [c["field"] for c in cs] for r, cs in found.rounds_changed.items()},
        "other": [c["field"] for c in found.other],
        "plan": plan_before != plan_after,
    }
    return {k: v for k, v in out.items() if v}


def _append(
    db: Session,
    workspace: WorkbenchWorkspace,
    *,
    base: int,
    author: User,
    message: str,
    text: str,
    plan: list[dict[str, Any]] | None,
    change: dict[str, Any],
) -> WorkbenchVersion:
    now = utcnow()
    bumped = db.execute(
        update(WorkbenchWorkspace)
        .where(WorkbenchWorkspace.id == workspace.id, WorkbenchWorkspace.version == base)
        .values(version=base + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(bumped, "rowcount", 0) != 1:
        # Nothing was written; the caller's transaction ends without a commit.
        raise ConflictError(
            f"{workspace.name} was saved by someone else since you loaded version {base}; "
            "reload it and make your change again"
        )
    row = WorkbenchVersion(
        workspace_id=workspace.id,
        number=base + 1,
        author_id=author.id,
        author=author.username,
        saved_at=now,
        message=message[:500],
        changes=change,
        snapshot=text,
        plan=plan,
    )
    db.add(row)
    db.flush()
    db.refresh(workspace)
    return row


def save(
    db: Session,
    workspace: WorkbenchWorkspace,
    state: Workspace,
    *,
    base: int,
    author: User,
    message: str,
    plan: Any = KEEP,
) -> WorkbenchVersion:
    """Store ``state`` (and ``plan``, unless :data:`KEEP`) as the next version after ``base``.

    Raises:
        ConflictError: Another save landed since ``base``; nothing is written.
    """
    previous = get_version(db, workspace, base)
    new_plan = previous.plan if plan is KEEP else plan
    change = changes(workspace_of(previous), state, previous.plan, new_plan)
    return _append(
        db,
        workspace,
        base=base,
        author=author,
        message=message,
        text=snapshot(state),
        plan=new_plan,
        change=change,
    )


def restore_version(
    db: Session, workspace: WorkbenchWorkspace, number: int, *, base: int, author: User
) -> WorkbenchVersion:
    """Make the state of version ``number`` the newest, as a new version with the same bytes.

    Raises:
        NotFoundError: No such version.
        ConflictError: Another save landed since ``base``.
    """
    old = get_version(db, workspace, number)
    latest = get_version(db, workspace, base)
    change = changes(workspace_of(latest), workspace_of(old), latest.plan, old.plan)
    change["restored"] = number
    return _append(
        db,
        workspace,
        base=base,
        author=author,
        message=f"Restored version {number}",
        text=old.snapshot,
        plan=old.plan,
        change=change,
    )


def last_change_of_hazard(
    db: Session, workspace: WorkbenchWorkspace, hazard_id: str
) -> WorkbenchVersion | None:
    """The newest version that added or changed ``hazard_id`` (who saved it, and when)."""
    for row in list_versions(db, workspace, limit=200):
        change = row.changes or {}
        if (
            change.get("created")
            or hazard_id in change.get("hazards_added", ())
            or hazard_id in change.get("hazards_changed", {})
        ):
            return row
    return None


# --- evidence files ----------------------------------------------------------------------


def _unique_name(taken: Sequence[str], filename: str) -> str:
    if filename not in taken:
        return filename
    stem, dot, suffix = filename.rpartition(".")
    if not dot or not stem:
        stem, suffix, dot = filename, "", ""
    k = 2
    while f"{stem} ({k}){dot}{suffix}" in taken:
        k += 1
    return f"{stem} ({k}){dot}{suffix}"


def add_attachment(
    db: Session,
    workspace: WorkbenchWorkspace,
    *,
    round_label: str,
    question_id: str,
    filename: str,
    content_type: str,
    content: bytes,
    user: User,
    taken: Sequence[str] = (),
) -> WorkbenchAttachment:
    """Store an evidence file; its name is made unique among ``taken`` (the answer's files)."""
    row = WorkbenchAttachment(
        workspace_id=workspace.id,
        round_label=round_label,
        question_id=question_id,
        filename=_unique_name(taken, filename),
        content_type=content_type[:128] or "application/octet-stream",
        size=len(content),
        content=content,
        uploaded_by=user.id,
    )
    db.add(row)
    db.flush()
    return row


def list_attachments(
    db: Session, workspace: WorkbenchWorkspace, round_label: str
) -> list[WorkbenchAttachment]:
    """The files attached to answers of one round (content not loaded until read)."""
    return list(
        db.scalars(
            select(WorkbenchAttachment)
            .where(
                WorkbenchAttachment.workspace_id == workspace.id,
                WorkbenchAttachment.round_label == round_label,
            )
            .order_by(WorkbenchAttachment.id)
        )
    )


def get_attachment(
    db: Session, workspace: WorkbenchWorkspace, attachment_id: int
) -> WorkbenchAttachment:
    """One evidence file of ``workspace``.

    Raises:
        NotFoundError: No such file in this workspace.
    """
    row = db.get(WorkbenchAttachment, attachment_id)
    if row is None or row.workspace_id != workspace.id:
        raise NotFoundError(f"{workspace.name} has no attachment {attachment_id}")
    return row


# --- the demo city -----------------------------------------------------------------------


def seed_demo(db: Session, owner: User) -> WorkbenchWorkspace | None:
    """Load the bundled demo workspace (Portavera) with ``owner`` as its owner, once.

    Returns:
        The new workspace, or ``None`` when one of that name exists already.
    """
    if db.scalar(select(WorkbenchWorkspace.id).where(WorkbenchWorkspace.name == DEMO)):
        return None
    demo = demo_workspace()
    return create_workspace(
        db,
        demo.name,
        demo.hazard_register.city,
        owner,
        workspace=demo,
        message="Demo city loaded",
    )
