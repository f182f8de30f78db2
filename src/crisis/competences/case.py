"""CASE 1.0 (1EdTech Competencies and Academic Standards Exchange) packages.

Two packages, each with its own CFDocument:

* the **framework** (:func:`to_case`): a CFItem per area, competence (nested competences under
  their parent), knowledge/skill/attitude statement and level descriptor; ``isChildOf`` for
  the tree, ``isRelatedTo`` between related competences and from a competence to the external
  concepts it is mapped to (ESCO skills by their URI, e-CF, DigComp, UNDRR Essentials and City
  Resilience Index codes by a ``urn:crisis:`` name), ``educationLevel`` from the EQF mapping;
* the **curriculum** (:func:`to_case_curriculum`): a CFItem per module and learning outcome,
  ``isChildOf`` for outcomes under modules and modules under the document, ``precedes`` from a
  prerequisite to its module, and ``isRelatedTo`` from each outcome to the level descriptor of
  the competence it reaches, in the framework package.

Identifiers are UUID v5 of the installation's base address, the framework id, the language
and the item's key, so every language has its own stable identifiers and URIs. Every
``lastChangeDateTime`` is the content's change date (the framework's ``updated``, or the time
of the upload), so two exports of unchanged content are byte for byte the same. Items and
associations carry no ``CFDocumentURI``: inside a package the document is implied.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from crisis.competences.models import Catalogue, Competence, Framework
from crisis.competences.standards import CRI_DIMENSIONS, DIGCOMP_COMPETENCES, ECF_COMPETENCES

#: CFItemType of each kind of item CRISIS writes (and reads back).
AREA, COMPETENCE, LEVEL = "Competence area", "Competence", "Proficiency level"
STATEMENTS = {"knowledge": "Knowledge", "skills": "Skill", "attitudes": "Attitude"}
MODULE, OUTCOME = "Module", "Learning outcome"
#: Prefix of the names of external concepts that have no URI of their own.
URN = "urn:crisis:"


def stamp(when: datetime | date) -> str:
    """A CASE date-time (UTC, seconds)."""
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=UTC)
    moment = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def education_level(eqf: int | None) -> list[str]:
    """``educationLevel`` for an EQF level (CASE leaves the vocabulary open)."""
    return [f"EQF {eqf}"] if eqf else []


class _Ids:
    """Identifiers and URIs of one package in one language."""

    def __init__(self, base: str, framework: Framework, lang: str, part: str) -> None:
        self.root = f"{base.rstrip('/')}/frameworks/{quote(framework.id, safe='')}"
        self.lang, self.part = lang, part
        self.base = base.rstrip("/")

    def ident(self, key: str, part: str | None = None) -> str:
        name = f"{self.root}/{part or self.part}/{self.lang}#{key}"
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))

    def uri(self, kind: str, ident: str) -> str:
        return f"{self.base}/ims/case/v1p0/{kind}/{ident}"


class _Package:
    def __init__(self, ids: _Ids, changed: str) -> None:
        self.ids, self.changed = ids, changed
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.labels: dict[str, str] = {}

    def node(self, key: str) -> dict[str, str]:
        ident = self.ids.ident(key)
        kind = "CFDocuments" if key == "document" else "CFItems"
        return {"title": self.labels[key], "identifier": ident, "uri": self.ids.uri(kind, ident)}

    def item(self, key: str, statement: str, code: str, kind: str, **extra: Any) -> None:
        ident = self.ids.ident(key)
        self.labels[key] = statement
        entry = {
            "identifier": ident,
            "uri": self.ids.uri("CFItems", ident),
            "fullStatement": statement,
            "humanCodingScheme": code,
            "CFItemType": kind,
            "language": self.ids.lang,
            "lastChangeDateTime": self.changed,
        }
        entry.update({k: v for k, v in extra.items() if v not in (None, "", [])})
        self.items.append(entry)

    def link(
        self,
        kind: str,
        origin: str,
        destination: str | dict[str, str],
        sequence: int | None = None,
    ) -> None:
        target = destination if isinstance(destination, dict) else self.node(destination)
        key = f"{kind}:{origin}->{target['identifier']}"
        ident = self.ids.ident(key)
        assoc: dict[str, Any] = {
            "identifier": ident,
            "associationType": kind,
            "uri": self.ids.uri("CFAssociations", ident),
            "originNodeURI": self.node(origin),
            "destinationNodeURI": target,
            "lastChangeDateTime": self.changed,
        }
        if sequence is not None:
            assoc["sequenceNumber"] = sequence
        self.associations.append(assoc)


def _document(
    pkg: _Package, fw: Framework, title: str, description: str | None, lang: str
) -> dict[str, Any]:
    pkg.labels["document"] = title
    ident = pkg.ids.ident("document")
    document: dict[str, Any] = {
        "identifier": ident,
        "uri": pkg.ids.uri("CFDocuments", ident),
        "creator": fw.publisher or "CRISIS",
        "title": title,
        "lastChangeDateTime": pkg.changed,
        "language": lang,
        "version": fw.version,
        "adoptionStatus": "Adopted",
    }
    if fw.publisher:
        document["publisher"] = fw.publisher
    if description:
        document["description"] = description
    if fw.uri:
        document["officialSourceURL"] = fw.uri
    if fw.licence:
        document["notes"] = f"Licence: {fw.licence}"
    return document


def _external(comp: Competence) -> Iterator[dict[str, str]]:
    """The concepts a competence is mapped to, as association destinations."""
    m = comp.mappings
    for uri in m.esco:
        yield {"title": "ESCO skill", "identifier": uri.rsplit("/", 1)[-1], "uri": uri}
    for code in m.ecf:
        yield {
            "title": f"e-CF 4.0 {code} {ECF_COMPETENCES[code]}",
            "identifier": f"ecf:{code}",
            "uri": f"{URN}ecf:{code}",
        }
    for code in m.digcomp:
        yield {
            "title": f"DigComp 2.2 {code} {DIGCOMP_COMPETENCES[code]}",
            "identifier": f"digcomp:{code}",
            "uri": f"{URN}digcomp:{code}",
        }
    for n in m.undrr_essentials:
        yield {
            "title": f"UNDRR Ten Essentials, Essential {n}",
            "identifier": f"undrr:{n}",
            "uri": f"{URN}undrr:{n}",
        }
    for dim in m.cri_dimensions:
        yield {
            "title": f"City Resilience Index: {CRI_DIMENSIONS[dim]}",
            "identifier": f"cri:{dim}",
            "uri": f"{URN}cri:{dim}",
        }


def _changed(fw: Framework, changed: datetime | date | None) -> str:
    when = fw.updated or changed
    if when is None:
        raise ValueError("the framework has no 'updated' date and no change time was given")
    return stamp(when)


def to_case(
    cat: Catalogue, lang: str = "en", *, base_url: str, changed: datetime | date | None = None
) -> dict[str, Any]:
    """The framework as a CASE 1.0 CFPackage (a JSON-ready dict), texts in ``lang``.

    Args:
        cat: The catalogue.
        lang: Language of the texts.
        base_url: The installation's public address (``CRISIS_BASE_URL``).
        changed: When the content changed, used where the framework has no ``updated`` date.
    """
    fw = cat.framework
    pkg = _Package(_Ids(base_url, fw, lang, "framework"), _changed(fw, changed))
    document = _document(
        pkg, fw, fw.title.get(lang), fw.description.get(lang) if fw.description else None, lang
    )
    for a, area in enumerate(fw.areas, start=1):
        pkg.item(
            area.id,
            area.title.get(lang),
            area.id,
            AREA,
            notes=area.description.get(lang) if area.description else None,
            listEnumeration=str(a),
        )
        pkg.link("isChildOf", area.id, "document", a)
        siblings: dict[str | None, int] = {}
        for comp in area.competences:
            n = siblings[comp.parent] = siblings.get(comp.parent, 0) + 1
            pkg.item(
                comp.id,
                comp.title.get(lang),
                comp.id,
                COMPETENCE,
                notes=comp.description.get(lang) if comp.description else None,
                listEnumeration=str(n),
                educationLevel=education_level(comp.mappings.eqf),
            )
            pkg.link("isChildOf", comp.id, comp.parent or area.id, n)
            for attr, kind in STATEMENTS.items():
                for s, statement in enumerate(getattr(comp, attr), start=1):
                    key = f"{comp.id}-{attr[0].upper()}{s}"
                    pkg.item(key, statement.get(lang), key, kind, listEnumeration=str(s))
                    pkg.link("isChildOf", key, comp.id, s)
            for level, descriptor in comp.levels.items():
                key = f"{comp.id}-L{level}"
                pkg.item(
                    key,
                    descriptor.get(lang),
                    key,
                    LEVEL,
                    abbreviatedStatement=fw.scale.name(level, lang),
                    listEnumeration=str(level),
                )
                pkg.link("isChildOf", key, comp.id, level)
    links = [(a.id, a.related) for a in fw.areas] + [(c.id, c.related) for c in fw.competences]
    for node_id, others in links:
        for other in others:  # one association per direction, as the framework says
            pkg.link("isRelatedTo", node_id, other)
    for comp in fw.competences:
        for target in _external(comp):
            pkg.link("isRelatedTo", comp.id, target)
    return {"CFDocument": document, "CFItems": pkg.items, "CFAssociations": pkg.associations}


def to_case_curriculum(
    cat: Catalogue, lang: str = "en", *, base_url: str, changed: datetime | date | None = None
) -> dict[str, Any]:
    """The curriculum as its own CASE 1.0 CFPackage, linked to the framework package."""
    fw, cu = cat.framework, cat.curriculum
    pkg = _Package(_Ids(base_url, fw, lang, "curriculum"), _changed(fw, changed))
    document = _document(
        pkg, fw, cu.title.get(lang), cu.description.get(lang) if cu.description else None, lang
    )
    framework_ids = _Ids(base_url, fw, lang, "framework")
    for m, module in enumerate(cu.modules, start=1):
        pkg.item(
            module.id,
            module.title.get(lang),
            module.id,
            MODULE,
            notes=f"{module.hours:g} h, {module.ects:g} ECTS",
            listEnumeration=str(m),
            educationLevel=education_level(module.eqf),
        )
        pkg.link("isChildOf", module.id, "document", m)
    for module in cu.modules:
        for before in module.prerequisites:
            pkg.link("precedes", before, module.id)
        for o, outcome in enumerate(module.outcomes, start=1):
            key = f"{module.id}/{outcome.id}"
            pkg.item(key, outcome.text.get(lang), outcome.id, OUTCOME, listEnumeration=str(o))
            pkg.link("isChildOf", key, module.id, o)
            level_key = f"{outcome.competence}-L{outcome.level}"
            ident = framework_ids.ident(level_key)
            comp = cat.competence(outcome.competence)
            pkg.link(
                "isRelatedTo",
                key,
                {
                    "title": f"{comp.title.get(lang)}: {fw.scale.name(outcome.level, lang)}",
                    "identifier": ident,
                    "uri": framework_ids.uri("CFItems", ident),
                },
            )
    return {"CFDocument": document, "CFItems": pkg.items, "CFAssociations": pkg.associations}


def dumps(package: dict[str, Any]) -> str:
    """A package as JSON text (UTF-8, indented, ending in a newline)."""
    return json.dumps(package, ensure_ascii=False, indent=2) + "\n"


def export_case(
    cat: Catalogue, lang: str = "en", *, base_url: str, changed: datetime | date | None = None
) -> str:
    """The framework's CASE 1.0 package as JSON text."""
    return dumps(to_case(cat, lang, base_url=base_url, changed=changed))


def export_case_curriculum(
    cat: Catalogue, lang: str = "en", *, base_url: str, changed: datetime | date | None = None
) -> str:
    """The curriculum's CASE 1.0 package as JSON text."""
    return dumps(to_case_curriculum(cat, lang, base_url=base_url, changed=changed))
