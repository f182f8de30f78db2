"""The bundled SCRO content meets the curriculum's own quality bar."""

from __future__ import annotations

from crisis.competences import LANGUAGES, load_bundled
from crisis.competences.audit import audit
from crisis.competences.standards import CRI_DIMENSIONS, UNDRR_ESSENTIALS
from crisis.competences.text import LocalText


def test_every_competence_is_fully_described():
    cat = load_bundled()
    for comp in cat.framework.competences:
        assert len(comp.knowledge) >= 3 and len(comp.skills) >= 3 and len(comp.attitudes) >= 2
        descriptors = [comp.levels[level].get("en") for level in (1, 2, 3, 4)]
        assert len(set(descriptors)) == 4, comp.id
        for lang in LANGUAGES:
            assert comp.title.has(lang) and comp.description.has(lang), (comp.id, lang)


def test_standards_are_all_covered():
    comps = load_bundled().framework.competences
    assert {e for c in comps for e in c.mappings.undrr_essentials} == set(UNDRR_ESSENTIALS)
    assert {d for c in comps for d in c.mappings.cri_dimensions} == set(CRI_DIMENSIONS)


def test_curriculum_shape():
    cur = load_bundled().curriculum
    university = next(p for p in cur.programmes if p.id == "scro-postgraduate")
    assert university.ects >= 30 and university.eqf == 7
    assert all(m.startswith("U") for m in university.modules)
    assert sum(len(cat_m.outcomes) for cat_m in cur.modules) > 20


def test_greek_text_falls_back_to_english_per_field():
    comp = load_bundled().competence("C01")
    assert comp.title.get("el") == "Συστημική σκέψη για την αστική ανθεκτικότητα"
    assert comp.knowledge[0].get("el").startswith("Οι αιφνίδιες κρίσεις")
    english_only = LocalText.of("Only in English")
    assert english_only.get("el") == "Only in English"
    assert english_only.resolve("el") == ("Only in English", "en")


def test_bundled_audit_is_clean():
    report = audit()
    assert report.ok and report.findings == []
