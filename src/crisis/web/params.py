"""Whole numbers in requests, bounded by the columns they end up in.

Every id, version and count a request carries goes into an ``INTEGER`` column (32 bits on
PostgreSQL); a larger number could never match anything, so it is refused with a 422 that
names the parameter instead of reaching the database.
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi.exceptions import RequestValidationError

#: Largest value of an ``INTEGER`` column on every supported database.
MAX_INT = 2**31 - 1

#: A row id, version or sequence number: 1 … :data:`MAX_INT`.
Id = Annotated[int, Ge(1), Le(MAX_INT)]
#: A count or index: 0 … :data:`MAX_INT`.
Count = Annotated[int, Ge(0), Le(MAX_INT)]


def checked_id(raw: Any, where: tuple[str, ...]) -> int:
    """``raw`` as an :data:`Id`, or a 422 naming ``where`` (``("header", "if-match")``)."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not 1 <= value <= MAX_INT or isinstance(raw, bool | float):
        raise RequestValidationError(
            [
                {
                    "type": "int_range",
                    "loc": where,
                    "msg": f"expected a whole number from 1 to {MAX_INT}",
                    "input": raw,
                }
            ]
        )
    return value
