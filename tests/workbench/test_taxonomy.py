"""The bundled taxonomy and the impact anchors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.exceptions import ContentError, FormatError
from crisis.workbench.anchors import DIMENSIONS, bundled_anchors
from crisis.workbench.taxonomy import CATEGORIES, LANGUAGES, bundled_taxonomy, load_taxonomy


def test_taxonomy_covers_every_category_with_both_kinds() -> None:
    taxonomy = bundled_taxonomy()
    assert len(taxonomy.entries) >= 30
    groups = taxonomy.by_category()
    assert all(groups[c] for c in CATEGORIES)
    assert {e.kind for e in taxonomy.entries} == {"shock", "stress"}


def test_every_simulator_hazard_type_is_reachable_from_the_taxonomy() -> None:
    mapped = {e.simulator for e in bundled_taxonomy().entries if e.simulator}
    assert mapped == {"earthquake", "flood", "heatwave", "epidemic", "cyber", "blackout", "drought"}


def test_titles_exist_in_every_language_and_greek_is_greek() -> None:
    quake = bundled_taxonomy().get("earthquake")
    assert [quake.title.get(lang) for lang in LANGUAGES] == [
        "Earthquake",
        "Σεισμός",
        "Erdbeben",
        "Sismo",
    ]


def test_a_broken_taxonomy_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "entries:\n  - id: quake\n    category: geological\n    kind: shock\n"
        "    title: {en: Q, el: Q, de: Q, pt: Q}\n    description: d\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as info:
        load_taxonomy(path)
    assert str(info.value).startswith("mine.yaml:3: entries[0].category:")
    assert "'geological'" in str(info.value)


def test_unparseable_yaml_is_a_format_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("entries:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.yaml:\d+"):
        load_taxonomy(path)


def test_anchors_have_a_written_description_for_every_level_and_dimension() -> None:
    anchors = bundled_anchors()
    for dimension in DIMENSIONS:
        texts = [anchors.anchor(dimension, level) for level in range(1, 6)]
        assert len(set(texts)) == 5
    assert anchors.levels[5].el == "Καταστροφική"
