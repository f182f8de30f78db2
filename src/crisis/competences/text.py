"""Localised text: one string per language, with a per-field fallback to English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, RootModel, StringConstraints, model_validator

#: The languages CRISIS content is written in; English is the reference language.
LANGUAGES: tuple[str, ...] = ("en", "el", "de", "pt")

Language = Literal["en", "el", "de", "pt"]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _schema_extra(schema: dict[str, Any]) -> None:
    # A plain string is accepted as English-only text; say so in the published schema.
    mapping = {key: value for key, value in schema.items() if key not in ("title", "description")}
    for key in mapping:
        del schema[key]
    schema["anyOf"] = [{"type": "string", "minLength": 1}, {**mapping, "required": ["en"]}]


class Shown(str):
    """A text as shown on a page, knowing the language it is written in.

    It is an ordinary string everywhere (JSON, PDF, f-strings); the page helper ``local``
    reads ``lang`` to mark a passage that fell back to another language than the page's.
    """

    lang: str

    def __new__(cls, text: str, lang: str) -> Shown:
        value = super().__new__(cls, text)
        value.lang = lang
        return value


class LocalText(RootModel[dict[Language, _Text]]):
    """A text in several languages; ``get(lang)`` falls back to English.

    In YAML it is written either as a mapping ``{en: ..., el: ..., de: ..., pt: ...}`` or as a
    plain string, which is taken as English.
    """

    model_config = ConfigDict(frozen=True, json_schema_extra=_schema_extra)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"en": value}
        return value

    @model_validator(mode="after")
    def _needs_english(self) -> LocalText:
        if "en" not in self.root:
            raise ValueError("an English text ('en') is required")
        return self

    def get(self, lang: str) -> str:
        """Return the text in ``lang``, or the English text where that translation is missing."""
        return self.root.get(lang) or self.root["en"]  # type: ignore[call-overload]

    def resolve(self, lang: str) -> tuple[str, str]:
        """The text to show in ``lang`` and the language it is written in.

        The second value differs from ``lang`` when the text falls back to English: pages then
        mark the passage (see docs/languages.md), never mixing languages silently.
        """
        text = self.root.get(lang)  # type: ignore[call-overload]
        if text:
            return text, lang
        return self.root["en"], "en"

    def shown(self, lang: str) -> Shown:
        """The text for ``lang`` as a :class:`Shown` string (English where not translated)."""
        return Shown(*self.resolve(lang))

    def has(self, lang: str) -> bool:
        """Whether a translation into ``lang`` is present (not a fallback)."""
        return lang in self.root

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this text is written in, in :data:`LANGUAGES` order."""
        return tuple(lang for lang in LANGUAGES if lang in self.root)

    def __getitem__(self, lang: str) -> str:
        return self.get(lang)

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        return iter(self.languages)

    def __len__(self) -> int:
        return len(self.root)

    def __str__(self) -> str:
        return self.root["en"]

    @classmethod
    def of(cls, text: str | dict[str, str]) -> LocalText:
        """Build from a string (English) or a ``{lang: text}`` mapping."""
        return cls.model_validate(text)
