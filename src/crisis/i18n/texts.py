"""Fixed texts of a domain package (PDF headings, labels) kept as translatable data.

A package keeps them in ``data/<name>.yaml``::

    texts:
      title: {en: Competence report, el: Έκθεση ικανοτήτων, de: Kompetenzbericht, pt: ...}

so that they are translated like any other content and fall under ``crisis i18n check``,
rather than living as per-language dictionaries in code.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from crisis.competences.sources import parse_yaml
from crisis.competences.text import LocalText
from crisis.exceptions import ContentError


def load_texts(data: bytes, name: str) -> dict[str, LocalText]:
    """Parse a texts file (``texts: {key: text}``) named ``name`` in messages.

    Raises:
        FormatError: not YAML, or not UTF-8 (naming the line).
        ContentError: not a ``texts`` mapping, or a text without English (naming the line).
    """
    source = parse_yaml(data, name)
    texts_data = source.data.get("texts") if isinstance(source.data, dict) else None
    if not isinstance(texts_data, dict):
        raise ContentError("expected a mapping 'texts' of key: text", location=source.where(()))
    texts: dict[str, LocalText] = {}
    errors: list[str] = []
    for key, value in texts_data.items():
        try:
            texts[str(key)] = LocalText.model_validate(value)
        except ValidationError as exc:
            errors += source.validation_errors(exc, ("texts", key))
    if errors:
        raise ContentError(errors[0], errors=errors)
    return texts


@lru_cache(maxsize=16)
def bundled_texts(package: str, name: str) -> dict[str, LocalText]:
    """The texts of ``package``'s ``data/<name>.yaml``, by key."""
    path = Path(str(resources.files(package) / "data" / f"{name}.yaml"))
    return load_texts(path.read_bytes(), f"{package.removeprefix('crisis.')}/data/{path.name}")


def texts_in(package: str, name: str, lang: str) -> dict[str, str]:
    """Every text of ``package``'s ``data/<name>.yaml`` in ``lang`` (English where missing)."""
    return {key: text.get(lang) for key, text in bundled_texts(package, name).items()}
