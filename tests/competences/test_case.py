"""CASE 1.0 export validates against the CASE CFPackage JSON schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from crisis.competences import load_bundled
from crisis.competences.case import export_case, to_case

SCHEMA = json.loads(
    (Path(__file__).parent / "case_schema" / "case-v1p0-cfpackage-schema.json").read_text("utf-8")
)
WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_package_is_valid_case_1_0():
    package = json.loads(export_case(load_bundled(), "de", changed=WHEN))
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(package)) == []


def test_hierarchy_and_prerequisites_are_associations():
    cat = load_bundled()
    package = to_case(cat, changed=WHEN)
    by_id = {item["identifier"]: item["humanCodingScheme"] for item in package["CFItems"]}
    pairs = {
        (
            a["associationType"],
            by_id.get(a["originNodeURI"]["identifier"]),
            by_id.get(a["destinationNodeURI"]["identifier"], "document"),
        )
        for a in package["CFAssociations"]
    }
    assert ("isChildOf", "C11", "A-RES") in pairs
    assert ("isChildOf", "A-RES", "document") in pairs
    assert ("isChildOf", "C11-L3", "C11") in pairs
    precedes = {(o, d) for kind, o, d in pairs if kind == "precedes"}
    expected = {(p, m.id) for m in cat.curriculum.modules for p in m.prerequisites}
    assert precedes == expected and ("M11", "M14") in precedes


def test_identifiers_are_stable():
    cat = load_bundled()
    assert to_case(cat, changed=WHEN) == to_case(cat, changed=WHEN)
    assert len({i["identifier"] for i in to_case(cat, changed=WHEN)["CFItems"]}) == len(
        to_case(cat, changed=WHEN)["CFItems"]
    )
