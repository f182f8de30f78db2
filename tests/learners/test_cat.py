"""The adaptive test: recovers simulated abilities, balances areas, rejects bad answers."""

from __future__ import annotations

import numpy as np
import pytest

from crisis.competences import load_bundled
from crisis.exceptions import ConflictError, ContentError
from crisis.learners.cat import (
    CUT_SCORES,
    AdaptiveTest,
    CatConfig,
    CatState,
    continuous_level,
    level_of,
    level_probabilities,
    most_probable_level,
    simulate_answers,
)
from crisis.learners.irt import QUADRATURE, Estimate, eap
from crisis.learners.items import load_bundled_items


@pytest.fixture(scope="module")
def bundled():
    return load_bundled_items(), load_bundled()


@pytest.mark.slow
def test_cat_recovers_simulated_abilities(bundled):
    bank, catalogue = bundled
    rng = np.random.default_rng(2024)
    areas = [a.id for a in catalogue.framework.areas]
    true, estimated, lengths = [], [], []
    for learner in range(120):
        general = rng.normal()
        abilities = {a: 0.8 * general + 0.6 * rng.normal() for a in areas}
        test = AdaptiveTest.start(bank, catalogue, seed=learner)
        lengths.append(simulate_answers(test, abilities, rng))
        for area in test.result().areas:
            true.append(abilities[area.area])
            estimated.append(area.theta)
    assert np.corrcoef(true, estimated)[0, 1] >= 0.85
    assert max(lengths) <= CatConfig().max_items < len(bank)


def test_content_balancing_covers_every_area(bundled):
    bank, catalogue = bundled
    test = AdaptiveTest.start(bank, catalogue, seed=1, config=CatConfig(max_items=8))
    simulate_answers(
        test, dict.fromkeys(["A-TRA", "A-PLA", "A-RES", "A-BUS"], 0.0), np.random.default_rng(0)
    )
    counts = [area.items for area in test.result().areas]
    assert counts == [2, 2, 2, 2]


def test_state_round_trips_through_json(bundled):
    bank, catalogue = bundled
    test = AdaptiveTest.start(bank, catalogue, seed=7)
    first = test.next_item()
    assert first is not None
    test.answer(first.id, first.answer)
    second = test.next_item()
    stored = test.state.model_dump_json()
    resumed = AdaptiveTest(bank, catalogue, CatState.model_validate_json(stored))
    # The pending item is asked again, and the continuation is identical.
    assert resumed.next_item() == second
    assert second is not None
    resumed.answer(second.id, 0)
    test.answer(second.id, 0)
    assert resumed.next_item() == test.next_item()


def test_answer_to_an_item_not_asked_is_rejected(bundled):
    bank, catalogue = bundled
    test = AdaptiveTest.start(bank, catalogue, seed=3)
    item = test.next_item()
    assert item is not None
    other = next(i for i in bank if i.id != item.id)
    with pytest.raises(ConflictError, match=f"item {other.id} was not asked"):
        test.answer(other.id, 0)


def test_replayed_answer_is_rejected_and_not_recorded_twice(bundled):
    bank, catalogue = bundled
    test = AdaptiveTest.start(bank, catalogue, seed=3)
    item = test.next_item()
    assert item is not None
    test.answer(item.id, item.answer)
    with pytest.raises(ConflictError, match="already been answered"):
        test.answer(item.id, 1)
    assert test.state.answers == {item.id: item.answer}


def test_option_out_of_range_is_rejected(bundled):
    bank, catalogue = bundled
    test = AdaptiveTest.start(bank, catalogue, seed=3)
    item = test.next_item()
    assert item is not None
    with pytest.raises(ContentError, match="option 9 does not exist"):
        test.answer(item.id, 9)
    assert test.state.pending == item.id


def test_strong_learner_scores_higher_than_weak_learner(bundled):
    bank, catalogue = bundled
    results = {}
    for name, theta in [("weak", -2.0), ("strong", 2.0)]:
        test = AdaptiveTest.start(bank, catalogue, seed=5, config=CatConfig(max_items=16))
        simulate_answers(
            test,
            dict.fromkeys(["A-TRA", "A-PLA", "A-RES", "A-BUS"], theta),
            np.random.default_rng(9),
        )
        results[name] = test.result()
    assert results["strong"].theta > 1.0 > -1.0 > results["weak"].theta
    assert all(a.level >= 3 for a in results["strong"].areas)
    assert all(a.level <= 1 for a in results["weak"].areas)


def test_stored_state_with_unknown_item_is_rejected(bundled):
    bank, catalogue = bundled
    with pytest.raises(ContentError, match="'Z-1'"):
        AdaptiveTest(bank, catalogue, CatState(seed=1, asked=["Z-1"], pending="Z-1"))


@pytest.mark.parametrize(
    ("theta", "level"), [(-3.0, 0), (-1.5, 1), (-0.6, 1), (0.0, 2), (0.5, 3), (1.49, 3), (2.5, 4)]
)
def test_cut_scores_map_theta_to_levels(theta, level):
    assert level_of(theta) == level
    assert round(continuous_level(theta) + 1e-9) == level or continuous_level(theta) in (0.0, 4.0)


