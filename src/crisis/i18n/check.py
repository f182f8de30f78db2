"""``crisis i18n check``: every bundled text in every language, and the glossary held.

The check walks every registered content type (:mod:`crisis.i18n.content`) and the interface
catalogues, and reports each text missing or empty in a language — by file, line, field path
and language — and each glossary term rendered otherwise (:mod:`crisis.i18n.glossary`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from crisis.exceptions import ContentError
from crisis.i18n.catalogs import catalogue_fields
from crisis.i18n.content import LANGUAGES, TextField, content_types
from crisis.i18n.glossary import Glossary, GlossaryChecker, bundled_glossary

#: The name under which the interface catalogues are reported.
INTERFACE = "interface"


@dataclass(frozen=True)
class Problem:
    """One missing translation or one glossary finding."""

    kind: str  # "missing" or "glossary"
    content: str
    file: str
    line: int | None
    path: str
    lang: str
    message: str

    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.location()}: {self.path}: {self.lang}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return dict(self.__dict__)


@dataclass
class Tally:
    """Texts of one content type: how many in total and how many each language has."""

    total: int = 0
    translated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LANGUAGES, 0))
    glossary: int = 0


@dataclass
class Report:
    """What the check found, with a tally per content type."""

    languages: tuple[str, ...]
    problems: list[Problem] = field(default_factory=list)
    tallies: dict[str, Tally] = field(default_factory=dict)

    @property
    def missing(self) -> list[Problem]:
        """The missing or empty translations."""
        return [p for p in self.problems if p.kind == "missing"]

    @property
    def glossary(self) -> list[Problem]:
        """The glossary findings."""
        return [p for p in self.problems if p.kind == "glossary"]

    @property
    def ok(self) -> bool:
        """True when nothing is missing and the glossary holds."""
        return not self.problems

    def for_content(self, name: str) -> list[Problem]:
        """The problems of one content type."""
        return [p for p in self.problems if p.content == name]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready report."""
        return {
            "ok": self.ok,
            "languages": list(self.languages),
            "missing": len(self.missing),
            "glossary": len(self.glossary),
            "content": {
                name: {
                    "texts": tally.total,
                    "translated": {lang: tally.translated[lang] for lang in self.languages},
                    "glossary": tally.glossary,
                }
                for name, tally in self.tallies.items()
            },
            "problems": [p.as_dict() for p in self.problems],
        }


def content_names() -> list[str]:
    """Every content type the check can walk, the interface catalogues last."""
    return [c.name for c in content_types()] + [INTERFACE]


def check_fields(
    name: str,
    fields: Iterable[TextField],
    report: Report,
    checker: GlossaryChecker | None,
) -> None:
    """Add the problems of ``fields`` (content type ``name``) to ``report``."""
    tally = report.tallies.setdefault(name, Tally())
    for f in fields:
        tally.total += 1
        for lang in LANGUAGES:
            if lang in f.texts:
                tally.translated[lang] += 1
        if "en" not in f.texts:
            report.problems.append(
                Problem("missing", name, f.file, f.line, f.path, "en", "the English text is empty")
            )
            continue
        for lang in report.languages:
            if lang == "en":
                continue
            if lang not in f.texts:
                target = f.where.get(lang)
                message = "translation missing" + (f" (belongs in {target})" if target else "")
                report.problems.append(
                    Problem("missing", name, f.file, f.line, f.path, lang, message)
                )
            elif checker is not None:
                for finding in checker.check(f.english, f.texts[lang], lang):
                    tally.glossary += 1
                    report.problems.append(
                        Problem("glossary", name, f.file, f.line, f.path, lang, str(finding))
                    )


def check(
    languages: Collection[str] = LANGUAGES[1:],
    *,
    content: Collection[str] | None = None,
    skip: Collection[str] = (),
    glossary: Glossary | None = None,
    use_glossary: bool = True,
) -> Report:
    """Check the bundled content and the interface catalogues.

    Args:
        languages: The languages to check (English is always the source).
        content: Only these content types (names as in :func:`content_names`); all by default.
        skip: Content types left out.
        glossary: The glossary to hold (the bundled one by default).
        use_glossary: False to report missing translations only.

    Raises:
        ContentError: an unknown language or content type, or content that does not load.
    """
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ContentError(f"unknown language {unknown[0]!r}; expected one of el, de, pt")
    names = content_names()
    for name in [*(content or ()), *skip]:
        if name not in names:
            raise ContentError(f"unknown content type {name!r}; expected one of {', '.join(names)}")
    wanted = [n for n in names if (content is None or n in content) and n not in skip]
    checker = GlossaryChecker(glossary or bundled_glossary()) if use_glossary else None
    report = Report(tuple(lang for lang in LANGUAGES[1:] if lang in languages))
    types = {c.name: c for c in content_types()}
    for name in wanted:
        fields = catalogue_fields() if name == INTERFACE else types[name].fields()
        check_fields(name, fields, report, checker)
    return report
