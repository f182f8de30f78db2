"""Whole-catalogue JSON/YAML documents and the published JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crisis.competences import load_bundled, load_catalogue
from crisis.competences.documents import (
    export_json,
    export_yaml,
    import_document,
    json_schemas,
    write_folder,
)
from crisis.exceptions import ContentError

DOCS = Path(__file__).parents[2] / "docs" / "schema"


def test_published_schemas_equal_the_generated_ones():
    for name, schema in json_schemas().items():
        published = json.loads((DOCS / name).read_text(encoding="utf-8"))
        assert published == schema, f"docs/schema/{name} is stale; regenerate it"


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_document_round_trip(fmt, tmp_path):
    cat = load_bundled()
    text = export_json(cat) if fmt == "json" else export_yaml(cat)
    assert import_document(text.encode(), f"cat.{fmt}") == cat
    write_folder(cat, tmp_path)
    assert load_catalogue(tmp_path) == cat


def test_document_errors_carry_lines():
    text = export_yaml(load_bundled()).replace(
        "prerequisites:\n    - M07", "prerequisites:\n    - M77", 1
    )
    line = text.splitlines().index("    - M77") + 1
    with pytest.raises(ContentError) as info:
        import_document(text.encode(), "cat.yaml")
    assert info.value.errors == [
        f"cat.yaml:{line}: module M08 lists prerequisite 'M77', which does not exist"
    ]
