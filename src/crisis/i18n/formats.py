"""Dates, numbers and money as people of each language read them (Babel's CLDR data)."""

from __future__ import annotations

import datetime as dt

from babel import Locale, dates, numbers

#: The locale each content language is formatted in (the partnership's countries).
LOCALES: dict[str, str] = {"en": "en_GB", "el": "el_GR", "de": "de_DE", "pt": "pt_PT"}


def locale_of(lang: str) -> str:
    """The Babel locale of ``lang`` (British English for anything unknown)."""
    return LOCALES.get(lang, "en_GB")


def format_date(day: dt.date | dt.datetime, lang: str, style: str = "medium") -> str:
    """``2027-06-06`` as "6 Jun 2027", "6 Ιουν 2027", "06.06.2027", "06/06/2027"."""
    return dates.format_date(day, format=style, locale=locale_of(lang))


def format_datetime(moment: dt.datetime, lang: str, style: str = "medium") -> str:
    """A date and time in ``lang``'s usual form."""
    return dates.format_datetime(moment, format=style, locale=locale_of(lang))


def format_number(value: float, lang: str, digits: int = 0, *, trim: bool = False) -> str:
    """``1234567.891`` as "1,234,567.89" (en) or "1.234.567,89" (de, el, pt).

    With ``trim``, trailing zero decimals are left out (``4.0`` → "4", ``12.5`` → "12,5").
    """
    pattern = "#,##0" + ("." + ("#" if trim else "0") * digits if digits > 0 else "")
    return numbers.format_decimal(value, format=pattern, locale=locale_of(lang))


def _pattern(kind: str, lang: str, digits: int) -> tuple[numbers.NumberPattern, Locale]:
    locale = Locale.parse(locale_of(lang))
    formats = locale.percent_formats if kind == "percent" else locale.currency_formats
    pattern = numbers.parse_pattern(formats[None if kind == "percent" else "standard"].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern, locale


def format_percent(share: float, lang: str, digits: int = 0) -> str:
    """A share 0–1 as a percentage: "42 %" in German and Greek, "42%" in English."""
    pattern, locale = _pattern("percent", lang, digits)
    return pattern.apply(share, locale)


def format_money(amount: float, lang: str, currency: str = "EUR", digits: int = 0) -> str:
    """Whole euros by default: "€1,200,000" (en), "1.200.000 €" (de, el), "1 200 000 €" (pt)."""
    locale = Locale.parse(locale_of(lang))
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    fraction = "." + "0" * digits if digits > 0 else ""
    pattern = pattern.replace(".00", fraction)
    return numbers.format_currency(
        amount, currency, format=pattern, locale=locale_of(lang), currency_digits=False
    )
