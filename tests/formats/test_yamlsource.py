"""The one YAML reader: lines, duplicate keys, and no bombs."""

from __future__ import annotations

import pytest

from crisis.exceptions import FormatError, LimitExceededError
from crisis.formats import MAX_YAML_ALIASES, MAX_YAML_DEPTH, parse_yaml
from tests.hostile import deep_yaml, yaml_alias_bomb


def test_every_key_and_item_knows_its_line() -> None:
    source = parse_yaml(b"name: x\nareas:\n  - id: A\n    title: T\n  - id: B\n", "f.yaml")
    assert source.data == {"name": "x", "areas": [{"id": "A", "title": "T"}, {"id": "B"}]}
    assert source.where(["areas", 1, "id"]) == "f.yaml:5"
    assert source.line(["areas", 0, "title"]) == 4
    assert source.line(["areas", 7]) == 2  # unknown paths fall back to their parent


def test_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(LimitExceededError) as info:
        parse_yaml(yaml_alias_bomb(), "bomb.yaml")
    assert "once its aliases are resolved" in str(info.value)
    assert info.value.status_code == 422 and info.value.limit == "YAML expanded values"


def test_many_aliases_are_refused_even_when_each_is_small() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_YAML_ALIASES + 1)) + "]\n"
    with pytest.raises(LimitExceededError, match=r"many.yaml:2: more than 1,000 aliases"):
        parse_yaml(text.encode(), "many.yaml")


@pytest.mark.parametrize("depth", [MAX_YAML_DEPTH + 1, 600, 5000])
def test_deep_nesting_is_refused_with_its_line(depth: int) -> None:
    with pytest.raises(LimitExceededError, match=r"deep.yaml:1: nested more than 50 levels"):
        parse_yaml(deep_yaml(depth), "deep.yaml")


def test_aliases_that_nest_too_deep_are_refused() -> None:
    levels = "\n".join(f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, 60))
    with pytest.raises(LimitExceededError, match="nested more than 50 levels"):
        parse_yaml(f"l0: &l0 [1]\n{levels}\n".encode(), "chain.yaml")


def test_a_document_that_contains_itself_is_refused() -> None:
    with pytest.raises(FormatError, match=r"loop.yaml:1: an alias refers to a value"):
        parse_yaml(b"&a [*a]\n", "loop.yaml")


def test_reasonable_aliases_and_nesting_are_read() -> None:
    inner = MAX_YAML_DEPTH - 1  # the document's mapping is the first level
    text = "base: &b {x: 1}\nmine: *b\nnested: " + "[" * inner + "]" * inner
    data = parse_yaml(text.encode(), "ok.yaml").data
    assert data["mine"] == {"x": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"a: 1\na: 2\n", r"dup.yaml:2: key 'a' appears twice"),
        (b"a: [1\n", r"dup.yaml:2: invalid YAML"),
        (b"a: \xff\n", r"dup.yaml:1: column 4: byte 0xff is not valid UTF-8"),
    ],
)
def test_broken_files_name_the_line(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_yaml(data, "dup.yaml")


def test_size_limit_names_the_limit() -> None:
    with pytest.raises(LimitExceededError, match="larger than the limit of 10 bytes") as info:
        parse_yaml(b"a: 12345678901\n", "big.yaml", max_bytes=10)
    assert info.value.status_code == 413
