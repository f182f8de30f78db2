"""Pages of the competence framework, job profiles and curriculum, and the catalogue upload."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crisis.competences import LANGUAGES, Catalogue, Competence
from crisis.competences.audit import reachability
from crisis.competences.standards import (
    CRI_DIMENSIONS,
    DIGCOMP_COMPETENCES,
    ECF_COMPETENCES,
    UNDRR_ESSENTIALS,
)
from crisis.competences.translations import missing_translations
from crisis.exceptions import ContentError, CrisisError
from crisis.store import catalogues as store
from crisis.store.tables import User
from crisis.web import i18n
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
from crisis.web.competences_graph import PALETTE, depths, draw
from crisis.web.i18n import gettext as _
from crisis.web.params import Id
from crisis.web.rendering import page_language, render
from crisis.web.security import csrf_protect, get_db, optional_user, require_roles

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
#: Roles that may upload and switch catalogues (admins always may).
MANAGERS = ("instructor",)
_STANDARDS = {
    "ecf": ECF_COMPETENCES,
    "digcomp": DIGCOMP_COMPETENCES,
    "undrr": UNDRR_ESSENTIALS,
    "cri": CRI_DIMENSIONS,
}


def _lang(request: Request) -> str:
    """The content language (the interface language), with its interface strings active."""
    lang = page_language(request)
    i18n.activate(request.app.state.catalogs[lang])
    return lang


def _page(
    request: Request,
    template: str,
    used: InUse,
    user: User | None,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    cat = used.catalogue
    values = {
        "cat": cat,
        "used": used,
        "level_name": lambda value: cat.framework.scale.name(value, page_language(request)),
        "area_colours": {
            area.id: PALETTE[i % len(PALETTE)] for i, area in enumerate(cat.framework.areas)
        },
        "can_manage": user is not None and (user.role == "admin" or user.role in MANAGERS),
        "standards": _STANDARDS,
        "exports": EXPORTS,
        "content_languages": LANGUAGES,
        **(context or {}),
    }
    # Read-only pages look the same to every visitor; the managing pages never are public.
    public = not template.startswith("manage")
    return render(request, f"competences/{template}", values, status_code, public=public)


@router.get("/competences")
def framework_page(
    request: Request, user: User | None = Depends(optional_user), used: InUse = Depends(in_use)
) -> Response:
    return _page(request, "framework.html", used, user)


@router.get("/competences/profiles")
def profiles_page(
    request: Request, user: User | None = Depends(optional_user), used: InUse = Depends(in_use)
) -> Response:
    return _page(request, "profiles.html", used, user)


@router.get("/competences/profiles/{profile_id}")
def profile_page(
    request: Request,
    profile_id: str,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    profile = used.catalogue.profile(profile_id)
    return _page(request, "profile.html", used, user, {"profile": profile})


@router.get("/competences/curriculum")
def curriculum_page(
    request: Request, user: User | None = Depends(optional_user), used: InUse = Depends(in_use)
) -> Response:
    return _page(request, "curriculum.html", used, user)


@router.get("/competences/modules/{module_id}")
def module_page(
    request: Request,
    module_id: str,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    cat = used.catalogue
    module = cat.module(module_id)
    context = {
        "module": module,
        "required_by": [m for m in cat.curriculum.modules if module.id in m.prerequisites],
        "extended_by": [m for m in cat.curriculum.modules if module.id in m.extends],
        "in_programmes": [p for p in cat.curriculum.programmes if module.id in p.modules],
    }
    return _page(request, "module.html", used, user, context)


@router.get("/competences/programmes/{programme_id}")
def programme_page(
    request: Request,
    programme_id: str,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    cat = used.catalogue
    ids = programme_modules(cat, programme_id)
    programme = next(p for p in cat.curriculum.programmes if p.id == programme_id)
    modules = [cat.module(m) for m in ids]
    context = {
        "programme": programme,
        "modules": modules,
        "hours": sum(m.hours for m in modules),
    }
    return _page(request, "programme.html", used, user, context)


def _graph(request: Request, used: InUse, programme: str | None) -> tuple[str, list[str], int]:
    lang = _lang(request)
    cat = used.catalogue
    ids = programme_modules(cat, programme)
    modules = [cat.module(m) for m in ids]
    layers = max(depths(modules).values(), default=-1) + 1
    description = _(
        "%(modules)d modules in %(layers)d columns by depth of prerequisites. An arrow from "
        "one module to another means the first is a prerequisite of the second."
    ) % {"modules": len(modules), "layers": layers}
    svg = draw(
        cat,
        lang,
        title=_("Prerequisite graph of the curriculum modules"),
        description=description,
        module_ids=ids,
    )
    return svg, ids, layers


@router.get("/competences/graph")
def graph_page(
    request: Request,
    programme: str | None = None,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    svg, ids, layers = _graph(request, used, programme)
    cat = used.catalogue
    modules = [cat.module(m) for m in ids]
    depth = depths(modules)
    context = {
        "svg": svg,
        "modules": sorted(modules, key=lambda m: (depth[m.id], ids.index(m.id))),
        "depth": depth,
        "layers": layers,
        "programme": programme or "",
    }
    return _page(request, "graph.html", used, user, context)


@router.get("/competences/graph.svg")
def graph_svg(
    request: Request,
    programme: str | None = None,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    svg, _ids, _layers = _graph(request, used, programme)
    return Response(svg, media_type="image/svg+xml")


@router.get("/competences/coverage")
def coverage_page(
    request: Request,
    programme: str | None = None,
    profile: str | None = None,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    cat = used.catalogue
    ids = programme_modules(cat, programme)
    if profile is None and "scro" in cat.profiles:
        profile = "scro"
    chosen = cat.profile(profile) if profile else None
    table = coverage(cat)
    best = {comp: max((table[comp].get(m, 0) for m in ids), default=0) for comp in table}
    context = {
        "module_ids": ids,
        "modules": [cat.module(m) for m in ids],
        "table": table,
        "best": best,
        "profile": chosen,
        "programme": programme or "",
    }
    return _page(request, "coverage.html", used, user, context)


@router.get("/competences/export/{fmt}")
def export_file(
    request: Request,
    fmt: str,
    lang: str | None = None,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    if lang is not None and lang not in LANGUAGES:
        raise CrisisError(f"lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
    return export(used, fmt, lang or page_language(request), public_url(request))


# --- managing the catalogue (instructors and admins) ------------------------------------


def _manage(
    request: Request,
    db: Session,
    user: User,
    used: InUse,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    rows = store.list_catalogues(db)
    values = {
        "uploads": rows,
        "uploaders": store.uploader_names(db, rows),
        "max_mb": request.app.state.settings.max_upload_mb,
        **(context or {}),
    }
    return _page(request, "manage.html", used, user, values, status_code)


@router.get("/competences/manage")
def manage_page(
    request: Request,
    user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    return _manage(request, db, user, used)


@router.post("/competences/manage/upload")
def upload(
    request: Request,
    files: list[UploadFile] = File(default=[]),
    label: str = Form("", max_length=200),
    user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
    used: InUse = Depends(in_use),
) -> Response:
    settings = request.app.state.settings
    # A plain def: FastAPI runs it on a worker thread, so parsing never holds the event loop.
    uploads = [(f.filename or "", f.file.read()) for f in files]
    try:
        stored, cat = read_upload(uploads, max_bytes=settings.max_upload_bytes)
    except ContentError as exc:
        names = [name for name, _data in uploads if name]
        context: dict[str, Any] = {"errors": exc.errors, "failed": names, "label": label}
        return _manage(request, db, user, used, context, status_code=400)
    row = store.add(db, stored, cat, user=user, label=label)
    db.commit()
    remember(request, row, cat)
    warnings = reachability(cat) if "scro" in cat.profiles else []
    missing = missing_translations(cat)
    context = {"uploaded": row, "warnings": warnings, "missing": missing}
    return _manage(request, db, user, InUse(cat, row), context)


@router.post("/competences/manage/{catalogue_id}/activate")
def activate(
    catalogue_id: Id,
    user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
) -> Response:
    store.set_active(db, catalogue_id)
    db.commit()
    return RedirectResponse("/competences/manage", status_code=303)


@router.post("/competences/manage/bundled")
def use_bundled(
    user: User = Depends(require_roles(*MANAGERS)), db: Session = Depends(get_db)
) -> Response:
    store.set_active(db, None)
    db.commit()
    return RedirectResponse("/competences/manage", status_code=303)


@router.post("/competences/manage/{catalogue_id}/delete")
def delete(
    catalogue_id: Id,
    user: User = Depends(require_roles(*MANAGERS)),
    db: Session = Depends(get_db),
) -> Response:
    store.delete(db, catalogue_id)
    db.commit()
    return RedirectResponse("/competences/manage", status_code=303)


def _node(cat: Catalogue, node_id: str) -> dict[str, Any]:
    # A cross-reference may name an area (a top-level competency in Moodle) or a competence.
    for area in cat.framework.areas:
        if area.id == node_id:
            return {"id": area.id, "title": area.title, "href": f"/competences#{quote(area.id)}"}
    comp = cat.competence(node_id)
    return {"id": comp.id, "title": comp.title, "href": f"/competences/{quote(comp.id)}"}


@router.get("/competences/{competence_id:path}")
def competence_page(
    request: Request,
    competence_id: str,
    user: User | None = Depends(optional_user),
    used: InUse = Depends(in_use),
) -> Response:
    cat = used.catalogue
    competence = cat.competence(competence_id)
    outcomes = [
        (module, outcome)
        for module in cat.curriculum.modules
        for outcome in module.outcomes
        if outcome.competence == competence.id
    ]
    targets = [
        (profile, profile.targets[competence.id])
        for profile in cat.profiles.values()
        if competence.id in profile.targets
    ]
    chain: list[Competence] = []
    parent = competence.parent
    while parent is not None and parent not in {c.id for c in chain}:
        chain.insert(0, cat.competence(parent))
        parent = chain[0].parent
    context = {
        "competence": competence,
        "area": cat.area(competence.area),
        "parents": chain,
        "children": [c for c in cat.framework.competences if c.parent == competence.id],
        "outcomes": outcomes,
        "targets": targets,
        "related": [_node(cat, r) for r in competence.related],
    }
    return _page(request, "competence.html", used, user, context)
