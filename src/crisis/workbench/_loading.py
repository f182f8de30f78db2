"""Reading bundled and user YAML files so that every error can name its file and line."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from crisis.exceptions import ContentError, FormatError

M = TypeVar("M", bound=BaseModel)


class Document:
    """A parsed YAML document that remembers where each value came from.

    Args:
        text: The YAML text.
        name: The file name used in error messages.
    """

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        try:
            self.node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{name}:{mark.line + 1}" if mark is not None else name
            problem = getattr(exc, "problem", None) or str(exc)
            raise FormatError(f"not valid YAML: {problem}", location=where) from None

    def line(self, path: Sequence[str | int]) -> int | None:
        """Return the 1-based line of the value at ``path``, or of its nearest parent."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for key in path:
            child = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == str(key):
                        child = value_node
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(key, int)
                and 0 <= key < len(node.value)
            ):
                child = node.value[key]
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def where(self, path: Sequence[str | int]) -> str:
        """Return ``file:line`` for the value at ``path``."""
        line = self.line(path)
        return f"{self.name}:{line}" if line else self.name

    def validate(self, model: type[M], data: Any | None = None) -> M:
        """Validate the document (or ``data`` drawn from it) against ``model``.

        Raises:
            ContentError: Listing every problem as ``file:line: field: message (value)``.
        """
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            raise content_error(exc, self) from None


def format_loc(loc: Sequence[str | int]) -> str:
    """Write a pydantic location as ``hazards[2].most_severe.impacts.people``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def content_error(exc: ValidationError, document: Document | None = None) -> ContentError:
    """Turn a pydantic error into a :class:`ContentError` naming each field and value."""
    errors = []
    for error in exc.errors():
        loc = [p for p in error["loc"] if isinstance(p, str | int)]
        message = error["msg"].removeprefix("Value error, ")
        field = format_loc(loc)
        value = error.get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
        prefix = f"{document.where(loc)}: " if document is not None else ""
        errors.append(f"{prefix}{field}: {message}{shown}")
    summary = errors[0] if len(errors) == 1 else f"{errors[0]} (and {len(errors) - 1} more)"
    return ContentError(summary, errors=errors)


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
