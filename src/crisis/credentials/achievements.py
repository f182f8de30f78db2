"""Open Badges 3.0 achievements: one per competence level, one per module and one per course.

A competence-level achievement (``achievementType`` *Competency*) says what the level means
(the competence's descriptor), how it is earned (:data:`CRITERIA`) and where it sits: an
alignment to the level descriptor and to the competence in the CASE framework package, to each
ESCO skill the competence is mapped to (by its ESCO URI) and to each e-CF competence (by the
CASE association that records the mapping). Module (*Course*) achievements follow the same
pattern; they are issued once the courses package records module completion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from crisis.competences.case import to_case
from crisis.competences.models import Catalogue, Competence, Module
from crisis.competences.standards import ECF_COMPETENCES

#: How sure the learner profile must be that the learner is at a level or above (0..1).
MIN_CONFIDENCE = 0.9

CRITERIA = (
    "Awarded when the learner's CRISIS competence profile shows, with at least {confidence:.0%} "
    "probability, that they are at level {level} ({name}) or higher in {code} {title}, and that "
    "profile rests on the adaptive knowledge test, resilience exercises or other recorded "
    "evidence, not on a self-rating alone. An instructor may also award it after assessing the "
    "learner directly."
)


@dataclass(frozen=True)
class Issuer:
    """The issuing installation: its name and public address."""

    name: str
    base_url: str

    @property
    def id(self) -> str:
        return f"{self.base_url}/credentials/issuer"

    def profile(self) -> dict[str, Any]:
        """The issuer's Open Badges ``Profile``."""
        return {
            "id": self.id,
            "type": ["Profile"],
            "name": self.name,
            "url": self.base_url,
        }


def achievement_id(issuer: Issuer, competence: str, level: int) -> str:
    """The URL of the achievement for ``level`` in ``competence``."""
    return f"{issuer.base_url}/credentials/achievements/{quote(competence, safe='')}/{level}"


def _case_uris(
    cat: Catalogue, base: str, lang: str
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    # The URIs do not depend on the change date; any date will do.
    package = to_case(cat, lang, base_url=base, changed=date(2000, 1, 1))
    items = {i["humanCodingScheme"]: i["uri"] for i in package["CFItems"]}
    codes = {i["identifier"]: i["humanCodingScheme"] for i in package["CFItems"]}
    mappings = {
        (codes.get(a["originNodeURI"]["identifier"], ""), a["destinationNodeURI"]["uri"]): a["uri"]
        for a in package["CFAssociations"]
        if a["associationType"] == "isRelatedTo"
    }
    return items, mappings


def competence_achievement(
    cat: Catalogue, comp: Competence, level: int, issuer: Issuer, lang: str = "en"
) -> dict[str, Any]:
    """The Open Badges 3.0 ``Achievement`` for ``level`` (1-4) in ``comp``, texts in ``lang``."""
    fw = cat.framework
    name = fw.scale.name(level, lang)
    items, mappings = _case_uris(cat, issuer.base_url, lang)
    framework = fw.title.get(lang)
    alignment: list[dict[str, Any]] = [
        {
            "type": ["Alignment"],
            "targetName": f"{comp.title.get(lang)}: {name}",
            "targetUrl": items[f"{comp.id}-L{level}"],
            "targetCode": f"{comp.id}-L{level}",
            "targetFramework": framework,
            "targetType": "CFItem",
        },
        {
            "type": ["Alignment"],
            "targetName": comp.title.get(lang),
            "targetUrl": items[comp.id],
            "targetCode": comp.id,
            "targetFramework": framework,
            "targetType": "CFItem",
        },
    ]
    for uri in comp.mappings.esco:
        alignment.append(
            {
                "type": ["Alignment"],
                "targetName": "ESCO skill",
                "targetUrl": uri,
                "targetFramework": "ESCO",
            }
        )
    for code in comp.mappings.ecf:
        key = (comp.id, f"urn:crisis:ecf:{code}")
        alignment.append(
            {
                "type": ["Alignment"],
                "targetName": ECF_COMPETENCES[code],
                "targetUrl": mappings.get(key, items[comp.id]),
                "targetCode": code,
                "targetFramework": "e-CF 4.0 (EN 16234-1:2019)",
            }
        )
    criteria = CRITERIA.format(
        level=level,
        name=name,
        code=comp.id,
        title=comp.title.get(lang),
        confidence=MIN_CONFIDENCE,
    )
    achievement: dict[str, Any] = {
        "id": achievement_id(issuer, comp.id, level),
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": f"{comp.title.get(lang)}: {name}",
        "description": comp.levels[level].get(lang),
        "criteria": {"narrative": criteria},
        "alignment": alignment,
        "creator": issuer.profile(),
        "humanCode": f"{comp.id}-L{level}",
        "inLanguage": lang,
        "image": {"id": f"{achievement_id(issuer, comp.id, level)}/image.svg", "type": "Image"},
    }
    return achievement


def module_achievement(
    cat: Catalogue, module: Module, issuer: Issuer, lang: str = "en"
) -> dict[str, Any]:
    """The ``Achievement`` (type *Course*) for completing ``module``: its outcomes reached."""
    base = f"{issuer.base_url}/credentials/achievements/modules/{quote(module.id, safe='')}"
    outcomes = "; ".join(o.text.get(lang) for o in module.outcomes)
    return {
        "id": base,
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": module.title.get(lang),
        "description": module.description.get(lang)
        if module.description
        else module.title.get(lang),
        "criteria": {
            "narrative": f"Awarded on completing module {module.id} with its learning outcomes "
            f"assessed as reached: {outcomes}"
        },
        "creator": issuer.profile(),
        "humanCode": module.id,
        "inLanguage": lang,
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": cat.competence(o.competence).title.get(lang),
                "targetUrl": f"{issuer.base_url}/competences/{quote(o.competence)}",
                "targetCode": f"{o.competence}-L{o.level}",
                "targetFramework": cat.framework.title.get(lang),
            }
            for o in module.outcomes
        ],
    }
