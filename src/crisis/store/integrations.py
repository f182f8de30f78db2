"""Repository functions of the integrations: platforms, nonces, linked accounts, LMS courses,
links, and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.exceptions import ConflictError, NotFoundError
from crisis.store.integration_tables import (
    IntegrationCursor,
    LtiAccount,
    LtiContext,
    LtiGrant,
    LtiLink,
    LtiNonce,
    LtiPlatform,
    LtiRegistrationLink,
    OutboxMessage,
)
from crisis.store.tables import User, utcnow

# --- platforms ------------------------------------------------------------------------------


def platforms(db: Session) -> list[LtiPlatform]:
    return list(db.scalars(select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))


def get_platform(db: Session, platform_id: int) -> LtiPlatform:
    row = db.get(LtiPlatform, platform_id)
    if row is None:
        raise NotFoundError(f"no LMS platform with id {platform_id}")
    return row


def platforms_of_issuer(db: Session, issuer: str) -> list[LtiPlatform]:
    return list(
        db.scalars(
            select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.active.is_(True))
        )
    )


def add_platform(db: Session, **fields: Any) -> LtiPlatform:
    row = LtiPlatform(**fields)
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        raise ConflictError(
            f"issuer {fields.get('issuer')!r} with client id {fields.get('client_id')!r} is "
            "already registered"
        ) from None
    return row


def delete_platform(db: Session, platform_id: int) -> None:
    db.delete(get_platform(db, platform_id))
    db.flush()


# --- dynamic registration links ------------------------------------------------------------


def add_registration_link(
    db: Session, key_digest: str, created_by: User, expires_at: dt.datetime
) -> LtiRegistrationLink:
    row = LtiRegistrationLink(
        key_digest=key_digest, created_by=created_by.id, expires_at=expires_at
    )
    db.add(row)
    db.flush()
    return row


def registration_link(db: Session, key_digest: str) -> LtiRegistrationLink | None:
    return db.scalar(
        select(LtiRegistrationLink).where(LtiRegistrationLink.key_digest == key_digest)
    )


def open_registration_links(db: Session, now: dt.datetime) -> list[LtiRegistrationLink]:
    """Links not used yet and not expired, newest first."""
    return list(
        db.scalars(
            select(LtiRegistrationLink)
            .where(LtiRegistrationLink.used_at.is_(None), LtiRegistrationLink.expires_at > now)
            .order_by(LtiRegistrationLink.id.desc())
        )
    )


# --- nonces ---------------------------------------------------------------------------------


def use_nonce(db: Session, platform_id: int, nonce: str, expires_at: dt.datetime) -> bool:
    """Record a nonce as used; ``False`` if it was used before (a replay)."""
    db.execute(delete(LtiNonce).where(LtiNonce.expires_at < utcnow()))
    try:
        with db.begin_nested():
            db.add(LtiNonce(platform_id=platform_id, nonce=nonce[:255], expires_at=expires_at))
    except IntegrityError:
        return False
    return True


# --- accounts, courses, links ---------------------------------------------------------------


#: The password hash of an account made for an LMS user: no password verifies against it.
NO_PASSWORD = "!lms: signs in through the LMS"


def add_lms_user(
    db: Session, username: str, role: str, *, display_name: str, email: str | None
) -> User:
    """An account for a platform's user, without a password."""
    user = User(
        username=username,
        password_hash=NO_PASSWORD,
        role=role,
        display_name=display_name or username,
        email=email,
    )
    db.add(user)
    db.flush()
    return user


def linked_user(db: Session, platform_id: int, sub: str) -> User | None:
    user_id = db.scalar(
        select(LtiAccount.user_id).where(
            LtiAccount.platform_id == platform_id, LtiAccount.sub == sub
        )
    )
    return db.get(User, user_id) if user_id is not None else None


def link_account(db: Session, platform_id: int, sub: str, user: User) -> None:
    db.add(LtiAccount(platform_id=platform_id, sub=sub, user_id=user.id))
    db.flush()


def linked_subs(db: Session, platform_id: int) -> dict[str, int]:
    rows = db.execute(
        select(LtiAccount.sub, LtiAccount.user_id).where(LtiAccount.platform_id == platform_id)
    )
    return {sub: uid for sub, uid in rows}


def context(
    db: Session, platform_id: int, deployment_id: str, context_id: str
) -> LtiContext | None:
    return db.scalar(
        select(LtiContext).where(
            LtiContext.platform_id == platform_id,
            LtiContext.deployment_id == deployment_id,
            LtiContext.context_id == context_id,
        )
    )


