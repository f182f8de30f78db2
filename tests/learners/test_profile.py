"""Competence profile: combining self-ratings, test evidence and other evidence."""

from __future__ import annotations

import pytest

from crisis.competences import load_bundled
from crisis.exceptions import ContentError
from crisis.learners.cat import CompetenceResult, TestResult, level_of, most_probable_level
from crisis.learners.irt import Estimate
from crisis.learners.profile import Evidence, build_profile


def _test_result(entries):
    # As the test reports them: each level the most probable one given θ and its SE.
    return TestResult(
        areas=[],
        competences=[
            CompetenceResult(
                cid, "A-RES", theta, se, most_probable_level(Estimate(theta, se))[0], 4, 2
            )
            for cid, theta, se in entries
        ],
        theta=0.0,
        se=0.5,
        items=4 * len(entries),
    )


def test_self_rating_alone_gives_low_confidence():
    profile = build_profile(load_bundled(), self_ratings={"C11": 3})
    entry = profile.level("C11")
    assert entry.level == 3
    assert entry.calibration == "untested"
    assert 0.3 < entry.confidence < 0.45
    assert profile.level("C12").level == 0 and profile.level("C12").confidence == 0


def test_precise_test_outweighs_self_rating_and_flags_over_confidence():
    # θ = -0.9 is level 1 (band -1.5..-0.5); a self-rating of 4 lies far outside.
    result = _test_result([("C11", -0.9, 0.3)])
    entry = build_profile(load_bundled(), self_ratings={"C11": 4}, test=result).level("C11")
    assert entry.test_level == 1
    assert entry.calibration == "over-confident"
    assert entry.level == 1
    assert entry.confidence > 0.7


def test_under_confidence_and_consistency():
    result = _test_result([("C11", 1.8, 0.3), ("C12", 0.0, 0.3)])
    profile = build_profile(load_bundled(), self_ratings={"C11": 1, "C12": 2}, test=result)
    assert profile.level("C11").calibration == "under-confident"
    assert profile.level("C12").calibration == "consistent"
    assert profile.level("C12").level == 2


def test_imprecise_test_does_not_accuse_the_learner():
    result = _test_result([("C11", -0.9, 1.2)])
    entry = build_profile(load_bundled(), self_ratings={"C11": 3}, test=result).level("C11")
    assert entry.calibration == "consistent"


def test_extra_evidence_moves_the_level():
    extra = [Evidence("C15", 3.0, 0.3, "exercise", "Flood tabletop")]
    entry = build_profile(load_bundled(), self_ratings={"C15": 1}, evidence=extra).level("C15")
    assert entry.level == 3
    assert [e.source for e in entry.evidence] == ["self", "exercise"]


def test_bad_evidence_is_rejected():
    with pytest.raises(ContentError, match=r"outside 0\.\.4"):
        Evidence("C01", 5.0, 0.5, "exercise")
    with pytest.raises(ContentError, match="sd must be"):
        Evidence("C01", 2.0, 0.0, "exercise")
    with pytest.raises(ContentError, match="C99"):
        build_profile(load_bundled(), evidence=[Evidence("C99", 2.0, 0.5, "exercise")])


def test_area_estimate_stands_in_for_untested_competences_with_less_weight():
    from crisis.learners.cat import AreaResult

    result = TestResult(
        areas=[AreaResult("A-RES", 1.0, 0.3, 3, 8, 6)],
        competences=[CompetenceResult("C11", "A-RES", 1.0, 0.4, 3, 3, 3)],
        theta=1.0,
        se=0.3,
        items=8,
    )
    profile = build_profile(load_bundled(), test=result)
    direct, borrowed = profile.level("C11"), profile.level("C12")
    assert direct.level == borrowed.level == 3
    assert borrowed.evidence[0].note == "area A-RES estimate"
    assert borrowed.confidence < direct.confidence
    # Competences of areas the test never reached get no test evidence.
    assert profile.level("C17").evidence == []


@pytest.mark.slow
def test_unbiased_self_ratings_are_rarely_marked_and_inflated_ones_often():
    """Simulated learners take the real adaptive test and rate themselves around their true
    level (one level of noise either way): few ratings may be marked; ratings two levels too
    high must be."""
    import numpy as np

    from crisis.learners.cat import AdaptiveTest, continuous_level, simulate_answers
    from crisis.learners.items import load_bundled_items

    catalogue, bank = load_bundled(), load_bundled_items()
    areas = [a.id for a in catalogue.framework.areas]
    rng = np.random.default_rng(31)
    marks = {0: [], 2: []}
    for learner in range(40):
        general = rng.normal()
        abilities = {a: 0.8 * general + 0.6 * rng.normal() for a in areas}
        test = AdaptiveTest.start(bank, catalogue, seed=learner)
        simulate_answers(test, abilities, rng)
        result = test.result()
        for bias, flags in marks.items():
            ratings = {
                c.id: int(
                    np.clip(
                        np.rint(continuous_level(abilities[c.area]) + bias + rng.normal()), 0, 4
                    )
                )
                for c in catalogue.framework.competences
            }
            profile = build_profile(catalogue, self_ratings=ratings, test=result)
            flags += [entry.calibration != "consistent" for entry in profile.levels]
    assert np.mean(marks[0]) < 0.08
    assert np.mean(marks[2]) > 0.25


def test_the_profile_shows_the_tests_most_probable_level(bundled_test):
    """The profile's test level, and its level where the test is all there is, are the ones
    the test's results page shows, even where guessing skews the posterior so that the
    average θ falls in another band."""
    result = bundled_test
    profile = build_profile(load_bundled(), test=result)
    for entry in result.competences:
        level = profile.level(entry.competence)
        assert level.test_level == entry.level
        assert level.level == entry.level


@pytest.fixture(scope="module")
def bundled_test():
    import numpy as np

    from crisis.learners.cat import AdaptiveTest, simulate_answers
    from crisis.learners.items import load_bundled_items

    catalogue = load_bundled()
    areas = [a.id for a in catalogue.framework.areas]
    # The first of these learners for whom some competence's average θ lies in another band
    # than its most probable level (a case the test below needs; most learners have one).
    for seed in range(21, 61):
        test = AdaptiveTest.start(load_bundled_items(), catalogue, seed=seed)
        simulate_answers(
            test, dict(zip(areas, [-2.0, -1.4, 0.6, 1.6], strict=True)), np.random.default_rng(seed)
        )
        result = test.result()
        if any(entry.level != level_of(entry.theta) for entry in result.competences):
            return result
    raise AssertionError("no learner whose most probable level differs from θ's band")
