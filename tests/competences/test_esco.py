"""ESCO package import (mapping suggestions) and relations export."""
# ruff: noqa: E501  (expected messages and CSV fixtures are kept on one line to stay readable)

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from crisis.competences import load_bundled
from crisis.competences.esco import accept, export_relations, rank, read_package, suggest_mappings
from crisis.competences.stemming import terms
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


FIXTURE = Path(__file__).parent / "data" / "esco"
LABELS = yaml.safe_load((FIXTURE / "labels.yaml").read_text("utf-8"))


def _files(*names):
    return {name: (FIXTURE / name).read_bytes() for name in names}


def _package():
    return read_package(
        {"skills_en.csv": SKILLS.encode(), "occupationSkillRelations_en.csv": RELATIONS.encode()}
    )


def test_package_is_read_with_alt_labels_and_relations():
    package = _package()
    assert package.skills[RISK].alt_labels["en"] == (
        "identify hazards",
        "carry out risk assessment",
    )
    assert [r.relation for r in package.relations] == ["essential", "optional"]


def test_files_in_several_languages_all_keep_their_labels():
    package = read_package(_files("skills_en.csv", "skills_el.csv", "skills_de.csv"))
    assert package.languages == ["en", "el", "de"]
    plans = next(s for s in package.skills.values() if s.labels["en"] == "develop emergency plans")
    assert plans.labels == {
        "en": "develop emergency plans",
        "el": "κατάρτιση σχεδίων έκτακτης ανάγκης",
        "de": "Notfallpläne entwickeln",
    }
    assert plans.label("pt") == "develop emergency plans"  # English where a language is missing
    assert len(package.skills) == 282  # the Greek and German rows add labels, not skills


def _precision_at_5(package):
    uris = {s.labels["en"]: s.uri for s in read_package(_files("skills_en.csv")).skills.values()}
    ranked = rank(load_bundled(), package, limit=5)
    scores = {}
    for comp, good in LABELS.items():
        relevant = {uris[label] for label in good}
        scores[comp] = sum(s.uri in relevant for s in ranked[comp]) / 5
    return sum(scores.values()) / len(scores), ranked


@pytest.mark.parametrize(
    "names", [("skills_en.csv",), ("skills_en.csv", "skills_el.csv", "skills_de.csv")]
)
def test_precision_at_5_on_the_hand_labelled_set(names):
    precision, ranked = _precision_at_5(read_package(_files(*names)))
    print(f"precision@5 over {len(LABELS)} competences with {', '.join(names)}: {precision:.2f}")
    assert precision >= 0.6
    assert all("bake" not in s.label for comp in ranked.values() for s in comp)


def test_stemming_lets_planning_meet_plans_in_each_language():
    assert terms("planning plans plan", "en") == ["plan", "plan", "plan"]
    assert len(set(terms("σχεδιασμός σχεδιασμού", "el"))) == 1
    assert len(set(terms("Planung Planungen", "de"))) == 1
    assert len(set(terms("planeamento planeamentos", "pt"))) == 1


def test_greek_labels_alone_match_the_greek_framework_texts():
    package = read_package(_files("skills_el.csv"))
    english = read_package(_files("skills_en.csv")).skills
    ranked = rank(load_bundled(), package, limit=3)
    top = [english[s.uri].labels["en"] for s in ranked["C14"]]
    assert top[0] in LABELS["C14"] and "bake pastry" not in top


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
            {
                "skills_en.csv": SKILLS.encode(),
                "occupationSkillRelations_en.csv": bad.encode(),
                "notes.csv": b"a,b\n",
                "skills_el.csv": b"conceptUri,preferredLabel\nx,y\n",
            }
        )
    assert info.value.errors == [
        "notes.csv: not an ESCO skills file (skills_<language>.csv, e.g. skills_el.csv) or occupationSkillRelations file",
        "skills_el.csv:row 1: missing ESCO column(s) skillType, reuseLevel, altLabels, description (the header has conceptUri, preferredLabel)",
        "occupationSkillRelations_en.csv:row 4, column relationType: 'sometimes' is not essential or optional",
        "occupationSkillRelations_en.csv:row 4, column skillUri: 'http://example.org/x' is not in the skills files",
    ]


def test_accepted_suggestions_become_mappings_and_bad_ones_are_refused():
    cat = load_bundled()
    updated = accept(cat, {"C11": [RISK], "C17": [FUNDS, RISK]})
    assert updated.competence("C11").mappings.esco == [RISK]
    assert updated.competence("C17").mappings.esco == [FUNDS, RISK]
    assert RISK in export_relations(updated)
    with pytest.raises(ContentError) as info:
        accept(cat, {"C99": [RISK], "C01": ["http://example.org/skill"]})
    assert info.value.errors == [
        "competence 'C99' is not in the framework",
        "'http://example.org/skill' is not an ESCO skill URI",
    ]


def test_profiles_export_as_essential_and_optional_relations():
    cat = load_bundled()
    rows = list(csv.DictReader(io.StringIO(export_relations(cat))))
    scro = [r for r in rows if r["occupationUri"].endswith("/profiles/scro")]
    assert len(scro) == len(cat.profile("scro").targets)
    c05 = next(r for r in scro if r["skillUri"].endswith("/competences/C05"))
    assert c05["relationType"] == "optional" and c05["proficiencyLevel"] == "2"
    assert {r["relationType"] for r in rows} == {"essential", "optional"}
