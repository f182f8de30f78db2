"""Tables of the integrations: LTI platforms, linked accounts, LMS courses and links, used
nonces, and the outbox of scores and xAPI statements waiting for their receiver."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisis.store.tables import Base, UTCDateTime, utcnow


class LtiPlatform(Base):
    """An LMS registered by an admin (or by LTI Dynamic Registration)."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_url: Mapped[str] = mapped_column(String(1000))
    token_url: Mapped[str] = mapped_column(String(1000))
    jwks_url: Mapped[str] = mapped_column(String(1000))
    #: The ``aud`` of our token-request assertions, if the platform names one.
    token_audience: Mapped[str] = mapped_column(String(1000), default="")
    deployment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiRegistrationLink(Base):
    """An address an admin made for one LTI Dynamic Registration (kept as its digest)."""

    __tablename__ = "lti_registration_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: When a registration with it began (it serves once); cleared if the platform refused.
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_platform.id", ondelete="SET NULL")
    )


class LtiNonce(Base):
    """A nonce already used in a launch (kept until its token has expired)."""

    __tablename__ = "lti_nonce"
    __table_args__ = (UniqueConstraint("platform_id", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class LtiAccount(Base):
    """A platform's user (``sub``) linked to a CRISIS account."""

    __tablename__ = "lti_account"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiContext(Base):
    """An LMS course that launched CRISIS, and the cohort its roster becomes."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "context_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_cohort.id", ondelete="SET NULL")
    )
    synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Ids of the CRISIS accounts that launched from this course (who may read its roster).
    launched_by: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiLink(Base):
    """A resource link placed in an LMS course, the activity it opens and its line item."""

    __tablename__ = "lti_link"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    context_row_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_context.id", ondelete="SET NULL")
    )
    activity: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255), default="")
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    score_scope: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiGrant(Base):
    """A learner launched a link: their scores for its activity go to its line item."""

    __tablename__ = "lti_grant"
    __table_args__ = (UniqueConstraint("user_id", "link_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    link_id: Mapped[int] = mapped_column(ForeignKey("lti_link.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    launched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMessage(Base):
    """A score (channel ``ags``) or xAPI statement (``xapi``) until its receiver accepts it."""

    __tablename__ = "integration_outbox"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_integration_outbox_due", "status", "next_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    #: The statement id, or the score's identity; a second enqueue of it changes nothing.
    key: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_platform.id", ondelete="SET NULL")
    )
    target: Mapped[str] = mapped_column(String(1000), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class IntegrationCursor(Base):
    """How far the journey has been read for statements and scores (per source)."""

    __tablename__ = "integration_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
