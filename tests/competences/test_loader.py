"""Loading the bundled catalogue and reporting bad files with file and line."""
# ruff: noqa: E501  (expected messages and CSV fixtures are kept on one line to stay readable)

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.competences import bundled_path, load_bundled, load_catalogue
from crisis.exceptions import ContentError, NotFoundError


def test_bundled_catalogue_has_the_scro_shape():
    cat = load_bundled()
    assert [area.id for area in cat.framework.areas] == ["A-TRA", "A-PLA", "A-RES", "A-BUS"]
    assert [c.id for c in cat.framework.competences] == [f"C{n:02d}" for n in range(1, 21)]
    mooc = [m for m in cat.curriculum.modules if m.id.startswith("M")]
    assert [m.id for m in mooc] == [f"M{n:02d}" for n in range(1, 21)]
    assert sum(m.hours for m in mooc) == pytest.approx(80)
    assert {
        "scro",
        "smart-city-planner",
        "municipal-data-officer",
        "civil-protection-officer",
    } <= set(cat.profiles)
    assert cat.competence("C11").area == "A-RES"
    assert cat.module("M14").prerequisites == ["M11", "M13"]
    with pytest.raises(NotFoundError):
        cat.competence("C99")


def _copy_bundled(tmp_path: Path) -> Path:
    for name in ("framework.yaml", "profiles.yaml", "curriculum.yaml"):
        (tmp_path / name).write_bytes((bundled_path() / name).read_bytes())
    return tmp_path


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _errors(folder: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_catalogue(folder)
    return info.value.errors


def test_misspelt_field_is_reported_with_its_line(tmp_path):
    folder = _copy_bundled(tmp_path)
    _replace(folder / "framework.yaml", "        knowledge:\n", "        knowlege:\n")
    line = _line_of(folder / "framework.yaml", "knowlege:")
    errors = _errors(folder)
    assert f"framework.yaml:{line}: areas[0].competences[0].knowlege: unknown field" in errors[0]


def test_dangling_prerequisite_names_file_line_and_value(tmp_path):
    folder = _copy_bundled(tmp_path)
    _replace(folder / "curriculum.yaml", "prerequisites: [M07]", "prerequisites: [M99]")
    line = _line_of(folder / "curriculum.yaml", "prerequisites: [M99]")
    assert _errors(folder) == [
        f"curriculum.yaml:{line}: module M08 lists prerequisite 'M99', which does not exist"
    ]


def test_prerequisite_cycle_is_reported(tmp_path):
    folder = _copy_bundled(tmp_path)
    # M01 has no prerequisites; make it depend on M03, which depends on M01.
    _replace(
        folder / "curriculum.yaml",
        "    eqf: 6\n    outcomes:\n      - id: M01.1",
        "    eqf: 6\n    prerequisites: [M03]\n    outcomes:\n      - id: M01.1",
    )
    errors = _errors(folder)
    assert len(errors) == 1
    assert "prerequisites form a cycle: M01 → M03 → M01" in errors[0]
    assert errors[0].startswith("curriculum.yaml:")


def test_profile_targeting_unknown_competence(tmp_path):
    folder = _copy_bundled(tmp_path)
    _replace(
        folder / "profiles.yaml",
        "      C20: {level: 2, essential: false}",
        "      C42: {level: 2, essential: false}",
    )
    line = _line_of(folder / "profiles.yaml", "C42:")
    assert _errors(folder) == [
        f"profiles.yaml:{line}: profile scro targets competence 'C42', which does not exist"
    ]


def test_level_out_of_range_and_missing_descriptor(tmp_path):
    folder = _copy_bundled(tmp_path)
    _replace(
        folder / "profiles.yaml",
        "C01: {level: 3, essential: true}",
        "C01: {level: 5, essential: true}",
    )
    _replace(
        folder / "framework.yaml",
        "          4: Establishes an all-hazards",
        "          5: Establishes an all-hazards",
    )
    errors = _errors(folder)
    assert any(
        "profiles[0].targets.C01.level: Input should be less than or equal to 4" in e
        for e in errors
    )
    line = _line_of(folder / "framework.yaml", "5: Establishes")
    assert (
        f"framework.yaml:{line}: areas[0].competences[0].levels[5]: "
        "Input should be less than or equal to 4 (got 5)"
    ) in errors


def test_missing_level_descriptor(tmp_path):
    folder = _copy_bundled(tmp_path)
    _replace(
        folder / "framework.yaml",
        "          4: Establishes an all-hazards, systems-based way of working that the city's strategy and partner organisations adopt.\n",
        "",
    )
    errors = _errors(folder)
    assert len(errors) == 1
    assert (
        "areas[0].competences[0].levels: a descriptor is needed for every level 1-4; missing [4]"
        in errors[0]
    )


def test_bad_encoding_and_yaml_syntax_are_listed_together(tmp_path):
    folder = _copy_bundled(tmp_path)
    data = (folder / "framework.yaml").read_bytes()
    (folder / "framework.yaml").write_bytes(data.replace(b"Basic", b"B\xe4sic", 1))
    (folder / "profiles.yaml").write_bytes(b"profiles:\n  - id: [unclosed\n")
    errors = _errors(folder)
    assert len(errors) == 2
    assert "is not valid UTF-8" in errors[0] and errors[0].startswith("framework.yaml:")
    assert errors[1].startswith("profiles.yaml:") and "invalid YAML" in errors[1]


def test_duplicate_key_is_an_error(tmp_path):
    folder = _copy_bundled(tmp_path)
    _replace(folder / "framework.yaml", 'version: "1.0"\n', 'version: "1.0"\nversion: "2"\n')
    assert _errors(folder) == ["framework.yaml:6: key 'version' appears twice in the same mapping"]


def test_oversized_file_is_refused(tmp_path):
    folder = _copy_bundled(tmp_path)
    with pytest.raises(ContentError) as info:
        load_catalogue(folder, max_bytes=1000)
    assert all("larger than the limit of 1,000 bytes" in e for e in info.value.errors)
    assert len(info.value.errors) == 3


def test_profiles_and_curriculum_are_optional(tmp_path):
    (tmp_path / "framework.yaml").write_bytes((bundled_path() / "framework.yaml").read_bytes())
    cat = load_catalogue(tmp_path)
    assert cat.profiles == {} and cat.curriculum.modules == []
    assert len(cat.framework.competences) == 20
