"""Tables of Open Badges credentials: every credential issued, its place in the revocation list.

The signed token is kept as issued (it cannot be rebuilt: it carries the time and a salt);
revoking sets ``revoked_at`` and flips the credential's bit in the published status list.
``status_index`` is unique, so two credentials never share a bit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisis.store.tables import Base, UTCDateTime, utcnow


class IssuedCredential(Base):
    """One OpenBadgeCredential awarded to a learner."""

    __tablename__ = "credential_issued"
    __table_args__ = (UniqueConstraint("status_index"), UniqueConstraint("uuid"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: ``competence`` for a competence level; ``module`` or ``course`` for what the courses
    #: package will award.
    kind: Mapped[str] = mapped_column(String(16), default="competence")
    subject: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    achievement_id: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8))
    token: Mapped[str] = mapped_column(Text)
    status_index: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(500))
    #: Who awarded it by hand; ``None`` when the evidence rule awarded it.
    issued_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
