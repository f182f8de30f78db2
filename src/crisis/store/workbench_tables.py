"""Tables of the workbench: city workspaces, their members, every saved version, attachments.

A workspace's state is never updated in place: each save adds a :class:`WorkspaceVersion`
holding the whole state as a canonical JSON snapshot (:func:`crisis.workbench.history.snapshot`)
with its author, time and a summary of what changed. The workspace row only counts versions,
which is what concurrent saves are checked against.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisis.store.tables import Base, UTCDateTime, utcnow

MEMBER_ROLES: tuple[str, ...] = ("viewer", "editor", "owner")


class WorkbenchWorkspace(Base):
    """One city's workspace."""

    __tablename__ = "workbench_workspace"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    city: Mapped[str] = mapped_column(String(200))
    #: Number of the newest version; a save must start from it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkbenchMember(Base):
    """A person's role in a workspace: viewer, editor or owner."""

    __tablename__ = "workbench_member"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workbench_workspace.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkbenchVersion(Base):
    """One saved state of a workspace: who, when, what changed, and the whole state."""

    __tablename__ = "workbench_version"
    __table_args__ = (UniqueConstraint("workspace_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workbench_workspace.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: The author's username when saved, kept if the account goes.
    author: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    message: Mapped[str] = mapped_column(String(500), default="")
    #: What changed since the previous version (ids and field paths, no prose).
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The workspace as canonical JSON.
    snapshot: Mapped[str] = mapped_column(Text)
    #: The edited action plan (a list of actions), or ``None`` while none was drafted.
    plan: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class WorkbenchAttachment(Base):
    """A file attached as evidence to one answer of a scorecard round."""

    __tablename__ = "workbench_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workbench_workspace.id", ondelete="CASCADE"), index=True
    )
    round_label: Mapped[str] = mapped_column(String(200))
    question_id: Mapped[str] = mapped_column(String(64))
    #: The name the answer lists (made unique within the answer).
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