def get_context(db: Session, context_row_id: int) -> LtiContext:
    row = db.get(LtiContext, context_row_id)
    if row is None:
        raise NotFoundError(f"no LMS course with id {context_row_id}")
    return row


def contexts_of(db: Session, user: User) -> list[LtiContext]:
    """The LMS courses from which ``user`` launched CRISIS (all of them for an admin)."""
    rows = db.scalars(select(LtiContext).order_by(LtiContext.title, LtiContext.id))
    return [row for row in rows if user.role == "admin" or user.id in (row.launched_by or [])]


def note_launch(row: LtiContext, user: User) -> None:
    """Remember that ``user`` launched from this course."""
    if user.id not in (row.launched_by or []):
        row.launched_by = [*(row.launched_by or []), user.id]


def save_context(
    db: Session, platform_id: int, deployment_id: str, context_id: str, **fields: Any
) -> LtiContext:
    row = context(db, platform_id, deployment_id, context_id)
    if row is None:
        row = LtiContext(
            platform_id=platform_id, deployment_id=deployment_id, context_id=context_id, **fields
        )
        db.add(row)
    else:
        for name, value in fields.items():
            if value is not None:
                setattr(row, name, value)
    db.flush()
    return row


def save_link(
    db: Session, platform_id: int, deployment_id: str, resource_link_id: str, **fields: Any
) -> LtiLink:
    row = db.scalar(
        select(LtiLink).where(
            LtiLink.platform_id == platform_id,
            LtiLink.deployment_id == deployment_id,
            LtiLink.resource_link_id == resource_link_id,
        )
    )
    if row is None:
        row = LtiLink(
            platform_id=platform_id,
            deployment_id=deployment_id,
            resource_link_id=resource_link_id,
            **fields,
        )
        db.add(row)
    else:
        for name, value in fields.items():
            if value is not None:
                setattr(row, name, value)
    db.flush()
    return row


def grant(db: Session, user: User, link: LtiLink, sub: str) -> None:
    row = db.scalar(
        select(LtiGrant).where(LtiGrant.user_id == user.id, LtiGrant.link_id == link.id)
    )
    if row is None:
        db.add(LtiGrant(user_id=user.id, link_id=link.id, sub=sub))
    else:
        row.launched_at = utcnow()
        row.sub = sub
    db.flush()


def graded_links(db: Session, user_id: int, activity: str) -> list[tuple[LtiLink, LtiGrant]]:
    """The links to ``activity`` this learner launched that have a line item to score."""
    rows = db.execute(
        select(LtiLink, LtiGrant)
        .join(LtiGrant, LtiGrant.link_id == LtiLink.id)
        .where(
            LtiGrant.user_id == user_id,
            LtiLink.activity == activity,
            LtiLink.lineitem_url.is_not(None),
        )
    )
    return [(link, g) for link, g in rows]


# --- outbox ---------------------------------------------------------------------------------


def enqueue(db: Session, *, channel: str, key: str, payload: dict[str, Any], **fields: Any) -> bool:
    """Add a message unless one with the same key exists; ``True`` if added."""
    if db.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return False
    try:
        with db.begin_nested():
            db.add(OutboxMessage(channel=channel, key=key, payload=payload, **fields))
    except IntegrityError:
        return False
    return True


def due(db: Session, channel: str, now: dt.datetime, limit: int = 200) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == "pending",
                OutboxMessage.next_at <= now,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def outbox(db: Session, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.scalars(query))


def outbox_counts(db: Session) -> dict[tuple[str, str], int]:
    rows = db.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count(OutboxMessage.id)).group_by(
            OutboxMessage.channel, OutboxMessage.status
        )
    )
    return {(channel, status): n for channel, status, n in rows}


def get_message(db: Session, message_id: int) -> OutboxMessage:
    row = db.get(OutboxMessage, message_id)
    if row is None:
        raise NotFoundError(f"no outbox message {message_id}")
    return row


def statements_of(db: Session, user_id: int) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "xapi", OutboxMessage.user_id == user_id)
            .order_by(OutboxMessage.id)
        )
    )


# --- cursors --------------------------------------------------------------------------------


def cursor(db: Session, name: str) -> dt.datetime | None:
    row = db.get(IntegrationCursor, name)
    return row.at if row is not None else None


def set_cursor(db: Session, name: str, at: dt.datetime) -> None:
    row = db.get(IntegrationCursor, name)
    if row is None:
        db.add(IntegrationCursor(name=name, at=at))
    elif at > row.at:
        row.at = at
    db.flush()
