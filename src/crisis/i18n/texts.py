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


@lru_cache(maxsize=16)
def bundled_texts(package: str, name: str) -> dict[str, LocalText]:
    """The texts of ``package``'s ``data/<name>.yaml``, by key.

    Raises:
        ContentError: the file is malformed (naming file and line).
    """
    path = Path(str(resources.files(package) / "data" / f"{name}.yaml"))
    source = parse_yaml(path.read_bytes(), f"{package.removeprefix('crisis.')}/data/{path.name}")
    data = source.data.get("texts") if isinstance(source.data, dict) else None
    if not isinstance(data, dict):
        raise ContentError("expected a mapping 'texts' of key: text", location=source.where(()))
    texts: dict[str, LocalText] = {}
    errors: list[str] = []
    for key, value in data.items():
        try:
            texts[str(key)] = LocalText.model_validate(value)
        except ValidationError as exc:
            errors += source.validation_errors(exc, ("texts", key))
    if errors:
        raise ContentError(f"{len(errors)} problem(s) in {path.name}", errors=errors)
    return texts


def texts_in(package: str, name: str, lang: str) -> dict[str, str]:
    """Every text of ``package``'s ``data/<name>.yaml`` in ``lang`` (English where missing)."""
    return {key: text.get(lang) for key, text in bundled_texts(package, name).items()}
