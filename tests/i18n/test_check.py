"""``crisis i18n check``: every bundled text in el, de and pt, and the glossary held."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.cli.main import app
from crisis.competences.loader import bundled_path
from crisis.i18n import content as content_module
from crisis.i18n.bundled import competence_fields
from crisis.i18n.catalogs import catalogue_fields
from crisis.i18n.check import Report, check, check_fields, content_names
from crisis.i18n.content import ContentType, inline_fields, read_source, register

#: Content types whose translations are still to come: their texts are being rewritten in
#: English first (the item bank, the scorecard questions and drafted action texts). This list
#: must be empty when every bundled text is translated.
PENDING: frozenset[str] = frozenset({"units", "scorecard", "actions"})


@pytest.fixture(scope="module")
def report() -> Report:
    return check()


@pytest.mark.parametrize("name", sorted(set(content_names()) - PENDING))
def test_bundled_content_is_complete_in_every_language(report: Report, name: str) -> None:
    assert [str(p) for p in report.for_content(name)] == []


@pytest.mark.parametrize("name", sorted(PENDING & set(content_names())))
def test_pending_content_is_still_reported(report: Report, name: str) -> None:
    # Once a pending type is complete, this fails: take it off the PENDING list.
    assert report.for_content(name), f"{name} is complete: remove it from PENDING"


def test_every_registered_type_is_walked(report: Report) -> None:
    assert set(report.tallies) == set(content_names())
    assert report.tallies["competences"].total > 400
    assert report.tallies["interface"].total > 800


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    shutil.copytree(bundled_path(), folder)
    return folder


def test_a_missing_translation_names_file_line_field_and_language(catalogue_copy: Path) -> None:
    greek = catalogue_copy / "translations" / "el.yaml"
    text = greek.read_text(encoding="utf-8")
    title = "    title: Συστημική σκέψη για την αστική ανθεκτικότητα\n"
    assert title in text
    greek.write_text(text.replace(title, ""), encoding="utf-8")
    english = (catalogue_copy / "framework.yaml").read_text(encoding="utf-8").splitlines()
    line = english.index("        title: Systems thinking for urban resilience") + 1
    report = Report(("el", "de", "pt"))
    check_fields("competences", competence_fields(catalogue_copy), report, None)
    mine = [p for p in report.missing if p.path == "areas[A-TRA].competences[C01].title"]
    assert [(p.lang, p.line) for p in mine] == [("el", line)]
    assert mine[0].file.endswith("catalogue/framework.yaml")
    assert "translations/el.yaml" in mine[0].message


def test_statements_are_translated_as_lists_of_the_same_length(catalogue_copy: Path) -> None:
    from crisis.competences.loader import read_folder

    german = catalogue_copy / "translations" / "de.yaml"
    text = german.read_text(encoding="utf-8")
    start = text.index("    knowledge:\n", text.index("  C01:\n"))
    end = text.index("    skills:\n", start)
    text = text[:start] + "    knowledge: [Nur eine Aussage]\n" + text[end:]
    german.write_text(text, encoding="utf-8")
    _sources, errors = read_folder(catalogue_copy)
    assert any(
        e.startswith("translations/de.yaml:") and "1 statement(s) for the 3 of the English" in e
        for e in errors
    ), errors


@pytest.fixture
def registry() -> Iterator[None]:
    saved = dict(content_module._REGISTRY)
    content_module.content_types()
    yield
    content_module._REGISTRY.clear()
    content_module._REGISTRY.update(saved)


def test_a_new_content_type_falls_under_the_check_by_registering(
    registry: None, tmp_path: Path
) -> None:
    unit = tmp_path / "unit.yaml"
    unit.write_text(
        "title: {en: Floods, el: Πλημμύρες, de: Hochwasser, pt: Cheias}\n"
        "blocks:\n"
        "  - id: lesson\n    text: {en: A lesson, el: Ένα μάθημα, de: '', pt: Uma lição}\n"
        "  - id: case\n    text: A case in English only\n",
        encoding="utf-8",
    )
    register(ContentType("units", "test units", lambda: inline_fields(read_source(unit), (
        "title", "blocks[].text"))))  # fmt: skip
    result = check(content=["units"])
    found = sorted((p.path, p.lang, p.line) for p in result.missing)
    assert found == [
        ("blocks[case].text", "de", 6),
        ("blocks[case].text", "el", 6),
        ("blocks[case].text", "pt", 6),
        ("blocks[lesson].text", "de", 4),
    ]


def test_an_empty_interface_translation_is_missing(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(Path(bundled_path()).parent.parent / "web" / "locale", locale)
    po = locale / "pt" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgid "Debrief"\nmsgstr "Balanço"\n' in text
    po.write_text(
        text.replace('msgid "Debrief"\nmsgstr "Balanço"\n', 'msgid "Debrief"\nmsgstr ""\n')
    )
    report = Report(("el", "de", "pt"))
    check_fields("interface", catalogue_fields(locale), report, None)
    assert [(p.path, p.lang) for p in report.missing] == [('msgid "Debrief"', "pt")]
    assert report.missing[0].file.endswith("en/LC_MESSAGES/messages.po")


def test_the_glossary_check_runs_on_content(registry: None, tmp_path: Path) -> None:
    unit = tmp_path / "unit.yaml"
    unit.write_text(
        "title: {en: Hazard register, el: Μητρώο κινδύνων, de: Gefahrenregister, "
        "pt: Registo de perigos}\n",
        encoding="utf-8",
    )
    register(ContentType("units", "test", lambda: inline_fields(read_source(unit), ("title",))))
    result = check(content=["units"])
    assert [(p.kind, p.lang, p.line) for p in result.problems] == [("glossary", "el", 1)]
    assert "μητρώο επικινδυνοτήτων" in result.problems[0].message


runner = CliRunner()


def test_cli_check_prints_a_summary_and_fails_on_problems() -> None:
    result = runner.invoke(app, ["i18n", "check", "--content", "scorecard", "--lang", "el"])
    assert result.exit_code == 1
    assert "scorecard" in result.output
    assert "missing translation(s)" in result.output
    assert "workbench/data/scorecard_" in result.output


def test_cli_check_json_lists_every_problem() -> None:
    result = runner.invoke(
        app, ["i18n", "check", "--content", "essentials", "--json", "--no-glossary"]
    )
    data = json.loads(result.output)
    assert data["languages"] == ["el", "de", "pt"]
    assert data["missing"] == len(data["problems"])
    assert result.exit_code == (0 if data["ok"] else 1)


def test_cli_check_refuses_an_unknown_content_type_in_one_line() -> None:
    from crisis.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        import sys

        argv, sys.argv = sys.argv, ["crisis", "i18n", "check", "--content", "lessons"]
        try:
            main()
        finally:
            sys.argv = argv
    assert exit_info.value.code == 1


def test_cli_check_with_a_missing_or_broken_glossary_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["i18n", "check", "--glossary", str(tmp_path / "none.yaml")])
    assert result.exit_code != 0
    assert "no such glossary file" in str(result.exception)
    broken = tmp_path / "glossary.yaml"
    broken.write_bytes(b"terms:\n  - id: [unclosed\n")
    result = runner.invoke(app, ["i18n", "check", "--glossary", str(broken)])
    assert "glossary.yaml:" in str(result.exception) and "invalid YAML" in str(result.exception)


def test_cli_glossary_shows_a_term_in_four_languages() -> None:
    result = runner.invoke(app, ["i18n", "glossary", "hazard"])
    assert result.exit_code == 0
    for word in ("hazard", "επικινδυνότητα", "Gefahr", "perigo"):
        assert word in result.output


def test_sibling_files_are_walked_field_by_field(tmp_path: Path) -> None:
    from crisis.i18n.content import sibling_fields

    def read(path: Path) -> dict[str, tuple[int | None, str]]:
        fields: dict[str, tuple[int | None, str]] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            key, _sep, text = line.partition(": ")
            fields[key] = (number, text)
        return fields

    (tmp_path / "M01-1.md").write_text("title: Cities as systems\nlesson: Long text\n")
    (tmp_path / "M01-1.el.md").write_text("title: Οι πόλεις ως συστήματα\nlesson: \n")
    (tmp_path / "M01-1.de.md").write_text("title: Städte als Systeme\nlesson: Langer Text\n")
    report = Report(("el", "de", "pt"))
    check_fields("units", sibling_fields([tmp_path / "M01-1.md"], read), report, None)
    found = sorted((p.path, p.lang, p.line) for p in report.missing)
    assert found == [("lesson", "el", 2), ("lesson", "pt", 2), ("title", "pt", 1)]
    pt = next(p for p in report.missing if p.lang == "pt")
    assert "M01-1.pt.md" in pt.message
