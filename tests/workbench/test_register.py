"""Hazard register validation and optimistic concurrency."""

from __future__ import annotations

import pytest

from crisis.exceptions import ConflictError, ContentError
from crisis.workbench.register import (
    Register,
    check_taxonomy,
    parse_hazard,
    parse_register,
    remove_hazard,
    save_hazard,
)
from crisis.workbench.workspace import Workspace

from .conftest import hazard_data


@pytest.mark.parametrize(
    ("likelihood", "message"),
    [
        ({"annual_probability": 1.5}, "most_probable.likelihood.annual_probability: annual probability must be in (0, 1], got 1.5"),  # noqa: E501
        ({"annual_probability": 0}, "annual probability must be in (0, 1], got 0"),
        ({"return_period_years": 0.5}, "most_probable.likelihood.return_period_years: return period must be at least 1 year, got 0.5"),  # noqa: E501
        ({"annual_probability": 0.1, "return_period_years": 10}, "give either annual_probability or return_period_years"),  # noqa: E501
        ({}, "give either annual_probability or return_period_years"),
    ],
)  # fmt: skip
def test_bad_likelihoods_name_field_and_value(likelihood: dict[str, float], message: str) -> None:
    data = hazard_data("x", (0.1, [1, 1, 1, 1, 1]), (0.01, [2, 2, 2, 2, 2]))
    data["most_probable"]["likelihood"] = likelihood
    with pytest.raises(ContentError) as info:
        parse_hazard(data)
    assert message in str(info.value)


def test_impact_outside_1_to_5_names_the_dimension() -> None:
    data = hazard_data("x", (0.1, [1, 1, 1, 1, 1]), (0.01, [2, 2, 6, 2, 2]))
    with pytest.raises(ContentError) as info:
        parse_hazard(data)
    assert "most_severe.impacts.environment" in str(info.value)
    assert "(got 6)" in str(info.value)


def test_return_period_and_probability_agree() -> None:
    data = hazard_data("x", (0.1, [1, 1, 1, 1, 1]), (0.01, [2, 2, 2, 2, 2]))
    data["most_severe"]["likelihood"] = {"return_period_years": 250}
    hazard = parse_hazard(data)
    assert hazard.most_severe.likelihood.probability == pytest.approx(0.004)
    assert hazard.most_probable.likelihood.period == pytest.approx(10.0)


def test_duplicate_ids_are_rejected() -> None:
    h = hazard_data("x", (0.1, [1, 1, 1, 1, 1]), (0.01, [2, 2, 2, 2, 2]))
    with pytest.raises(ContentError, match="hazard id 'x' appears twice"):
        parse_register({"city": "C", "hazards": [h, h]})


def test_taxonomy_ids_must_exist_and_agree(demo) -> None:  # type: ignore[no-untyped-def]
    check_taxonomy(demo.hazard_register)
    bad = hazard_data("q", (0.1, [1] * 5), (0.01, [2] * 5), taxonomy_id="earthquake", kind="stress")
    ghost = hazard_data("g", (0.1, [1] * 5), (0.01, [2] * 5), taxonomy_id="meteor")
    with pytest.raises(ContentError) as info:
        check_taxonomy(parse_register({"city": "C", "hazards": [bad, ghost]}))
    assert info.value.errors == [
        "hazards[0] (q).kind: 'stress' but taxonomy entry 'earthquake' is 'shock'",
        "hazards[1] (g).taxonomy_id: unknown taxonomy entry 'meteor'",
    ]


def test_second_analyst_saving_a_stale_version_is_told_and_nothing_is_overwritten(
    small_register: Register,
) -> None:
    loaded = small_register.get("beta")
    first = loaded.model_copy(update={"owner": "Analyst A"})
    second = loaded.model_copy(update={"owner": "Analyst B"})
    after_first = save_hazard(small_register, first, expected_version=loaded.version)
    assert after_first.get("beta").version == 2
    with pytest.raises(
        ConflictError, match="you edited version 1, the register now holds version 2"
    ):
        save_hazard(after_first, second, expected_version=loaded.version)
    assert after_first.get("beta").owner == "Analyst A"


