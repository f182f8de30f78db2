"""ESCO package import (mapping suggestions) and relations export."""
# ruff: noqa: E501  (expected messages and CSV fixtures are kept on one line to stay readable)

from __future__ import annotations

import csv
import io

import pytest

from crisis.competences import load_bundled
from crisis.competences.esco import export_relations, read_package, suggest_mappings
from crisis.exceptions import ContentError

# A tiny package in ESCO's CSV layout; the UUIDs are made up for the test.
RISK = "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000001"
FUNDS = "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000002"
BAKE = "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000003"
OCC = "http://data.europa.eu/esco/occupation/00000000-0000-4000-8000-0000000000aa"
SKILLS = f"""conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,hiddenLabels,status,modifiedDate,scopeNote,definition,inScheme,description
KnowledgeSkillCompetence,{RISK},skill/competence,cross-sector,assess hazard risk,"identify hazards
carry out risk assessment",,released,2023-01-01,,,,Identify hazards and assess their risk.
KnowledgeSkillCompetence,{FUNDS},skill/competence,sector-specific,secure funding for resilience projects,apply for funding,,released,2023-01-01,,,,Find and obtain funds.
KnowledgeSkillCompetence,{BAKE},skill/competence,occupation-specific,bake bread,,,released,2023-01-01,,,,Make bread.
"""
RELATIONS = f"""occupationUri,relationType,skillType,skillUri
{OCC},essential,skill/competence,{RISK}
{OCC},optional,skill/competence,{FUNDS}
"""


def _package():
    return read_package(
        {"skills_en.csv": SKILLS.encode(), "occupationSkillRelations_en.csv": RELATIONS.encode()}
    )


def test_package_is_read_with_alt_labels_and_relations():
    package = _package()
    assert package.skills[RISK].alt_labels == ("identify hazards", "carry out risk assessment")
    assert [r.relation for r in package.relations] == ["essential", "optional"]


def test_suggestions_match_competences_by_meaning():
    suggestions = suggest_mappings(load_bundled(), _package())
    best = {}
    for s in suggestions:
        best.setdefault(s.competence, s.uri)
    assert best["C11"] == RISK
    assert best["C17"] == FUNDS
    assert BAKE not in {s.uri for s in suggestions}


def test_bad_rows_are_reported_with_row_and_column():
    bad = RELATIONS + f"{OCC},sometimes,skill/competence,http://example.org/x\n"
    with pytest.raises(ContentError) as info:
        read_package(
            {"skills_en.csv": SKILLS.encode(), "occupationSkillRelations_en.csv": bad.encode()}
        )
    assert info.value.errors == [
        "occupationSkillRelations_en.csv:row 4, column relationType: 'sometimes' is not essential or optional",
        "occupationSkillRelations_en.csv:row 4, column skillUri: 'http://example.org/x' is not in the skills file",
    ]


def test_profiles_export_as_essential_and_optional_relations():
    cat = load_bundled()
    rows = list(csv.DictReader(io.StringIO(export_relations(cat))))
    scro = [r for r in rows if r["occupationUri"].endswith("/profiles/scro")]
    assert len(scro) == len(cat.profile("scro").targets)
    c05 = next(r for r in scro if r["skillUri"].endswith("/competences/C05"))
    assert c05["relationType"] == "optional" and c05["proficiencyLevel"] == "2"
    assert {r["relationType"] for r in rows} == {"essential", "optional"}
