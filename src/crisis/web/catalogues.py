"""The competence catalogue the web app shows: the active upload, else the bundled content.

Also reads an upload (which file is which), computes the competence × module coverage and
produces the downloadable exports. Pages and the JSON API share these.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crisis.competences import Catalogue, load_bundled
from crisis.competences.case import export_case, export_case_curriculum
from crisis.competences.documents import export_json, export_yaml
from crisis.competences.esco import export_relations
from crisis.competences.moodle import export_framework
from crisis.competences.sources import parse_yaml
from crisis.exceptions import (
    ContentError,
    CrisisError,
    FormatError,
    LimitExceededError,
    NotFoundError,
)
from crisis.store import catalogues
from crisis.store.catalogues import ROLE_CASE, ROLE_DOCUMENT, ROLE_MOODLE, CatalogueFile
from crisis.store.competence_tables import CompetenceCatalogue
from crisis.web.i18n import N_
from crisis.web.security import get_db

log = logging.getLogger("crisis.web")

#: Most files one upload may hold.
MAX_FILES = 10
_CACHE_SIZE = 4
_CANONICAL = {
    f"{stem}.{ext}": f"{stem}.yaml"
    for stem in ("framework", "profiles", "curriculum")
    for ext in ("yaml", "yml")
}
_TRANSLATION = re.compile(r"(?:^|[^a-z0-9])(el|de|pt)\.ya?ml$")


# --- reading an upload ----------------------------------------------------------------


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip()


def _sniff(name: str, data: bytes, max_bytes: int) -> str:
    """The role of a YAML/JSON file whose name does not say it, from its top-level keys."""
    body = parse_yaml(data, name, max_bytes=max_bytes).data
    if body is None:
        raise FormatError("the file is empty", location=name)
    if isinstance(body, dict):
        if isinstance(body.get("CFDocument"), dict):
            return ROLE_CASE
        if isinstance(body.get("framework"), dict) and "areas" in body["framework"]:
            return ROLE_DOCUMENT
        if isinstance(body.get("areas"), list):
            return "framework.yaml"
        if isinstance(body.get("modules"), list):
            return "curriculum.yaml"
        if isinstance(body.get("profiles"), list):
            return "profiles.yaml"
    raise FormatError(
        "cannot tell which catalogue file this is: name it framework.yaml, profiles.yaml, "
        "curriculum.yaml or <language>.yaml (el, de, pt), or upload a whole-catalogue export",
        location=name,
    )


def classify(uploads: list[tuple[str, bytes]], *, max_bytes: int) -> list[CatalogueFile]:
    """Decide what each uploaded file is.

    Canonical names (``framework.yaml``, ``el.yaml``...) say it; a ``.csv`` is a Moodle
    competency framework; any other YAML/JSON file is recognised by its top-level keys.

    Raises:
        ContentError: every file that cannot be placed, or files that do not go together.
    """
    uploads = [(_basename(name), data) for name, data in uploads if _basename(name)]
    if not uploads:
        raise ContentError("choose at least one file to upload", errors=["no file was chosen"])
    if len(uploads) > MAX_FILES:
        message = f"{len(uploads)} files were sent; at most {MAX_FILES} are accepted at once"
        raise ContentError(message, errors=[message])
    errors: list[str] = []
    files: list[CatalogueFile] = []
    for name, data in uploads:
        lower = name.lower()
        translation = _TRANSLATION.search(lower)
        try:
            if lower.endswith(".csv"):
                role = ROLE_MOODLE
            elif lower in _CANONICAL:
                role = _CANONICAL[lower]
            elif translation:
                role = f"translations/{translation.group(1)}.yaml"
            elif lower.endswith((".yaml", ".yml", ".json")):
                role = _sniff(name, data, max_bytes)
            else:
                raise FormatError(
                    "not a catalogue file: expected YAML (.yaml, .yml), JSON or a Moodle CSV",
                    location=name,
                )
        except LimitExceededError:
            raise  # past a limit the upload is refused as a whole, naming the limit
        except CrisisError as exc:
            errors.append(str(exc))
            continue
        files.append(CatalogueFile(role, name, data))
    seen: dict[str, str] = {}
    for f in files:
        same = "framework.yaml" if f.role in (ROLE_MOODLE, ROLE_CASE) else f.role
        if same in seen:
            errors.append(
                f"{f.filename}: holds the same part of the catalogue as {seen[same]} "
                f"({same.removesuffix('.yaml')}); upload only one of them"
            )
        seen.setdefault(same, f.filename)
    documents = [f for f in files if f.role == ROLE_DOCUMENT]
    if documents and len(uploads) > 1:
        errors.append(
            f"{documents[0].filename}: a whole-catalogue export holds everything; "
            "upload it on its own"
        )
    if errors:
        raise ContentError(f"{len(errors)} problem(s): {errors[0]}", errors=errors)
    return files


def read_upload(
    uploads: list[tuple[str, bytes]], *, max_bytes: int
) -> tuple[list[CatalogueFile], Catalogue]:
    """Classify and load an upload, checking it whole.

    Raises:
        ContentError: every problem, each naming the file and line (or row and column).
    """
    files = classify(uploads, max_bytes=max_bytes)
    return files, catalogues.load(files, max_bytes=max_bytes)


# --- the catalogue in use ---------------------------------------------------------------


@dataclass
class InUse:
    """The catalogue pages and the API show, and where it came from."""

    catalogue: Catalogue
    #: The uploaded catalogue in use; ``None`` for the bundled content.
    upload: CompetenceCatalogue | None = None
    #: Why an active upload could not be used (the bundled content is shown instead).
    problem: str | None = None


_Key = tuple[int, str]


def _key(row: CompetenceCatalogue) -> _Key:
    # SQLite may give a deleted upload's id to the next one; the upload time tells them apart.
    return (row.id, row.uploaded_at.isoformat())


def _cache(request: Request) -> dict[_Key, Catalogue]:
    return _state_cache(request.app.state)


def _state_cache(state: Any) -> dict[_Key, Catalogue]:
    cache: dict[_Key, Catalogue] | None = getattr(state, "competence_catalogues", None)
    if cache is None:
        cache = {}
        state.competence_catalogues = cache
    return cache


def in_use(request: Request, db: Session = Depends(get_db)) -> InUse:
    """The active uploaded catalogue (newest first), or the bundled SCRO content."""
    return in_use_of(request.app.state, db)


def in_use_of(state: Any, db: Session) -> InUse:
    """:func:`in_use` for work without a request (the outbox sender): ``state`` is the app's."""
    row = catalogues.active(db)
    if row is None:
        return InUse(load_bundled())
    cache = _state_cache(state)
    cat = cache.get(_key(row))
    if cat is None:
        try:
            cat = catalogues.load(catalogues.files_of(db, row.id), max_bytes=2**31)
        except ContentError as exc:
            log.error("uploaded catalogue %s no longer loads: %s", row.id, exc)
            return InUse(load_bundled(), row, exc.errors[0])
        _remember(state, row, cat)
    return InUse(cat, row)


