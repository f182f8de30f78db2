"""Repository of uploaded competence catalogues, and rebuilding a catalogue from its files.

Files are kept under a *role* (what the file is) next to the name they were uploaded with:
``framework.yaml``, ``profiles.yaml``, ``curriculum.yaml``, ``translations/<lang>.yaml``,
``catalogue.yaml`` (a whole-catalogue JSON/YAML export), ``framework.csv`` (a Moodle
competency framework) or ``framework.case.json`` (a CASE 1.0 package). The domain loaders do
all the checking; here they are only called.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from crisis.competences.case_import import import_case
from crisis.competences.documents import import_document
from crisis.competences.loader import build, read_files
from crisis.competences.models import Catalogue
from crisis.competences.moodle import import_framework
from crisis.competences.sources import MAX_BYTES
from crisis.exceptions import ContentError, CrisisError, LimitExceededError, NotFoundError
from crisis.store.competence_tables import CompetenceCatalogue, CompetenceCatalogueFile
from crisis.store.tables import User

ROLE_DOCUMENT = "catalogue.yaml"
ROLE_MOODLE = "framework.csv"
ROLE_CASE = "framework.case.json"


@dataclass(frozen=True)
class CatalogueFile:
    """A file of a catalogue: what it is, the name it came with, and its bytes."""

    role: str
    filename: str
    content: bytes


def _renamed(errors: list[str], files: list[CatalogueFile]) -> list[str]:
    """Errors name the file the person uploaded, not the role it was given."""
    renames = {f.role: f.filename for f in files if f.role != f.filename}
    out = []
    for error in errors:
        for role, filename in renames.items():
            if error.startswith(f"{role}:"):
                error = filename + error[len(role) :]
                break
        out.append(error)
    return out


def _kind(files: list[CatalogueFile]) -> str:
    roles = {f.role for f in files}
    if ROLE_DOCUMENT in roles:
        return "document"
    if ROLE_MOODLE in roles:
        return "moodle"
    if ROLE_CASE in roles:
        return "case"
    return "files"


def load(files: list[CatalogueFile], *, max_bytes: int = MAX_BYTES) -> Catalogue:
    """Build and check the catalogue held by ``files`` (nothing is returned half-loaded).

    Raises:
        ContentError: every problem found, each naming the uploaded file and its line (YAML)
            or row and column (CSV).
    """
    by_role = {f.role: f for f in files}
    try:
        if ROLE_DOCUMENT in by_role:
            doc = by_role[ROLE_DOCUMENT]
            return import_document(doc.content, doc.filename, max_bytes=max_bytes)
        contents = {f.role: f.content for f in files}
        foreign = by_role.get(ROLE_MOODLE) or by_role.get(ROLE_CASE)
        if foreign is not None:
            read = import_framework if foreign.role == ROLE_MOODLE else import_case
            framework = read(foreign.content, foreign.filename, max_bytes=max_bytes)
            del contents[foreign.role]
            contents["framework.yaml"] = yaml.safe_dump(
                framework.model_dump(mode="json", exclude_none=True),
                allow_unicode=True,
                sort_keys=False,
            ).encode("utf-8")
        sources, errors = read_files(contents, max_bytes=max_bytes)
        return build(sources, errors)
    except LimitExceededError:
        raise  # past a limit the upload is refused as a whole, naming the limit
    except ContentError as exc:
        errors = _renamed(exc.errors, files)
        raise ContentError(f"{len(errors)} problem(s): {errors[0]}", errors=errors) from None
    except CrisisError as exc:  # a FormatError: one file could not be read at all
        errors = _renamed([str(exc)], files)
        raise ContentError(errors[0], errors=errors) from None


def summary(cat: Catalogue) -> dict[str, int]:
    """The counts shown next to a catalogue."""
    return {
        "areas": len(cat.framework.areas),
        "competences": len(cat.framework.competences),
        "profiles": len(cat.profiles),
        "modules": len(cat.curriculum.modules),
        "programmes": len(cat.curriculum.programmes),
    }


def add(
    db: Session,
    files: list[CatalogueFile],
    cat: Catalogue,
    *,
    user: User | None,
    label: str = "",
    activate: bool = True,
) -> CompetenceCatalogue:
    """Store a checked catalogue with its files; by default it becomes the active one."""
    row = CompetenceCatalogue(
        label=(label.strip() or ", ".join(f.filename for f in files))[:200],
        kind=_kind(files),
        framework_id=cat.framework.id[:64],
        framework_title=str(cat.framework.title)[:300],
        summary=summary(cat),
        uploaded_by=user.id if user is not None else None,
        active=False,
        files=[
            CompetenceCatalogueFile(role=f.role, filename=f.filename[:255], content=f.content)
            for f in files
        ],
    )
    db.add(row)
    db.flush()
    if activate:
        set_active(db, row.id)
    return row


def list_catalogues(db: Session) -> list[CompetenceCatalogue]:
    """Every uploaded catalogue, newest first."""
    return list(db.scalars(select(CompetenceCatalogue).order_by(CompetenceCatalogue.id.desc())))


def get(db: Session, catalogue_id: int) -> CompetenceCatalogue:
    """The uploaded catalogue with this id.

    Raises:
        NotFoundError: no such catalogue.
    """
    row = db.get(CompetenceCatalogue, catalogue_id)
    if row is None:
        raise NotFoundError(f"no uploaded catalogue with id {catalogue_id}")
    return row


def active(db: Session) -> CompetenceCatalogue | None:
    """The newest active uploaded catalogue, or ``None`` when the bundled content is in use."""
    return db.scalar(
        select(CompetenceCatalogue)
        .where(CompetenceCatalogue.active.is_(True))
        .order_by(CompetenceCatalogue.id.desc())
        .limit(1)
    )


def files_of(db: Session, catalogue_id: int) -> list[CatalogueFile]:
    """The stored files of a catalogue."""
    row = db.scalar(
        select(CompetenceCatalogue)
        .where(CompetenceCatalogue.id == catalogue_id)
        .options(selectinload(CompetenceCatalogue.files))
    )
    if row is None:
        raise NotFoundError(f"no uploaded catalogue with id {catalogue_id}")
    return [CatalogueFile(f.role, f.filename, f.content) for f in row.files]


def set_active(db: Session, catalogue_id: int | None) -> None:
    """Make one uploaded catalogue active, or none (``None``: back to the bundled content)."""
    if catalogue_id is not None:
        get(db, catalogue_id)
    db.execute(
        update(CompetenceCatalogue).where(CompetenceCatalogue.active.is_(True)).values(active=False)
    )
    if catalogue_id is not None:
        db.execute(
            update(CompetenceCatalogue)
            .where(CompetenceCatalogue.id == catalogue_id)
            .values(active=True)
        )
    db.expire_all()


def delete(db: Session, catalogue_id: int) -> None:
    """Remove an uploaded catalogue and its files."""
    db.delete(get(db, catalogue_id))
    db.flush()


def uploader_names(db: Session, rows: list[CompetenceCatalogue]) -> dict[int, str]:
    """Display names of the people who uploaded ``rows``, by user id."""
    ids = {row.uploaded_by for row in rows if row.uploaded_by is not None}
    if not ids:
        return {}
    return {
        user.id: user.display_name or user.username
        for user in db.scalars(select(User).where(User.id.in_(ids)))
    }
