"""The whole learner journey on the bundled content, with a fixed seed."""

from __future__ import annotations

import datetime as dt

import numpy as np

from crisis.competences import load_bundled
from crisis.learners import (
    AdaptiveTest,
    CatConfig,
    SelfAssessment,
    analyse_gaps,
    build_profile,
    load_bundled_items,
    plan_path,
    statements,
)
from crisis.learners.cat import simulate_answers
from crisis.learners.report import learner_report_pdf


def test_self_assessment_test_profile_gaps_path_and_report():
    catalogue = load_bundled()
    rng = np.random.default_rng(7)
    # Self-assessment: pick a statement for every competence.
    ratings = SelfAssessment()
    for competence in catalogue.framework.competences:
        options = statements(catalogue, competence.id)
        ratings = ratings.rate(competence.id, options[int(rng.integers(0, 4))].level)
    assert ratings.complete(catalogue)
    # Adaptive test for a learner who is strong in resilience management only.
    abilities = {"A-TRA": -0.5, "A-PLA": -0.5, "A-RES": 1.5, "A-BUS": -1.0}
    test = AdaptiveTest.start(load_bundled_items(), catalogue, seed=7, config=CatConfig())
    answered = simulate_answers(test, abilities, rng)
    assert answered <= CatConfig().max_items
    result = test.result()
    assert result.area("A-RES").theta > result.area("A-BUS").theta
    profile = build_profile(catalogue, self_ratings=ratings.as_dict(), test=result)
    assert any(entry.calibration != "untested" for entry in profile.levels)
    gaps = analyse_gaps(profile.as_levels(), catalogue.profile("scro"), catalogue)
    path = plan_path(gaps, catalogue, start=dt.date(2026, 2, 2), hours_per_week=5)
    closed = {c for step in path.steps for c, _, _ in step.closes} | set(path.covered_by_completed)
    assert closed == {g.competence for g in gaps if g.open}
    pdf = learner_report_pdf(
        catalogue=catalogue,
        profile=catalogue.profile("scro"),
        gaps=gaps,
        path=path,
        competences=profile,
    )
    assert pdf.startswith(b"%PDF-")
