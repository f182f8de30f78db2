"""Repository of issued credentials and of the revocation list's bits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisis.exceptions import NotFoundError
from crisis.store.credential_tables import IssuedCredential
from crisis.store.tables import User


def next_index(db: Session) -> int:
    """The next free bit of the revocation list (the unique key guards against a race)."""
    highest = db.scalar(select(func.max(IssuedCredential.status_index)))
    return 0 if highest is None else int(highest) + 1


def add(db: Session, row: IssuedCredential) -> IssuedCredential:
    db.add(row)
    db.flush()
    return row


def held(db: Session, user: User, kind: str = "competence") -> list[tuple[str, int]]:
    """(subject, level) of every credential the learner was ever given, revoked ones too
    (a revoked credential is not given again automatically)."""
    rows = db.execute(
        select(IssuedCredential.subject, IssuedCredential.level).where(
            IssuedCredential.user_id == user.id, IssuedCredential.kind == kind
        )
    ).all()
    return [(subject, int(level)) for subject, level in rows]


def of_user(db: Session, user: User) -> list[IssuedCredential]:
    """The learner's credentials, newest first."""
    return list(
        db.scalars(
            select(IssuedCredential)
            .where(IssuedCredential.user_id == user.id)
            .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
        )
    )


def every(db: Session, limit: int = 500) -> list[tuple[IssuedCredential, User]]:
    """Credentials with their learners, newest first."""
    rows = db.execute(
        select(IssuedCredential, User)
        .join(User, User.id == IssuedCredential.user_id)
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
        .limit(limit)
    ).all()
    return [(cred, user) for cred, user in rows]


def by_uuid(db: Session, uuid: str) -> IssuedCredential:
    """The credential with this id.

    Raises:
        NotFoundError: none.
    """
    row = db.scalar(select(IssuedCredential).where(IssuedCredential.uuid == uuid))
    if row is None:
        raise NotFoundError(f"no credential {uuid!r} was issued here")
    return row


def revoke(db: Session, row: IssuedCredential, reason: str) -> None:
    """Mark a credential revoked (its bit is set in the next status list served)."""
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        row.revoked_reason = reason.strip()[:300] or None
    db.flush()


def revoked_indexes(db: Session) -> list[int]:
    """The status-list bits of every revoked credential."""
    return list(
        db.scalars(
            select(IssuedCredential.status_index).where(IssuedCredential.revoked_at.is_not(None))
        )
    )
