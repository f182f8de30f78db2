"""Gap analysis against job profiles."""

from __future__ import annotations

import pytest

from crisis.competences import load_bundled
from crisis.exceptions import ContentError
from crisis.learners.gaps import analyse_gaps, open_targets


def test_essential_gaps_come_first_then_larger_gaps():
    catalogue = load_bundled()
    profile = catalogue.profile("scro")
    gaps = analyse_gaps({"C01": 3, "C05": 0, "C11": 1}, profile, catalogue)
    assert len(gaps) == len(profile.targets)
    open_gaps = [g for g in gaps if g.open]
    met = [g for g in gaps if not g.open]
    assert gaps == open_gaps + met
    essential_flags = [g.essential for g in open_gaps]
    assert essential_flags == sorted(essential_flags, reverse=True)
    c01 = next(g for g in gaps if g.competence == "C01")
    assert (c01.current, c01.target, c01.size, c01.open) == (3, 3, 0, False)
    assert gaps[0].size >= gaps[1].size or gaps[0].essential != gaps[1].essential
    assert [g.priority for g in gaps] == list(range(len(gaps)))
    assert "C01" not in open_targets(gaps)


def test_every_profile_can_be_analysed_in_every_language():
    catalogue = load_bundled()
    for profile in catalogue.profiles.values():
        for lang in ("en", "el", "de", "pt"):
            gaps = analyse_gaps({}, profile, catalogue, lang=lang)
            assert all(g.title for g in gaps)


def test_bad_levels_are_named():
    catalogue = load_bundled()
    with pytest.raises(ContentError) as info:
        analyse_gaps({"C01": 9, "C77": 1}, catalogue.profile("scro"), catalogue)
    assert sorted(info.value.errors) == [
        "C01: level 9 is out of range 0..4",
        "unknown competence 'C77'",
    ]
