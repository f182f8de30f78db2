"""The glossary file and the check that holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.exceptions import ContentError
from crisis.i18n.glossary import GlossaryChecker, bundled_glossary, load_glossary, normalise

REQUIRED = (
    "hazard", "risk", "exposure", "vulnerability", "resilience", "capacity", "preparedness",
    "response", "recovery", "build-back-better", "mitigation", "shock", "stress",
    "cascading-failure", "critical-infrastructure", "return-period", "likelihood", "impact",
    "scenario", "scorecard", "hazard-register", "risk-matrix", "cohort", "team", "workbench",
    "learning-path", "competence", "job-profile", "self-assessment", "level-not-yet",
    "level-basic", "level-intermediate", "level-advanced", "level-expert", "exercise", "inject",
    "debrief", "tabletop-exercise",
)  # fmt: skip


@pytest.fixture(scope="module")
def checker() -> GlossaryChecker:
    return GlossaryChecker(bundled_glossary())


def test_the_glossary_covers_the_terms_of_the_field_in_four_languages() -> None:
    glossary = bundled_glossary()
    ids = {t.id for t in glossary.terms}
    assert set(REQUIRED) <= ids
    for term in glossary.terms:
        for lang in ("el", "de", "pt"):
            rendering = term.rendering(lang)
            assert rendering.term and rendering.definition, (term.id, lang)


def test_the_issue_s_terminology_is_fixed_in_the_glossary() -> None:
    g = bundled_glossary()
    assert g.rendering("hazard", "el") == "επικινδυνότητα"
    assert g.rendering("risk", "el") == "κίνδυνος"
    assert g.rendering("cohort", "el") != g.rendering("team", "el")
    scale = [g.rendering(f"level-{n}", "de") for n in ("basic", "intermediate", "advanced")]
    assert scale == ["Grundlegend", "Mittel", "Fortgeschritten"]
    assert g.rendering("workbench", "de") != g.rendering("workspace", "de")
    assert "Werkbank" not in g.rendering("workbench", "de")


@pytest.mark.parametrize(
    ("english", "translation", "lang", "flagged"),
    [
        # The problems the issue names, each caught.
        ("Hazard", "Κίνδυνος", "el", "«Κίνδυνος» for 'hazard'"),
        ("Hazard register", "Μητρώο κινδύνων", "el", "«Μητρώο κινδύνων» for 'hazard register'"),
        ("Cohort", "Ομάδα", "el", "«Ομάδα» for 'cohort'"),
        ("Intermediate", "Fortgeschritten", "de", "«Fortgeschritten» for 'Intermediate'"),
        ("Advanced", "Sehr fortgeschritten", "de", "«Sehr fortgeschritten» for 'Advanced'"),
        ("Workbench", "Werkbank", "de", "«Werkbank» for 'workbench'"),
        ("Workbench", "Bancada de trabalho", "pt", "«Bancada» for 'workbench'"),
        ("Debrief", "Αξιολόγηση", "el", "«Αξιολόγηση» for 'debrief'"),
        # In running text: κίνδυνος where only the hazard is meant.
        (
            "Read a flood hazard as depths at assets.",
            "Διαβάζει τον κίνδυνο πλημμύρας ως βάθη στα στοιχεία.",
            "el",
            "«κίνδυνο» for 'hazard'",
        ),
        # A label that dropped the term altogether.
        ("Risk matrix", "Πίνακας", "el", "'risk' should be rendered «κίνδυνος»"),
    ],
)
def test_a_term_rendered_otherwise_is_flagged(
    checker: GlossaryChecker, english: str, translation: str, lang: str, flagged: str
) -> None:
    findings = [str(f) for f in checker.check(english, translation, lang)]
    assert any(flagged in f for f in findings), findings


@pytest.mark.parametrize(
    ("english", "translation", "lang"),
    [
        ("Hazard", "Επικινδυνότητα", "el"),
        ("Hazard register", "Μητρώο επικινδυνοτήτων", "el"),
        ("Risk matrix", "Μήτρα κινδύνου", "el"),
        ("Team", "Ομάδα", "el"),
        ("Advanced", "Fortgeschritten", "de"),
        # Both terms present: κίνδυνος is the risk, not a wrong hazard.
        ("The hazard and the risk", "Η επικινδυνότητα και ο κίνδυνος", "el"),
        # Levels named together: "fortgeschritten" belongs to Advanced.
        ("Intermediate and advanced", "Mittel und fortgeschritten", "de"),
        # German compounds carry the term.
        ("Hazard register", "Gefahrenregister", "de"),
        # Workspace is its own term; "Arbeitsbereich" is right there.
        ("Your workspaces", "Ihre Arbeitsbereiche", "de"),
        # Placeholders are not words of the source.
        ("prerequisite of %(modules)s", "προαπαιτούμενο των %(modules)s", "el"),
        # Groups of people are «ομάδες» even in a sentence about a cohort.
        (
            "Aggregates are shown for groups of at least 5 people; this cohort has 3.",
            "Τα συγκεντρωτικά εμφανίζονται για ομάδες τουλάχιστον 5 ατόμων· το τμήμα έχει 3.",
            "el",
        ),
    ],
)
def test_the_glossary_rendering_passes(
    checker: GlossaryChecker, english: str, translation: str, lang: str
) -> None:
    assert checker.check(english, translation, lang) == []


def test_matching_ignores_case_accents_and_final_sigma() -> None:
    assert normalise("ΕΠΙΚΙΝΔΥΝΌΤΗΤΑΣ") == normalise("επικινδυνότητας") == "επικινδυνοτητασ"
    assert normalise("Schadensausmaß") == "schadensausmass"


def test_a_broken_glossary_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yaml"
    entry = "    {lang}: {{term: x, definition: y}}\n"
    path.write_text(
        "terms:\n  - id: hazard\n    en: {term: hazard, definition: d}\n"
        + "".join(entry.format(lang=lang) for lang in ("el", "de"))
        + "    pt: {term: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as info:
        load_glossary(path)
    assert any(e.startswith("glossary.yaml:6: terms.0.pt.definition:") for e in info.value.errors)


def test_a_term_defined_twice_is_refused(tmp_path: Path) -> None:
    block = "  - id: risk\n    en: {term: risk, definition: d}\n" + "".join(
        f"    {lang}: {{term: r, definition: d}}\n" for lang in ("el", "de", "pt")
    )
    path = tmp_path / "g.yaml"
    path.write_text("terms:\n" + block + block, encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_glossary(path)
    assert "appears twice" in " ".join(info.value.errors)
