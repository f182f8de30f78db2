"""Tables of uploaded competence catalogues: the files as uploaded, who uploaded them and when.

A catalogue's files never change after upload; only which catalogue is active does. When no
uploaded catalogue is active the bundled SCRO content is used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crisis.store.tables import Base, UTCDateTime, utcnow


class CompetenceCatalogue(Base):
    """One uploaded framework/curriculum, validated before it was stored."""

    __tablename__ = "competence_catalogue"
    __table_args__ = (Index("ix_competence_catalogue_active", "active"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    #: "files" (YAML catalogue files), "document" (one JSON/YAML export) or "moodle" (CSV).
    kind: Mapped[str] = mapped_column(String(16))
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_title: Mapped[str] = mapped_column(String(300))
    #: Counts shown in listings (areas, competences, profiles, modules, programmes).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(default=False)

    files: Mapped[list[CompetenceCatalogueFile]] = relationship(
        back_populates="catalogue",
        cascade="all, delete-orphan",
        order_by="CompetenceCatalogueFile.id",
        passive_deletes=True,
    )


class CompetenceCatalogueFile(Base):
    """One file of an uploaded catalogue, byte for byte."""

    __tablename__ = "competence_catalogue_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(
        ForeignKey("competence_catalogue.id", ondelete="CASCADE"), index=True
    )
    #: What the file is: framework.yaml, profiles.yaml, curriculum.yaml,
    #: translations/<lang>.yaml, catalogue.yaml (one document) or framework.csv (Moodle).
    role: Mapped[str] = mapped_column(String(64))
    #: The name it was uploaded under.
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    catalogue: Mapped[CompetenceCatalogue] = relationship(back_populates="files")
