"""The audit finds curriculum problems that loading alone does not."""
# ruff: noqa: E501  (expected messages and CSV fixtures are kept on one line to stay readable)

from __future__ import annotations

from pathlib import Path

from crisis.competences import bundled_path
from crisis.competences.audit import audit
from crisis.competences.translations import required_texts


def _copy(tmp_path: Path, translations: bool = True) -> Path:
    for name in ("framework.yaml", "profiles.yaml", "curriculum.yaml"):
        (tmp_path / name).write_bytes((bundled_path() / name).read_bytes())
    if translations:
        (tmp_path / "translations").mkdir()
        for lang in ("el", "de", "pt"):
            src = bundled_path() / "translations" / f"{lang}.yaml"
            (tmp_path / "translations" / f"{lang}.yaml").write_bytes(src.read_bytes())
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unreachable_target_and_unassessed_outcome_are_errors(tmp_path):
    folder = _copy(tmp_path)
    _edit(
        folder / "profiles.yaml",
        "C13: {level: 3, essential: true}",
        "C13: {level: 4, essential: true}",
    )
    _edit(
        folder / "curriculum.yaml",
        "        assessment: [simulation-report]\n    teaching_methods: [simulation, concept-mapping]",
        "    teaching_methods: [simulation, concept-mapping]",
    )
    report = audit(folder)
    messages = [f.message for f in report.errors]
    assert (
        "profile scro needs C13 at level 4, but the best module outcome reaches level 3" in messages
    )
    assert "module M13: outcome M13.1 is not covered by any assessment method" in messages
    assert not report.ok


def test_missing_translations_are_warnings_only(tmp_path):
    folder = _copy(tmp_path, translations=False)
    report = audit(folder)
    assert report.ok
    assert report.catalogue is not None
    assert len(report.warnings) == 3 * len(list(required_texts(report.catalogue)))
    assert "missing translation el: competence C01 title" in [f.message for f in report.warnings]


def test_unknown_translation_id_names_its_line(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder / "translations" / "de.yaml", "  C20:\n", "  C21:\n")
    report = audit(folder)
    assert any(
        f.message.startswith("translations/de.yaml:") and "competences has no 'C21'" in f.message
        for f in report.errors
    )


def test_programme_order_and_ects(tmp_path):
    folder = _copy(tmp_path)
    _edit(
        folder / "curriculum.yaml",
        "modules: [U01, U02, U03, U04, U05, U06, U07]",
        "modules: [U03, U01, U02, U04, U05, U06, U07]",
    )
    _edit(folder / "curriculum.yaml", "    ects: 40\n", "    ects: 45\n")
    messages = [f.message for f in audit(folder).errors]
    assert "programme scro-postgraduate: module U03 comes before its prerequisite U01" in messages
    assert "programme scro-postgraduate: declares 45 ECTS but its modules add up to 40" in messages
