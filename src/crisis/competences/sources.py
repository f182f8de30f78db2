"""Reading content files: size limit, strict UTF-8, YAML composed to nodes so every value's
line is known, and pydantic errors turned into ``file:line: field: message`` strings.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from crisis.exceptions import FormatError

#: Default largest file accepted, in bytes.
MAX_BYTES = 10 * 1024 * 1024

Path_ = tuple[Hashable, ...]


def decode(data: bytes, name: str, *, max_bytes: int = MAX_BYTES) -> str:
    """Decode ``data`` as UTF-8 (a byte-order mark is allowed), enforcing the size limit.

    Raises:
        FormatError: the file is too large or not valid UTF-8 (naming the line).
    """
    if len(data) > max_bytes:
        raise FormatError(
            f"file is {len(data):,} bytes, larger than the limit of {max_bytes:,} bytes",
            location=name,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FormatError(
            f"column {column}: byte 0x{data[exc.start]:02x} is not valid UTF-8; "
            "save the file as UTF-8",
            location=f"{name}:{line}",
        ) from None


@dataclass
class Source:
    """A parsed YAML file: its data and the line of every mapping key and list item."""

    name: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Sequence[Hashable]) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        key = tuple(_norm(part) for part in path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def where(self, path: Sequence[Hashable]) -> str:
        """``file:line`` of ``path``."""
        return f"{self.name}:{self.line(path)}"

    def validation_errors(self, exc: ValidationError, prefix: Sequence[Hashable] = ()) -> list[str]:
        """Turn a pydantic error into one ``file:line: field: message`` string per problem."""
        errors = []
        for error in exc.errors(include_url=False):
            loc = [*prefix, *(part for part in error["loc"] if part != "[key]")]
            dotted = ".".join(str(part) for part in loc) or "(top)"
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown field (check its spelling)"
            elif error["type"] == "missing":
                message = "required field is missing"
            elif message.startswith("Value error, "):
                message = message.removeprefix("Value error, ")
            if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
                shown = repr(error["input"])
                if len(shown) <= 60:
                    message = f"{message} (got {shown})"
            errors.append(f"{self.where(loc)}: {dotted}: {message}")
        return errors


def _norm(part: Hashable) -> Hashable:
    return part if isinstance(part, int) and not isinstance(part, bool) else str(part)


def parse_yaml(data: bytes, name: str, *, max_bytes: int = MAX_BYTES) -> Source:
    """Parse YAML bytes into plain data plus a line map.

    Raises:
        FormatError: too large, bad encoding, YAML syntax error or duplicate key.
    """
    text = decode(data, name, max_bytes=max_bytes)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        source = Source(name, None)
        source.data = _build(loader, node, (), source) if node is not None else None
        return source
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise FormatError(f"invalid YAML: {problem}", location=f"{name}:{line}") from None
    except yaml.YAMLError as exc:
        raise FormatError(f"invalid YAML: {exc}", location=name) from None
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, source: Source) -> Any:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable) or isinstance(key, list | dict):
                raise FormatError(
                    "a mapping key must be a plain value",
                    location=f"{source.name}:{key_node.start_mark.line + 1}",
                )
            if key in result:
                raise FormatError(
                    f"key {key!r} appears twice in the same mapping",
                    location=f"{source.name}:{key_node.start_mark.line + 1}",
                )
            child = (*path, _norm(key))
            source.lines[child] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, child, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, index), source) for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
