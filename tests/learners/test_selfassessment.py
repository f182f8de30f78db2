"""Self-assessment statements, ratings and the ratings file."""

from __future__ import annotations

import pytest

from crisis.competences import load_bundled
from crisis.exceptions import ContentError, FormatError, NotFoundError
from crisis.learners.selfassessment import SelfAssessment, i_can, load_ratings, statements


@pytest.mark.parametrize(
    ("descriptor", "statement"),
    [
        (
            "Builds a causal map and uses it to point out links.",
            "I can build a causal map and use it to point out links.",
        ),
        ("Identifies hazards.", "I can identify hazards."),
        ("Establishes a way of working.", "I can establish a way of working."),
        (
            "Explains, with an example, how it works.",
            "I can explain, with an example, how it works.",
        ),
        (
            "Designs a programme that reaches groups and involves them.",
            "I can design a programme that reaches groups and involves them.",
        ),
        ("Knows the response structure.", "I know the response structure."),
        (
            "Describes the plans and their own role in them.",
            "I can describe the plans and my own role in them.",
        ),
        (
            "Runs meetings that end with actions and owners.",
            "I can run meetings that end with actions and owners.",
        ),
    ],
)
def test_descriptor_becomes_i_can_statement(descriptor, statement):
    assert i_can(descriptor) == statement


def test_every_competence_offers_not_yet_and_four_levels():
    catalogue = load_bundled()
    for competence in catalogue.framework.competences:
        options = statements(catalogue, competence.id)
        assert [s.level for s in options] == [0, 1, 2, 3, 4]
        assert options[0].text.startswith("Not yet")
        assert all(s.text.startswith(("I can ", "I know ")) for s in options[1:])
    greek = statements(catalogue, "C01", "el")
    assert greek[0].text.startswith("Όχι ακόμη")


def test_unknown_competence_is_not_found():
    with pytest.raises(NotFoundError):
        statements(load_bundled(), "C99")


def test_partial_self_assessment_resumes_where_it_stopped():
    catalogue = load_bundled()
    ratings = SelfAssessment().rate("C01", 2).rate("C02", 0)
    assert ratings.remaining(catalogue)[0] == "C03"
    assert not ratings.complete(catalogue)
    for cid in ratings.remaining(catalogue):
        ratings = ratings.rate(cid, 1)
    assert ratings.complete(catalogue)
    assert ratings.as_dict()["C01"] == 2


@pytest.mark.parametrize("level", [5, -1, True, "2"])
def test_rating_out_of_range_is_rejected(level):
    with pytest.raises(ContentError, match="C01"):
        SelfAssessment().rate("C01", level)


def test_unknown_competence_in_ratings_is_named():
    with pytest.raises(ContentError, match="C42"):
        SelfAssessment(ratings={"C42": 2}).check(load_bundled())


def test_ratings_file_in_yaml_json_and_csv(tmp_path):
    catalogue = load_bundled()
    (tmp_path / "r.yaml").write_text("C01: 2\nC11: 3\n", encoding="utf-8")
    (tmp_path / "r.json").write_text('{"ratings": {"C01": 2, "C11": 3}}', encoding="utf-8")
    (tmp_path / "r.csv").write_text("competence,level\nC01,2\nC11,3\n", encoding="utf-8")
    for name in ("r.yaml", "r.json", "r.csv"):
        assert load_ratings(tmp_path / name, catalogue=catalogue).as_dict() == {"C01": 2, "C11": 3}


def test_bad_csv_ratings_name_the_line(tmp_path):
    (tmp_path / "r.csv").write_text("competence,level\nC01,2\nC77,1\nC02,9\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_ratings(tmp_path / "r.csv", catalogue=load_bundled())
    assert info.value.errors == [
        "r.csv:3: 'C77' is not a competence of the framework",
        "r.csv:4: C02: level '9' is not an integer 0..4",
    ]


def test_unparseable_ratings_file_is_a_format_error(tmp_path):
    (tmp_path / "r.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"r\.yaml"):
        load_ratings(tmp_path / "r.yaml")