def test_continuous_level_puts_cut_scores_on_half_levels():
    assert [continuous_level(c) for c in CUT_SCORES] == [0.5, 1.5, 2.5, 3.5]


def test_answers_in_other_areas_inform_an_area_through_the_correlation(bundled):
    bank, catalogue = bundled
    for rho, expected_sign in [(0.0, 0), (0.6, 1)]:
        test = AdaptiveTest.start(
            bank, catalogue, seed=2, config=CatConfig(area_correlation=rho, max_items=3)
        )
        while (item := test.next_item()) is not None:
            test.answer(item.id, item.answer)
        result = test.result()
        untested = [a for a in result.areas if a.items == 0]
        assert untested
        for area in untested:
            assert np.sign(round(area.theta, 6)) == expected_sign
            # An area with no answers of its own is never more certain than the population.
            assert area.se <= 1.0


def test_each_competence_starts_from_its_own_areas_prior(bundled):
    """A competence's estimate depends on its area and its own answers, never on which
    competence of the area happened to be computed before it."""
    bank, catalogue = bundled
    test = AdaptiveTest.start(bank, catalogue, seed=11)
    areas = [a.id for a in catalogue.framework.areas]
    simulate_answers(
        test, dict(zip(areas, [1.2, -0.8, 0.3, 2.0], strict=True)), np.random.default_rng(4)
    )
    result = test.result()
    rho = test.state.config.area_correlation
    answered = [(bank.item(i), o == bank.item(i).answer) for i, o in test.state.answers.items()]

    def fit(pairs, mean=0.0, sd=1.0):
        return eap(
            [r for _, r in pairs],
            [i.irt.a for i, _ in pairs],
            [i.irt.b for i, _ in pairs],
            [i.irt.c for i, _ in pairs],
            prior_mean=mean,
            prior_sd=sd,
        )

    area_of = {c.id: c.area for c in catalogue.framework.competences}
    checked = 0
    for entry in result.competences:
        outside = fit([(i, r) for i, r in answered if area_of[i.competence] != entry.area])
        mean, sd = rho * outside.theta, np.sqrt(1 - rho**2 + rho**2 * outside.se**2)
        same_area = [(i, r) for i, r in answered if area_of[i.competence] == entry.area]
        rest = fit([(i, r) for i, r in same_area if i.competence != entry.competence], mean, sd)
        own = fit(
            [(i, r) for i, r in same_area if i.competence == entry.competence],
            rest.theta,
            float(np.hypot(rest.se, 0.6)),
        )
        assert entry.theta == pytest.approx(own.theta, abs=1e-9), entry.competence
        assert entry.se == pytest.approx(own.se, abs=1e-9), entry.competence
        checked += 1
    # Several competences per area were tested, so a value leaking between them would show.
    assert checked >= 12


def test_a_posterior_straddling_a_cut_is_placed_in_its_more_probable_level():
    """Placed where the learner most probably is, not where the average of the posterior
    happens to fall: here most of the posterior lies below the first cut and the rest around
    the middle, so the mean lands in level 1, where the learner almost surely is not."""
    low = (QUADRATURE > -2.6) & (QUADRATURE < -1.7)
    middle = (QUADRATURE > -0.4) & (QUADRATURE < 0.4)
    weights = 0.58 * low / low.sum() + 0.42 * middle / middle.sum()
    mean = float(weights @ QUADRATURE)
    estimate = Estimate(mean, 1.0, points=QUADRATURE, weights=weights)
    assert level_of(mean) == 1
    probabilities = level_probabilities(estimate)
    assert sum(probabilities) == pytest.approx(1.0)
    assert probabilities[1] < 0.01
    level, chance = most_probable_level(estimate)
    assert (level, chance) == (0, pytest.approx(0.58))


def test_a_cut_between_grid_points_splits_their_mass_by_length():
    # All the posterior on one grid point whose cell the cut 0.5 splits: the share of the
    # cell on each side of the cut, not all of it on one side.
    k = int(np.argmin(np.abs(QUADRATURE - 0.5)))
    h = QUADRATURE[1] - QUADRATURE[0]
    weights = np.zeros_like(QUADRATURE)
    weights[k] = 1.0
    probabilities = level_probabilities(Estimate(0.5, 0.1, points=QUADRATURE, weights=weights))
    below = (0.5 - (QUADRATURE[k] - h / 2)) / h
    assert probabilities[2] == pytest.approx(below)
    assert probabilities[3] == pytest.approx(1 - below)


def test_results_show_each_level_with_its_probability(bundled):
    bank, catalogue = bundled
    test = AdaptiveTest.start(bank, catalogue, seed=3)
    areas = [a.id for a in catalogue.framework.areas]
    simulate_answers(
        test, dict(zip(areas, [-2.2, -0.4, 0.9, 1.8], strict=True)), np.random.default_rng(8)
    )
    estimates = test.area_estimates()
    result = test.result()
    for area in result.areas:
        probabilities = level_probabilities(estimates[area.area])
        assert area.level == int(np.argmax(probabilities))
        assert area.level_probability == pytest.approx(max(probabilities))
        assert 0.2 < area.level_probability <= 1.0
    record = result.as_dict()["areas"]
    assert all("level_probability" in entry for entry in record)  # type: ignore[union-attr]
