"""The one YAML reader: strict UTF-8, a size limit, every value's line, and no bombs.

YAML is composed to nodes first, so the line of every mapping key and list item is known and
duplicate keys are caught; nesting depth, aliases and the size of the document once aliases
are expanded are limited before anything is built (:mod:`crisis.formats.limits`). JSON is
YAML, so JSON files go through here too.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from crisis.exceptions import FormatError, LimitExceededError
from crisis.formats.limits import MAX_BYTES, MAX_YAML_ALIASES, MAX_YAML_DEPTH, MAX_YAML_NODES
from crisis.formats.validation import describe_errors, format_loc

Path_ = tuple[Hashable, ...]


def decode(data: bytes | str, name: str, *, max_bytes: int = MAX_BYTES) -> str:
    """Decode ``data`` as UTF-8 (a byte-order mark is allowed), enforcing the size limit.

    Raises:
        LimitExceededError: the file is larger than ``max_bytes``.
        FormatError: the file is not valid UTF-8 (naming the line and column).
    """
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise LimitExceededError(
            f"file is {size:,} bytes, larger than the limit of {max_bytes:,} bytes",
            limit="bytes",
            value=max_bytes,
            location=name,
            too_large=True,
        )
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
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
    """A parsed YAML file: its data and the line of every mapping key and list item.

    ``lines`` holds the line of each path's key (or list item); ``starts`` the line where
    each path's value begins (for a block mapping under a key, the line after it).
    """

    name: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    starts: dict[Path_, int] = field(default_factory=dict)

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
        """One ``file:line: field: message`` string per problem of ``exc``."""
        return describe_errors(exc, where=self.where, prefix=prefix)

    def field(self, path: Sequence[Hashable]) -> str:
        """``path`` written as a field name (``areas[0].competences[2]``)."""
        return format_loc(path)


def _norm(part: Hashable) -> Hashable:
    return part if isinstance(part, int) and not isinstance(part, bool) else str(part)


class _Loader(yaml.SafeLoader):
    """Safe YAML that counts aliases and nesting while it composes."""

    def __init__(self, stream: str, name: str) -> None:
        super().__init__(stream)
        self._name = name
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise LimitExceededError(
                    f"more than {MAX_YAML_ALIASES:,} aliases (*name) in one document",
                    limit="YAML aliases",
                    value=MAX_YAML_ALIASES,
                    location=f"{self._name}:{line}",
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _too_deep(f"{self._name}:{line}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _too_deep(location: str) -> LimitExceededError:
    return LimitExceededError(
        f"nested more than {MAX_YAML_DEPTH} levels deep",
        limit="YAML nesting depth",
        value=MAX_YAML_DEPTH,
        location=location,
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse documents whose aliases expand too far, or refer to themselves.

    Sizes and depths are counted once per node (aliases share nodes), so a small document
    that would expand to billions of values is measured in a few steps.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            where = f"{name}:{node.start_mark.line + 1}"
            if size[key] > MAX_YAML_NODES:
                raise LimitExceededError(
                    f"expands to more than {MAX_YAML_NODES:,} values once its aliases are resolved",
                    limit="YAML expanded values",
                    value=MAX_YAML_NODES,
                    location=where,
                )
            if depth[key] > MAX_YAML_DEPTH:
                raise _too_deep(where)
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for kid in _children(node):
            if id(kid) in on_path:
                raise FormatError(
                    "an alias refers to a value that contains it",
                    location=f"{name}:{kid.start_mark.line + 1}",
                )
            if id(kid) not in size:
                stack.append((kid, False))


def parse_yaml(data: bytes | str, name: str, *, max_bytes: int = MAX_BYTES) -> Source:
    """Parse YAML (or JSON) into plain data plus a line map.

    Raises:
        LimitExceededError: too large, too deep, too many aliases or expands too far.
        FormatError: bad encoding, YAML syntax error or duplicate key.
    """
    text = decode(data, name, max_bytes=max_bytes)
    loader = _Loader(text, name)
    try:
        node = loader.get_single_node()
        source = Source(name, None)
        if node is not None:
            _check_expansion(node, name)
            source.data = _build(loader, node, (), source)
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
    source.starts[path] = node.start_mark.line + 1
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
