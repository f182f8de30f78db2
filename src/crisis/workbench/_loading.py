"""Reading bundled and user YAML files so that every error can name its file and line
(through the one reader of :mod:`crisis.formats`)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crisis.exceptions import ContentError, FormatError
from crisis.formats.validation import describe_errors, format_loc, summary
from crisis.formats.yamlsource import parse_yaml

M = TypeVar("M", bound=BaseModel)


class Document:
    """A parsed YAML document that remembers where each value came from.

    Args:
        text: The YAML text.
        name: The file name used in error messages.
    """

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        self.source = parse_yaml(text, name)
        self.data: Any = self.source.data

    def line(self, path: Sequence[Hashable]) -> int | None:
        """Return the 1-based line of the value at ``path``, or of its nearest parent."""
        return self.source.line(path)

    def where(self, path: Sequence[Hashable]) -> str:
        """Return ``file:line`` for the value at ``path``."""
        return self.source.where(path)

    def validate(self, model: type[M], data: Any | None = None) -> M:
        """Validate the document (or ``data`` drawn from it) against ``model``.

        Raises:
            ContentError: Listing every problem as ``file:line: field: message (value)``.
        """
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            raise content_error(exc, self) from None


def content_error(exc: ValidationError, document: Document | None = None) -> ContentError:
    """Turn a pydantic error into a :class:`ContentError` naming each field and value."""
    errors = describe_errors(exc, where=document.where if document is not None else None)
    return ContentError(summary(errors), errors=errors)


def read_document(path: str | Path) -> Document:
    """Read a user's YAML file.

    Raises:
        FormatError: The file is missing, unreadable or not YAML.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError("file not found", location=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read file: {exc}", location=str(path)) from None
    return Document(text, path.name)


def bundled_document(name: str) -> Document:
    """Read a YAML file shipped under ``crisis/workbench/data``."""
    text = resources.files("crisis.workbench").joinpath("data", name).read_text(encoding="utf-8")
    return Document(text, name)


__all__ = ["Document", "bundled_document", "content_error", "format_loc", "read_document"]