def test_new_hazards_and_removal(small_register: Register) -> None:
    new = parse_hazard(hazard_data("eps", (0.1, [1] * 5), (0.01, [2] * 5)))
    grown = save_hazard(small_register, new, expected_version=None)
    assert grown.ids()[-1] == "eps"
    with pytest.raises(ConflictError, match="already exists"):
        save_hazard(grown, new, expected_version=None)
    with pytest.raises(ConflictError):
        remove_hazard(grown, "alpha", expected_version=7)
    assert "alpha" not in remove_hazard(grown, "alpha", expected_version=1).ids()


def test_an_imported_register_counts_as_an_edit_of_each_hazard(demo: Workspace) -> None:
    from crisis.workbench.register import replace_register

    current = demo.hazard_register
    imported = current.model_copy(update={"hazards": current.hazards[:2]})
    result = replace_register(current, imported)
    assert [h.version for h in result.hazards] == [2, 2]
    fresh = replace_register(current.model_copy(update={"hazards": ()}), imported)
    assert [h.version for h in fresh.hazards] == [1, 1]


def _pair_register() -> Register:
    return parse_register({"city": "C", "hazards": [
        hazard_data("surge", (0.1, [1, 2, 2, 2, 1]), (0.002, [3, 4, 3, 4, 3])),
        hazard_data("flood", (0.05, [2, 3, 2, 3, 2]), (0.005, [4, 4, 3, 4, 3])),
    ]})  # fmt: skip


def test_a_multi_hazard_scenario_combines_hazards_of_the_register() -> None:
    register = _pair_register()
    both = parse_hazard(hazard_data(
        "surge-flood", (0.01, [3, 4, 3, 4, 3]), (0.001, [4, 5, 4, 5, 4]),
        combines=["surge", "flood"],
    ))  # fmt: skip
    saved = save_hazard(register, both, expected_version=None)
    assert saved.get("surge-flood").combines == ("surge", "flood")
    with pytest.raises(ConflictError, match="multi-hazard scenario 'surge-flood'"):
        remove_hazard(saved, "flood", expected_version=1)
    # The scenario itself can be removed, and then its parts.
    without = remove_hazard(saved, "surge-flood", expected_version=1)
    assert remove_hazard(without, "flood", expected_version=1).ids() == ["surge"]


@pytest.mark.parametrize(("combines", "message"), [
    (["surge", "meteor"], "the register has no hazard 'meteor'"),
    (["surge-flood", "surge"], "cannot combine itself"),
])  # fmt: skip
def test_a_multi_hazard_scenario_must_name_other_hazards(combines: list[str], message: str) -> None:
    bad = parse_hazard(hazard_data(
        "surge-flood", (0.01, [3] * 5), (0.001, [4] * 5), combines=combines,
    ))  # fmt: skip
    with pytest.raises(ContentError, match=message):
        save_hazard(_pair_register(), bad, expected_version=None)


def test_a_multi_hazard_scenario_needs_two_distinct_hazards() -> None:
    with pytest.raises(ContentError, match="at least two hazards"):
        parse_hazard(hazard_data("x", (0.1, [1] * 5), (0.01, [2] * 5), combines=["surge"]))
    with pytest.raises(ContentError, match="lists a hazard twice"):
        parse_hazard(hazard_data("x", (0.1, [1] * 5), (0.01, [2] * 5), combines=["a", "a"]))
    nested = {"city": "C", "hazards": [
        hazard_data("a", (0.1, [1] * 5), (0.01, [2] * 5)),
        hazard_data("b", (0.1, [1] * 5), (0.01, [2] * 5)),
        hazard_data("ab", (0.1, [1] * 5), (0.01, [2] * 5), combines=["a", "b"]),
        hazard_data("abc", (0.1, [1] * 5), (0.01, [2] * 5), combines=["ab", "a"]),
    ]}  # fmt: skip
    with pytest.raises(ContentError, match="'ab' is itself a multi-hazard scenario"):
        parse_register(nested)