def remember(request: Request, row: CompetenceCatalogue, cat: Catalogue) -> None:
    """Keep a freshly uploaded catalogue so that the next page need not load it again."""
    _remember(request.app.state, row, cat)


def _remember(state: Any, row: CompetenceCatalogue, cat: Catalogue) -> None:
    cache = _state_cache(state)
    while len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[_key(row)] = cat


# --- coverage ---------------------------------------------------------------------------


def coverage(cat: Catalogue) -> dict[str, dict[str, int]]:
    """``{competence: {module: level}}``: the highest level each module's outcomes reach."""
    table: dict[str, dict[str, int]] = {c.id: {} for c in cat.framework.competences}
    for module in cat.curriculum.modules:
        for outcome in module.outcomes:
            cells = table.setdefault(outcome.competence, {})
            cells[module.id] = max(cells.get(module.id, 0), outcome.level)
    return table


def programme_modules(cat: Catalogue, programme: str | None) -> list[str]:
    """The module ids of a programme, in its order, or every module when ``programme`` is empty.

    Raises:
        NotFoundError: no such programme.
    """
    if not programme:
        return [m.id for m in cat.curriculum.modules]
    for prog in cat.curriculum.programmes:
        if prog.id == programme:
            return list(prog.modules)
    raise NotFoundError(f"no programme {programme!r} in the curriculum")


# --- exports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A download format."""

    label: str
    extension: str
    media_type: str
    #: Whether the texts are written in one chosen language (else every language is kept).
    one_language: bool
    write: Callable[[Catalogue, str, Any, str], str]


EXPORTS: dict[str, Export] = {
    "moodle": Export(
        N_("Moodle competency framework (CSV)"),
        "csv",
        "text/csv; charset=utf-8",
        True,
        lambda cat, lang, _when, _base: export_framework(cat.framework, lang),
    ),
    "case": Export(
        N_("CASE 1.0 package of the framework (JSON)"),
        "json",
        "application/json",
        True,
        lambda cat, lang, when, base: export_case(cat, lang, base_url=base, changed=when),
    ),
    "case-curriculum": Export(
        N_("CASE 1.0 package of the curriculum (JSON)"),
        "json",
        "application/json",
        True,
        lambda cat, lang, when, base: export_case_curriculum(
            cat, lang, base_url=base, changed=when
        ),
    ),
    "json": Export(
        N_("Whole catalogue (JSON)"),
        "json",
        "application/json",
        False,
        lambda cat, _lang, _when, _base: export_json(cat),
    ),
    "yaml": Export(
        N_("Whole catalogue (YAML)"),
        "yaml",
        "application/yaml; charset=utf-8",
        False,
        lambda cat, _lang, _when, _base: export_yaml(cat),
    ),
    "esco": Export(
        N_("ESCO occupation–skill relations (CSV)"),
        "csv",
        "text/csv; charset=utf-8",
        False,
        lambda cat, _lang, _when, base: export_relations(cat, base_uri=base),
    ),
}


def export(used: InUse, fmt: str, lang: str, base: str) -> Response:
    """The catalogue in ``fmt`` as a file download.

    Raises:
        NotFoundError: no such format.
    """
    spec = EXPORTS.get(fmt)
    if spec is None:
        raise NotFoundError(f"no export format {fmt!r}; expected one of {', '.join(EXPORTS)}")
    when = used.upload.uploaded_at if used.upload is not None else None
    text = spec.write(used.catalogue, lang, when, base)
    suffix = f"-{lang}" if spec.one_language else ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", used.catalogue.framework.id)[:64]
    filename = f"{stem}-{fmt}{suffix}.{spec.extension}"
    return Response(
        text.encode("utf-8"),
        media_type=spec.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
