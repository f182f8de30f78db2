"""A read-only CASE 1.0 service, so the URIs in CASE packages (and in Open Badges alignments)
resolve: ``/ims/case/v1p0/CFDocuments``, ``CFPackages/{id}``, ``CFDocuments/{id}``,
``CFItems/{id}`` and ``CFAssociations/{id}`` for the catalogue in use, in every language.

The framework and curriculum are published content, so the service needs no sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from crisis.competences.case import to_case, to_case_curriculum
from crisis.competences.text import LANGUAGES
from crisis.exceptions import NotFoundError
from crisis.web.addresses import public_url
from crisis.web.catalogues import InUse, in_use

router = APIRouter(prefix="/ims/case/v1p0", tags=["CASE 1.0"])


@dataclass
class _Index:
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    associations: dict[str, dict[str, Any]] = field(default_factory=dict)


def _index(request: Request, used: InUse) -> _Index:
    base = public_url(request)
    upload = used.upload
    key = (upload.id, upload.uploaded_at.isoformat(), base) if upload else ("bundled", base)
    cache: dict[Any, _Index] = request.app.state.__dict__.setdefault("case_index", {})
    if key not in cache:
        when = used.upload.uploaded_at if used.upload is not None else None
        index = _Index()
        for lang in LANGUAGES:
            for build in (to_case, to_case_curriculum):
                package = build(used.catalogue, lang, base_url=base, changed=when)
                index.packages[package["CFDocument"]["identifier"]] = package
                index.items.update((i["identifier"], i) for i in package["CFItems"])
                index.associations.update((a["identifier"], a) for a in package["CFAssociations"])
        cache.clear()  # one catalogue is in use at a time
        cache[key] = index
    return cache[key]


def _json(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})


@router.get("/CFDocuments", summary="Every CFDocument (framework and curriculum, per language)")
def documents(request: Request, used: InUse = Depends(in_use)) -> JSONResponse:
    index = _index(request, used)
    return _json({"CFDocuments": [p["CFDocument"] for p in index.packages.values()]})


@router.get("/CFDocuments/{sourced_id}", summary="One CFDocument")
def document(sourced_id: str, request: Request, used: InUse = Depends(in_use)) -> JSONResponse:
    return _json(_package(request, used, sourced_id)["CFDocument"])


@router.get("/CFPackages/{sourced_id}", summary="A whole CFPackage")
def package(sourced_id: str, request: Request, used: InUse = Depends(in_use)) -> JSONResponse:
    return _json(_package(request, used, sourced_id))


@router.get("/CFItems/{sourced_id}", summary="One CFItem")
def item(sourced_id: str, request: Request, used: InUse = Depends(in_use)) -> JSONResponse:
    found = _index(request, used).items.get(sourced_id)
    if found is None:
        raise NotFoundError(f"no CFItem {sourced_id!r} in the catalogue in use")
    return _json(found)


@router.get("/CFAssociations/{sourced_id}", summary="One CFAssociation")
def association(sourced_id: str, request: Request, used: InUse = Depends(in_use)) -> JSONResponse:
    found = _index(request, used).associations.get(sourced_id)
    if found is None:
        raise NotFoundError(f"no CFAssociation {sourced_id!r} in the catalogue in use")
    return _json(found)


def _package(request: Request, used: InUse, sourced_id: str) -> dict[str, Any]:
    found = _index(request, used).packages.get(sourced_id)
    if found is None:
        raise NotFoundError(f"no CFDocument {sourced_id!r} in the catalogue in use")
    return found
