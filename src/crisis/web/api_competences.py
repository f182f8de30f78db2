"""The JSON API under ``/api/v1/competences``: framework, profiles, curriculum, exports, uploads.

Texts come in one language: ``?lang=`` (en, el, de, pt), else the caller's interface
language; a missing translation falls back to English field by field.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from crisis.competences import Catalogue, Competence, JobProfile, LocalText, Method, Module
from crisis.competences.standards import (
    CRI_DIMENSIONS,
    DIGCOMP_COMPETENCES,
    ECF_COMPETENCES,
    UNDRR_ESSENTIALS,
)
from crisis.store import catalogues as store
from crisis.store.competence_tables import CompetenceCatalogue
from crisis.store.tables import User
from crisis.web.addresses import public_url
from crisis.web.catalogues import (
    EXPORTS,
    InUse,
    coverage,
    export,
    in_use,
    programme_modules,
    read_upload,
    remember,
)
from crisis.web.competences import MANAGERS
from crisis.web.params import Id
from crisis.web.rendering import page_language
from crisis.web.security import csrf_protect, current_user, get_db, require_roles

router = APIRouter(
    prefix="/api/v1/competences", dependencies=[Depends(csrf_protect)], tags=["competences"]
)
Lang = Literal["en", "el", "de", "pt"]
LANG_QUERY = Query(None, description="Language of the texts; default: the interface language.")


def _language(request: Request, lang: Lang | None) -> str:
    return lang or page_language(request)


def _text(text: LocalText | None, lang: str) -> str | None:
    return text.get(lang) if text is not None else None


# --- response shapes --------------------------------------------------------------------


class Coded(BaseModel):
    code: str
    name: str


class LevelOut(BaseModel):
    value: int
    name: str
    description: str | None = None


class DescriptorOut(BaseModel):
    level: int
    name: str
    descriptor: str


class MappingsOut(BaseModel):
    eqf: int | None
    ecf: list[Coded]
    digcomp: list[Coded]
    esco: list[str]
    undrr_essentials: list[Coded]
    cri_dimensions: list[Coded]


class CompetenceOut(BaseModel):
    id: str
    area: str
    title: str
    description: str | None
    knowledge: list[str]
    skills: list[str]
    attitudes: list[str]
    levels: list[DescriptorOut]
    mappings: MappingsOut
    related: list[str]
    parent: str | None = Field(
        None, description="The competence this one refines (frameworks deeper than two levels)."
    )

    @classmethod
    def of(cls, cat: Catalogue, comp: Competence, lang: str) -> CompetenceOut:
        m = comp.mappings
        scale = cat.framework.scale
        return cls(
            id=comp.id,
            area=comp.area,
            title=comp.title.get(lang),
            description=_text(comp.description, lang),
            knowledge=[t.get(lang) for t in comp.knowledge],
            skills=[t.get(lang) for t in comp.skills],
            attitudes=[t.get(lang) for t in comp.attitudes],
            levels=[
                DescriptorOut(level=v, name=scale.name(v, lang), descriptor=d.get(lang))
                for v, d in comp.levels.items()
            ],
            mappings=MappingsOut(
                eqf=m.eqf,
                ecf=[Coded(code=c, name=ECF_COMPETENCES[c]) for c in m.ecf],
                digcomp=[Coded(code=c, name=DIGCOMP_COMPETENCES[c]) for c in m.digcomp],
                esco=list(m.esco),
                undrr_essentials=[
                    Coded(code=str(n), name=UNDRR_ESSENTIALS[n]) for n in m.undrr_essentials
                ],
                cri_dimensions=[Coded(code=d, name=CRI_DIMENSIONS[d]) for d in m.cri_dimensions],
            ),
            related=list(comp.related),
            parent=comp.parent,
        )


class AreaOut(BaseModel):
    id: str
    title: str
    description: str | None
    competences: list[CompetenceOut]


class SourceOut(BaseModel):
    """Which catalogue answers: the bundled content or an upload."""

    bundled: bool
    upload_id: int | None = None
    label: str | None = None
    uploaded_at: dt.datetime | None = None
    problem: str | None = Field(
        default=None, description="Why the active upload could not be used, if it could not."
    )

    @classmethod
    def of(cls, used: InUse) -> SourceOut:
        row = used.upload
        if row is None or used.problem:
            return cls(bundled=True, problem=used.problem)
        return cls(bundled=False, upload_id=row.id, label=row.label, uploaded_at=row.uploaded_at)


class FrameworkOut(BaseModel):
    id: str
    version: str
    language: str
    title: str
    description: str | None
    publisher: str | None
    licence: str | None
    uri: str | None
    source: SourceOut
    scale: list[LevelOut]
    proficient: int
    areas: list[AreaOut]


class TargetOut(BaseModel):
    competence: str
    title: str
    level: int
    level_name: str
    essential: bool


class ProfileOut(BaseModel):
    id: str
    title: str
    description: str | None
    targets: list[TargetOut]

    @classmethod
    def of(cls, cat: Catalogue, profile: JobProfile, lang: str) -> ProfileOut:
        scale = cat.framework.scale
        return cls(
            id=profile.id,
            title=profile.title.get(lang),
            description=_text(profile.description, lang),
            targets=[
                TargetOut(
                    competence=cid,
                    title=cat.competence(cid).title.get(lang),
                    level=t.level,
                    level_name=scale.name(t.level, lang),
                    essential=t.essential,
                )
                for cid, t in profile.targets.items()
            ],
        )


class OutcomeOut(BaseModel):
    id: str
    competence: str
    level: int
    text: str
    assessment: list[str]


class ModuleOut(BaseModel):
    id: str
    title: str
    description: str | None
    group: str
    hours: float
    ects: float
    eqf: int
    prerequisites: list[str]
    extends: list[str]
    teaching_methods: list[str]
    assessment_methods: list[str]
    outcomes: list[OutcomeOut]

    @classmethod
    def of(cls, module: Module, lang: str) -> ModuleOut:
        return cls(
            id=module.id,
            title=module.title.get(lang),
            description=_text(module.description, lang),
            group=module.group,
            hours=module.hours,
            ects=module.ects,
            eqf=module.eqf,
            prerequisites=list(module.prerequisites),
            extends=list(module.extends),
            teaching_methods=list(module.teaching_methods),
            assessment_methods=list(module.assessment_methods),
            outcomes=[
                OutcomeOut(
                    id=o.id,
                    competence=o.competence,
                    level=o.level,
                    text=o.text.get(lang),
                    assessment=list(o.assessment),
                )
                for o in module.outcomes
            ],
        )


class MethodOut(BaseModel):
    id: str
    title: str
    description: str | None


class ProgrammeOut(BaseModel):
    id: str
    title: str
    description: str | None
    ects: float
    eqf: int
    modules: list[str]


class CurriculumOut(BaseModel):
    id: str
    language: str
    title: str
    description: str | None
    teaching_methods: list[MethodOut]
    assessment_methods: list[MethodOut]
    modules: list[ModuleOut]
    programmes: list[ProgrammeOut]


class CoverageRow(BaseModel):
    competence: str
    title: str
    levels: dict[str, int] = Field(description="Module id → the highest level it reaches.")
    best: int


class CoverageOut(BaseModel):
    modules: list[str]
    competences: list[CoverageRow]


class CatalogueOut(BaseModel):
    id: int
    label: str
    kind: str
    framework_id: str
    framework_title: str
    summary: dict[str, int]
    uploaded_at: dt.datetime
    active: bool
    files: list[str] | None = None

    @classmethod
    def of(cls, row: CompetenceCatalogue, files: list[str] | None = None) -> CatalogueOut:
        return cls(
            id=row.id,
            label=row.label,
            kind=row.kind,
            framework_id=row.framework_id,
            framework_title=row.framework_title,
            summary=row.summary,
            uploaded_at=row.uploaded_at,
            active=row.active,
            files=files,
        )


class ActiveIn(BaseModel):
    id: Id | None = Field(description="The upload to use; null for the bundled content.")


# --- reading ----------------------------------------------------------------------------


@router.get("/framework", response_model=FrameworkOut, summary="The framework in use")
def framework(
    request: Request,
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> FrameworkOut:
    language = _language(request, lang)
    cat = used.catalogue
    fw = cat.framework
    return FrameworkOut(
        id=fw.id,
        version=fw.version,
        language=language,
        title=fw.title.get(language),
        description=_text(fw.description, language),
        publisher=fw.publisher,
        licence=fw.licence,
        uri=fw.uri,
        source=SourceOut.of(used),
        scale=[
            LevelOut(
                value=level.value,
                name=level.name.get(language),
                description=_text(level.description, language),
            )
            for level in fw.scale.levels
        ],
        proficient=fw.scale.proficient,
        areas=[
            AreaOut(
                id=area.id,
                title=area.title.get(language),
                description=_text(area.description, language),
                competences=[CompetenceOut.of(cat, c, language) for c in area.competences],
            )
            for area in fw.areas
        ],
    )


@router.get("/profiles", response_model=list[ProfileOut], summary="Job profiles")
def profiles(
    request: Request,
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> list[ProfileOut]:
    language = _language(request, lang)
    cat = used.catalogue
    return [ProfileOut.of(cat, p, language) for p in cat.profiles.values()]


@router.get("/profiles/{profile_id}", response_model=ProfileOut, summary="One job profile")
def profile(
    request: Request,
    profile_id: str,
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> ProfileOut:
    cat = used.catalogue
    return ProfileOut.of(cat, cat.profile(profile_id), _language(request, lang))


@router.get("/curriculum", response_model=CurriculumOut, summary="Modules and programmes")
def curriculum(
    request: Request,
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> CurriculumOut:
    language = _language(request, lang)
    cu = used.catalogue.curriculum

    def methods(table: dict[str, Method]) -> list[MethodOut]:
        return [
            MethodOut(
                id=mid, title=m.title.get(language), description=_text(m.description, language)
            )
            for mid, m in table.items()
        ]

    return CurriculumOut(
        id=cu.id,
        language=language,
        title=cu.title.get(language),
        description=_text(cu.description, language),
        teaching_methods=methods(cu.methods.teaching),
        assessment_methods=methods(cu.methods.assessment),
        modules=[ModuleOut.of(m, language) for m in cu.modules],
        programmes=[
            ProgrammeOut(
                id=p.id,
                title=p.title.get(language),
                description=_text(p.description, language),
                ects=p.ects,
                eqf=p.eqf,
                modules=list(p.modules),
            )
            for p in cu.programmes
        ],
    )


@router.get("/modules/{module_id}", response_model=ModuleOut, summary="One module")
def module(
    request: Request,
    module_id: str,
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> ModuleOut:
    return ModuleOut.of(used.catalogue.module(module_id), _language(request, lang))


@router.get(
    "/coverage",
    response_model=CoverageOut,
    summary="Competence × module coverage: the level each module reaches",
)
def coverage_matrix(
    request: Request,
    programme: str | None = Query(None, description="Only this programme's modules."),
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> CoverageOut:
    language = _language(request, lang)
    cat = used.catalogue
    ids = programme_modules(cat, programme)
    table = coverage(cat)
    rows = []
    for comp in cat.framework.competences:
        levels = {m: level for m, level in table[comp.id].items() if m in ids}
        rows.append(
            CoverageRow(
                competence=comp.id,
                title=comp.title.get(language),
                levels=levels,
                best=max(levels.values(), default=0),
            )
        )
    return CoverageOut(modules=ids, competences=rows)


@router.get(
    "/exports/{fmt}",
    summary="Download an export: moodle, case, case-curriculum, json, yaml or esco",
    response_class=Response,
    responses={
        200: {
            "description": "The export, as a file: CSV (moodle, esco), JSON (case, json) or "
            "YAML (yaml).",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
def download(
    request: Request,
    fmt: Literal["moodle", "case", "case-curriculum", "json", "yaml", "esco"],
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> Response:
    assert set(EXPORTS) == {"moodle", "case", "case-curriculum", "json", "yaml", "esco"}
    return export(used, fmt, _language(request, lang), public_url(request))


# --- uploads (instructors and admins) ---------------------------------------------------


@router.get(
    "/catalogues", response_model=list[CatalogueOut], summary="Uploaded catalogues, newest first"
)
def list_uploads(
    _user: User = Depends(require_roles(*MANAGERS)), db: Session = Depends(get_db)
) -> list[CatalogueOut]:
    return [CatalogueOut.of(row) for row in store.list_catalogues(db)]


@router.post(
    "/catalogues",
    response_model=CatalogueOut,
    status_code=201,
    summary="Upload framework/curriculum files; a valid upload becomes the catalogue in use",
    responses={400: {"description": "Problem JSON whose `errors` name file and line"}},
)
def upload(
    request: Request,
    files: list[UploadFile] = File(..., description="YAML files, a JSON/YAML export or a CSV"),
    label: str = Form("", max_length=200),
    activate: bool = Form(True),
    user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
) -> CatalogueOut:
    settings = request.app.state.settings
    # A plain def: FastAPI runs it on a worker thread, so parsing never holds the event loop.
    uploads = [(f.filename or "", f.file.read()) for f in files]
    stored, cat = read_upload(uploads, max_bytes=settings.max_upload_bytes)
    row = store.add(db, stored, cat, user=user, label=label, activate=activate)
    db.commit()
    remember(request, row, cat)
    return CatalogueOut.of(row, [f.filename for f in stored])


@router.put(
    "/catalogues/active",
    response_model=SourceOut,
    summary="Choose the catalogue in use (an upload, or null for the bundled content)",
)
def set_active(
    body: ActiveIn,
    _user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
) -> SourceOut:
    store.set_active(db, body.id)
    db.commit()
    row = store.active(db)
    return SourceOut(
        bundled=row is None,
        upload_id=row.id if row else None,
        label=row.label if row else None,
        uploaded_at=row.uploaded_at if row else None,
    )


@router.delete("/catalogues/{catalogue_id}", status_code=204, summary="Delete an upload")
def delete_upload(
    catalogue_id: Id,
    _user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
) -> Response:
    store.delete(db, catalogue_id)
    db.commit()
    return Response(status_code=204)


@router.get("/{competence_id:path}", response_model=CompetenceOut, summary="One competence by id")
def competence(
    request: Request,
    competence_id: str,
    lang: Lang | None = LANG_QUERY,
    _user: User = Depends(current_user),
    used: InUse = Depends(in_use),
) -> CompetenceOut:
    cat = used.catalogue
    return CompetenceOut.of(cat, cat.competence(competence_id), _language(request, lang))
