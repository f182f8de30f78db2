"""Cohort training needs: privacy thresholds, distributions, budgeted coverage, export."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from crisis.exceptions import ContentError, PermissionDeniedError
from crisis.learners.cohorts import Member, anonymised_rows, recommend_modules, training_needs


def _cohort(n, consented=(), imported=False):
    return [
        Member(
            f"p{k}",
            {"C01": k % 3, "C02": 1, "C03": 3},
            consented=k in consented,
            imported=imported,
        )
        for k in range(n)
    ]


def test_cohort_of_four_shows_no_aggregates(small_catalogue):
    needs = training_needs(
        _cohort(4, consented={0, 1, 2, 3}),
        small_catalogue.profile("role"),
        small_catalogue,
        budget_hours=20,
    )
    assert needs.size == 4
    assert not needs.aggregates_visible
    assert needs.distributions is None and needs.coverage is None
    assert "at least 5" in (needs.note or "")
    # Individual rows of consenting people remain visible.
    assert sorted(needs.matrix) == ["p0", "p1", "p2", "p3"]


def test_five_consenting_learners_show_aggregates_of_exactly_their_rows(small_catalogue):
    members = [
        *_cohort(5, consented=range(5)),
        # A learner who does not share, with levels unlike anyone else's.
        Member("secret", {"C01": 4, "C02": 4, "C03": 4}),
    ]
    needs = training_needs(
        members, small_catalogue.profile("role"), small_catalogue, budget_hours=20
    )
    assert needs.aggregates_visible
    assert sorted(needs.matrix) == ["p0", "p1", "p2", "p3", "p4"]
    assert (needs.size, needs.hidden, needs.learners, needs.withheld) == (6, 1, 5, 1)
    first = needs.distributions[0]
    assert first.competence == "C01"
    assert first.counts == [2, 2, 1, 0, 0]  # levels 0, 1, 2, 0, 1: nobody at 4
    assert first.below_target == 4  # target 2 for C01
    assert needs.imported_distributions is None
    assert needs.as_dict()["coverage"] is not None


def test_learners_who_do_not_consent_change_nothing_but_the_count(small_catalogue):
    profile = small_catalogue.profile("role")
    base = [*_cohort(6, consented={0, 2, 3, 4, 5}), *_cohort(5, imported=True)]
    base = [
        Member(f"{m.person}-{k}", m.levels, m.consented, m.imported) for k, m in enumerate(base)
    ]
    before = training_needs(base, profile, small_catalogue, budget_hours=20).as_dict()
    joined = [*base, Member("secret", {"C01": 4, "C02": 0, "C03": 4})]
    after = training_needs(joined, profile, small_catalogue, budget_hours=20).as_dict()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"size", "hidden", "withheld"}
    rows_before = anonymised_rows(base, profile, small_catalogue, rng=1)
    rows_after = anonymised_rows(joined, profile, small_catalogue, rng=1)
    assert rows_before == rows_after


def test_imported_rows_are_reported_apart(small_catalogue):
    members = [*_cohort(4, consented=range(4)), *_cohort(5, imported=True)]
    members = [
        Member(f"{m.person}-{k}", m.levels, m.consented, m.imported) for k, m in enumerate(members)
    ]
    needs = training_needs(members, small_catalogue.profile("role"), small_catalogue)
    # Four consenting learners are too few for their own figures; imported rows have theirs.
    assert needs.distributions is None
    assert needs.imported_distributions is not None
    assert sum(needs.imported_distributions[0].counts) == 5
    rows = anonymised_rows(members, small_catalogue.profile("role"), small_catalogue, rng=2)
    assert {r["source"] for r in rows} == {"imported"} and len(rows) == 5


def test_members_with_bad_levels_are_rejected(small_catalogue):
    bad = [Member("a", {"C01": 7}), Member("a", {"C55": 1})]
    with pytest.raises(ContentError) as info:
        training_needs(bad, small_catalogue.profile("role"), small_catalogue)
    assert len(info.value.errors) == 3


def _brute_force_coverage(members, profile, catalogue, budget):
    modules = catalogue.curriculum.modules
    best = (-1, 0.0)
    for r in range(len(modules) + 1):
        for subset in itertools.combinations(modules, r):
            ids = {m.id for m in subset}
            if any(p not in ids for m in subset for p in m.prerequisites):
                continue
            hours = sum(m.hours for m in subset)
            if hours > budget:
                continue
            served = 0
            for cid, target in profile.targets.items():
                if any(
                    o.competence == cid and o.level >= target.level
                    for m in subset
                    for o in m.outcomes
                ):
                    served += sum(1 for p in members if p.levels.get(cid, 0) < target.level)
            if served > best[0] or (served == best[0] and hours < best[1]):
                best = (served, hours)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_budgeted_coverage_equals_brute_force(small_catalogue, seed):
    rng = np.random.default_rng(seed)
    members = [
        Member(f"p{k}", {f"C{c:02d}": int(rng.integers(0, 4)) for c in range(1, 9)})
        for k in range(int(rng.integers(5, 12)))
    ]
    budget = float(rng.integers(0, 30))
    profile = small_catalogue.profile("role")
    coverage = recommend_modules(members, profile, small_catalogue, budget)
    assert coverage.hours <= budget
    assert (coverage.gaps_served, coverage.hours) == _brute_force_coverage(
        members, profile, small_catalogue, budget
    )


def test_anonymised_export_has_no_names_no_withheld_learner_and_needs_five(small_catalogue):
    profile = small_catalogue.profile("role")
    members = [*_cohort(6, consented={0, 1, 2, 3, 4}), Member("secret", {"C01": 4})]
    rows = anonymised_rows(members, profile, small_catalogue, rng=1)
    assert [r["participant"] for r in rows] == [f"P{k}" for k in range(1, 6)]
    assert not any(str(v).startswith("p") for r in rows for v in r.values())
    assert set(rows[0]) == {"participant", "source", *profile.targets, "open_gaps"}
    assert all(r["source"] == "learner" and r["C01"] != 4 for r in rows)
    with pytest.raises(PermissionDeniedError, match="at least 5"):
        anonymised_rows(_cohort(6, consented={0, 1, 2, 3}), profile, small_catalogue)


def test_join_codes_are_unambiguous_and_distinct():
    from crisis.learners.cohorts import new_join_code

    codes = {new_join_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and not set(c) & set("01OIL") for c in codes)
    with pytest.raises(ContentError):
        new_join_code(3)
