"""CASE 1.0 (1EdTech Competencies and Academic Standards Exchange) package export.

The package holds one CFDocument, a CFItem per area, competence, level descriptor and module,
and CFAssociations: ``isChildOf`` for the hierarchy, ``precedes`` from each prerequisite to
the module that needs it, ``isRelatedTo`` from a module to each competence its outcomes
develop and between related competences. Identifiers are UUID v5 derived from the framework
URI, so exporting twice gives the same identifiers.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from crisis.competences.models import Catalogue

_DEFAULT_BASE = "https://crisis.example.org/frameworks/"


def _stamp(when: datetime | None) -> str:
    moment = (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def to_case(cat: Catalogue, lang: str = "en", *, changed: datetime | None = None) -> dict[str, Any]:
    """The catalogue as a CASE 1.0 CFPackage (a JSON-ready dict), texts in ``lang``."""
    fw = cat.framework
    base = (fw.uri or _DEFAULT_BASE + fw.id).rstrip("/")
    stamp = _stamp(changed)

    def ident(key: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}#{key}"))

    def uri(key: str) -> str:
        return f"{base}/case/{ident(key)}"

    title = fw.title.get(lang)
    doc_link = {"title": title, "identifier": ident("document"), "uri": uri("document")}
    document: dict[str, Any] = {
        "identifier": doc_link["identifier"],
        "uri": doc_link["uri"],
        "creator": fw.publisher or "CRISIS",
        "title": title,
        "lastChangeDateTime": stamp,
        "language": lang,
        "version": fw.version,
        "adoptionStatus": "Adopted",
    }
    if fw.description:
        document["description"] = fw.description.get(lang)
    if fw.uri:
        document["officialSourceURL"] = fw.uri
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    labels: dict[str, str] = {"document": title}

    def item(key: str, statement: str, code: str, kind: str, **extra: Any) -> None:
        labels[key] = statement
        items.append(
            {
                "identifier": ident(key),
                "uri": uri(key),
                "fullStatement": statement,
                "humanCodingScheme": code,
                "CFItemType": kind,
                "language": lang,
                "lastChangeDateTime": stamp,
                "CFDocumentURI": doc_link,
                **extra,
            }
        )

    def link(kind: str, origin: str, destination: str, sequence: int | None = None) -> None:
        assoc: dict[str, Any] = {
            "identifier": ident(f"{kind}:{origin}->{destination}"),
            "associationType": kind,
            "uri": uri(f"{kind}:{origin}->{destination}"),
            "originNodeURI": {
                "title": labels[origin],
                "identifier": ident(origin),
                "uri": uri(origin),
            },
            "destinationNodeURI": {
                "title": labels[destination],
                "identifier": ident(destination),
                "uri": uri(destination),
            },
            "lastChangeDateTime": stamp,
            "CFDocumentURI": doc_link,
        }
        if sequence is not None:
            assoc["sequenceNumber"] = sequence
        associations.append(assoc)

    for a, area in enumerate(fw.areas, start=1):
        item(area.id, area.title.get(lang), area.id, "Competence area", listEnumeration=str(a))
        link("isChildOf", area.id, "document", a)
        for c, comp in enumerate(area.competences, start=1):
            item(
                comp.id,
                comp.title.get(lang),
                comp.id,
                "Competence",
                abbreviatedStatement=comp.title.get(lang)[:60],
                notes=comp.description.get(lang) if comp.description else "",
                listEnumeration=str(c),
            )
            link("isChildOf", comp.id, area.id, c)
            for level, descriptor in comp.levels.items():
                key = f"{comp.id}-L{level}"
                name = fw.scale.name(level, lang)
                item(
                    key,
                    descriptor.get(lang),
                    key,
                    "Proficiency level",
                    abbreviatedStatement=name,
                    listEnumeration=str(level),
                )
                link("isChildOf", key, comp.id, level)
    for comp in fw.competences:
        for other in comp.related:
            if comp.id < other or comp.id not in cat.competence(other).related:
                link("isRelatedTo", comp.id, other)
    for m, module in enumerate(cat.curriculum.modules, start=1):
        item(
            module.id,
            module.title.get(lang),
            module.id,
            "Module",
            listEnumeration=str(m),
            notes=f"{module.hours:g} hours, {module.ects:g} ECTS, EQF {module.eqf}",
        )
        link("isChildOf", module.id, "document", len(fw.areas) + m)
    for module in cat.curriculum.modules:
        for before in module.prerequisites:
            link("precedes", before, module.id)
        for comp_id in dict.fromkeys(o.competence for o in module.outcomes):
            link("isRelatedTo", module.id, comp_id)
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def export_case(cat: Catalogue, lang: str = "en", *, changed: datetime | None = None) -> str:
    """The CASE 1.0 package as JSON text."""
    return json.dumps(to_case(cat, lang, changed=changed), ensure_ascii=False, indent=2) + "\n"
