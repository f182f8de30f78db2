"""The one way CRISIS words a validation error: ``place: field: message (got value)``.

Every reader (YAML files, spreadsheets, forms, JSON bodies) turns pydantic's errors into
these strings, so a user sees the same shape of message wherever the data came from.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

#: Longest value repeated in a message; longer ones are left out.
_SHOWN = 60


def format_loc(loc: Sequence[Any]) -> str:
    """Write a location as ``hazards[2].most_severe.impacts.people`` (``(document)`` if empty)."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


def clean_loc(loc: Sequence[Any]) -> list[Hashable]:
    """A pydantic location without the markers pydantic adds (union members, ``[key]``)."""
    return [part for part in loc if not (isinstance(part, str) and "[" in part)]


def message_of(error: ErrorDetails) -> str:
    """The message of one error in plain words, with the offending value when short."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "missing":
        return "required field is missing"
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = error.get("input")
    if isinstance(value, dict | list | tuple) or "input" not in error:
        return message
    shown = repr(value)
    if len(shown) > _SHOWN or f"got {shown}" in message or f"got {value}" in message:
        return message
    return f"{message} (got {shown})"


def describe_errors(
    exc: ValidationError,
    *,
    where: Callable[[Sequence[Hashable]], str] | None = None,
    prefix: Sequence[Hashable] = (),
    field: Callable[[Sequence[Hashable]], str] = format_loc,
) -> list[str]:
    """One ``place: field: message`` string per problem of ``exc``.

    Args:
        exc: The validation error.
        where: The place of a location (``file.yaml:12``, ``row 4``); none: no place.
        prefix: Location of the validated data inside a larger document.
        field: How a location is written as a field name (default :func:`format_loc`).
    """
    out = []
    for error in exc.errors(include_url=False):
        loc = [*prefix, *clean_loc(error["loc"])]
        place = f"{where(loc)}: " if where is not None else ""
        out.append(f"{place}{field(loc)}: {message_of(error)}")
    return out


def summary(errors: Sequence[str]) -> str:
    """The first problem, and how many more there are."""
    if len(errors) <= 1:
        return errors[0] if errors else ""
    return f"{errors[0]} (and {len(errors) - 1} more)"
