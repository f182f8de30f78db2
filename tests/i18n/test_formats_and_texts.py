"""Dates, numbers and money by language; fixed PDF texts kept as translatable data."""

from __future__ import annotations

import datetime as dt

import pytest

from crisis.exceptions import ContentError, FormatError
from crisis.i18n.formats import format_date, format_money, format_number, format_percent
from crisis.i18n.texts import bundled_texts, load_texts, texts_in


@pytest.mark.parametrize(
    ("lang", "date", "number", "money", "percent"),
    [
        ("en", "6 Jun 2027", "1,234,567.89", "€1,200,000", "42%"),
        ("el", "6 Ιουν 2027", "1.234.567,89", "1.200.000 €", "42%"),
        ("de", "06.06.2027", "1.234.567,89", "1.200.000 €", "42 %"),
        ("pt", "06/06/2027", "1 234 567,89", "1 200 000 €", "42%"),
    ],
)
def test_each_language_writes_dates_numbers_and_euros_its_own_way(
    lang: str, date: str, number: str, money: str, percent: str
) -> None:
    space = lambda s: s.replace("\u00a0", " ").replace("\u202f", " ")  # noqa: E731
    assert format_date(dt.date(2027, 6, 6), lang) == date
    assert space(format_number(1234567.891, lang, 2)) == number
    assert space(format_money(1_200_000, lang)) == money
    assert space(format_percent(0.4234, lang)) == percent


def test_trailing_zero_decimals_can_be_left_out() -> None:
    assert format_number(4.0, "de", 1, trim=True) == "4"
    assert format_number(12.5, "de", 1, trim=True) == "12,5"


@pytest.mark.parametrize("package", ["crisis.learners", "crisis.workbench"])
def test_report_texts_exist_in_every_language(package: str) -> None:
    texts = bundled_texts(package, "report")
    assert texts
    for key, text in texts.items():
        assert text.languages == ("en", "el", "de", "pt"), key
    assert texts_in("crisis.workbench", "report", "el")["most_severe"] == "δυσμενέστερο"


def test_a_text_without_english_names_file_and_line() -> None:
    data = "texts:\n  title: {en: Report, el: Έκθεση}\n  total: {el: Σύνολο}\n".encode()
    with pytest.raises(ContentError) as info:
        load_texts(data, "report.yaml")
    assert info.value.errors[0].startswith("report.yaml:3: texts.total:")
    with pytest.raises(ContentError, match="expected a mapping 'texts'"):
        load_texts(b"- a list\n", "report.yaml")
    with pytest.raises(FormatError, match=r"report\.yaml:\d+: invalid YAML"):
        load_texts(b"texts:\n  title: [unclosed\n", "report.yaml")
