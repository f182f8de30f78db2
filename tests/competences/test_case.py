"""CASE 1.0 packages validate against the CFPackage JSON schema, stay byte-identical while the
content is unchanged, and read back into the same framework."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from crisis.competences import load_bundled
from crisis.competences.case import (
    export_case,
    export_case_curriculum,
    to_case,
    to_case_curriculum,
)
from crisis.competences.case_import import import_case
from crisis.competences.models import Catalogue
from crisis.competences.moodle import import_framework
from crisis.exceptions import ContentError

SCHEMA = json.loads(
    (Path(__file__).parent / "case_schema" / "case-v1p0-cfpackage-schema.json").read_text("utf-8")
)
BASE = "https://crisis.example.edu"
MOODLE = Path(__file__).parent / "data" / "moodle_emergency.csv"


def _strict(schema):
    """The schema read strictly: its ``additionalProperties`` objects that merely name a
    property (CFDocumentURI, CFPackageURI) become ``false``, so no undeclared property passes."""
    strict = copy.deepcopy(schema)
    for definition in strict["definitions"].values():
        if isinstance(definition.get("additionalProperties"), dict):
            definition["additionalProperties"] = False
    return strict


VALIDATORS = {
    "as published": jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()),
    "strict": jsonschema.Draft7Validator(
        _strict(SCHEMA), format_checker=jsonschema.FormatChecker()
    ),
}


@pytest.mark.parametrize("lang", ["en", "el", "de", "pt"])
@pytest.mark.parametrize("part", [export_case, export_case_curriculum])
def test_packages_validate_with_no_error_in_every_language(lang, part):
    package = json.loads(part(load_bundled(), lang, base_url=BASE))
    for name, validator in VALIDATORS.items():
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(package)]
        assert errors == [], f"{name}: {len(errors)} errors, first {errors[:3]}"
    assert all("CFDocumentURI" not in entry for entry in package["CFItems"])


def test_unchanged_content_exports_byte_identical_with_the_contents_date():
    cat = load_bundled()
    first, second = export_case(cat, "el", base_url=BASE), export_case(cat, "el", base_url=BASE)
    assert first == second
    stamps = {i["lastChangeDateTime"] for i in json.loads(first)["CFItems"]}
    assert stamps == {f"{cat.framework.updated.isoformat()}T00:00:00+00:00"}
    # An upload without an 'updated' date takes the upload time instead, not the export time.
    data = MOODLE.read_bytes()
    uploaded = Catalogue.model_validate(
        {
            "framework": import_framework(data),
            "curriculum": {"id": "c", "title": "C", "modules": []},
        }
    )
    when = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
    package = to_case(uploaded, base_url=BASE, changed=when)
    assert package["CFDocument"]["lastChangeDateTime"] == "2025-03-14T09:26:53+00:00"


def test_every_language_has_its_own_stable_identifiers_under_the_base_url():
    cat = load_bundled()
    english, greek = to_case(cat, "en", base_url=BASE), to_case(cat, "el", base_url=BASE)
    ids_en = {i["identifier"] for i in english["CFItems"]}
    ids_el = {i["identifier"] for i in greek["CFItems"]}
    assert len(ids_en) == len(english["CFItems"]) and not ids_en & ids_el
    assert all(i["uri"].startswith(f"{BASE}/ims/case/v1p0/CFItems/") for i in greek["CFItems"])
    assert to_case(cat, "el", base_url=BASE) == greek
    other = to_case(cat, "el", base_url="https://other.example.edu")
    assert not {i["identifier"] for i in other["CFItems"]} & ids_el


def _pairs(package):
    code = {i["identifier"]: i.get("humanCodingScheme") for i in package["CFItems"]}
    return {
        (
            a["associationType"],
            code.get(a["originNodeURI"]["identifier"]),
            code.get(a["destinationNodeURI"]["identifier"], a["destinationNodeURI"]["uri"]),
        )
        for a in package["CFAssociations"]
    }


def test_tree_mappings_and_education_levels():
    cat = load_bundled()
    package = to_case(cat, base_url=BASE)
    pairs = _pairs(package)
    doc = package["CFDocument"]["uri"]
    assert ("isChildOf", "C11", "A-RES") in pairs
    assert ("isChildOf", "A-RES", doc) in pairs
    assert ("isChildOf", "C11-L3", "C11") in pairs
    tops = {o for kind, o, d in pairs if kind == "isChildOf" and d == doc}
    assert tops == {area.id for area in cat.framework.areas}  # modules are not beside the areas
    comp = next(c for c in cat.framework.competences if c.mappings.ecf)
    assert ("isRelatedTo", comp.id, f"urn:crisis:ecf:{comp.mappings.ecf[0]}") in pairs
    item = next(i for i in package["CFItems"] if i["humanCodingScheme"] == comp.id)
    assert item["educationLevel"] == [f"EQF {comp.mappings.eqf}"]


def test_curriculum_is_its_own_document_linked_to_the_framework():
    cat = load_bundled()
    framework = to_case(cat, base_url=BASE)
    curriculum = to_case_curriculum(cat, base_url=BASE)
    assert curriculum["CFDocument"]["identifier"] != framework["CFDocument"]["identifier"]
    pairs = _pairs(curriculum)
    precedes = {(o, d) for kind, o, d in pairs if kind == "precedes"}
    assert precedes == {(p, m.id) for m in cat.curriculum.modules for p in m.prerequisites}
    levels = {i["identifier"]: i["humanCodingScheme"] for i in framework["CFItems"]}
    module = cat.curriculum.modules[0]
    outcome = module.outcomes[0]
    linked = [
        levels.get(a["destinationNodeURI"]["identifier"])
        for a in curriculum["CFAssociations"]
        if a["associationType"] == "isRelatedTo"
        and a["originNodeURI"]["title"] == outcome.text.get("en")
    ]
    assert linked == [f"{outcome.competence}-L{outcome.level}"]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_case_import_reads_back_the_same_framework(lang):
    cat = load_bundled()
    back = import_case(export_case(cat, lang, base_url=BASE).encode(), "scro.json")
    fw = cat.framework

    def tree(framework, lang):
        return [
            (
                a.id,
                a.title.get(lang),
                [
                    (
                        c.id,
                        c.title.get(lang),
                        c.description.get(lang) if c.description else None,
                        [s.get(lang) for s in (*c.knowledge, *c.skills, *c.attitudes)],
                        {k: v.get(lang) for k, v in c.levels.items()},
                        c.related,
                        c.mappings,
                    )
                    for c in a.competences
                ],
            )
            for a in framework.areas
        ]

    assert tree(back, "en") == tree(fw, lang)
    assert [lvl.name.get("en") for lvl in back.scale.levels[1:]] == [
        lvl.name.get(lang) for lvl in fw.scale.levels[1:]
    ]
    assert back.updated == fw.updated


def test_a_four_level_moodle_framework_goes_through_case_unchanged():
    framework = import_framework(MOODLE.read_bytes())
    cat = Catalogue.model_validate(
        {"framework": framework, "curriculum": {"id": "c", "title": "C", "modules": []}}
    )
    package = to_case(cat, base_url=BASE, changed=datetime(2025, 1, 1, tzinfo=UTC))
    back = import_case(json.dumps(package).encode(), "emergency.json")
    assert [(c.id, c.parent, c.area, c.related) for c in back.competences] == [
        (c.id, c.parent, c.area, c.related) for c in framework.competences
    ]


def test_a_broken_package_lists_every_problem_with_its_line():
    package = to_case(load_bundled(), base_url=BASE)
    package["CFItems"][1]["fullStatement"] = ""
    package["CFItems"][2]["identifier"] = package["CFItems"][0]["identifier"]
    package["CFAssociations"][0]["destinationNodeURI"]["identifier"] = "nowhere"
    text = json.dumps(package, indent=1)
    with pytest.raises(ContentError) as info:
        import_case(text.encode(), "mine.json")
    lines = text.splitlines()
    errors = info.value.errors
    assert len(errors) == 4  # the third item's association now points at no item, too
    blank = next(n for n, line in enumerate(lines, 1) if '"fullStatement": ""' in line)
    assert errors[0].startswith("mine.json:")
    assert any(e.endswith("CFItems.1.fullStatement: required text is missing") for e in errors)
    assert any("is used twice" in e for e in errors)
    assert any("parent 'nowhere' is neither the document nor an item" in e for e in errors)
    assert any("is not an item of the package" in e for e in errors)
    where = [int(e.split(":")[1]) for e in errors]
    assert all(1 < n < len(lines) for n in where)
    assert any(abs(n - blank) < 12 for n in where)


def test_not_a_case_package_is_refused():
    with pytest.raises(ContentError, match="not a CASE package"):
        import_case(b'{"framework": {}}', "x.json")
