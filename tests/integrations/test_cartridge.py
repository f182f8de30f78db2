"""The Common Cartridge export validates against the IMS CC 1.3 schemas."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from crisis.competences.loader import load_bundled
from crisis.courses.loader import load_units
from crisis.exercises.library import load_bundled as bundled_exercises
from crisis.integrations.activities import catalogue
from crisis.integrations.cartridge import LTICC, export

SCHEMAS = Path(__file__).parent / "cc13_schema"


class _Local(etree.Resolver):
    def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
        name = (url or "").rsplit("/", 1)[-1]
        if (SCHEMAS / name).exists():
            return self.resolve_filename(str(SCHEMAS / name), context)
        return None


def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Local())
    doc = etree.parse(str(SCHEMAS / "ccv1p3_imscp_v1p2_v1p0.xsd"), parser)
    return etree.XMLSchema(doc)


def test_cartridge_validates_against_cc13() -> None:
    cat = load_bundled()
    course = load_units()
    acts = catalogue(course, bundled_exercises())
    package = export(cat, course, acts, launch_url="https://crisis.example.org/lti/launch")
    archive = zipfile.ZipFile(io.BytesIO(package.data))
    manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    schema = _schema()
    assert schema.validate(manifest), schema.error_log
    assert package.units == len(course.units) and package.links > package.units
    ns = {"cp": "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"}
    for res in manifest.iterfind(".//cp:resource", ns):
        for f in res.iterfind("cp:file", ns):
            assert f.get("href") in archive.namelist()
    link = etree.fromstring(archive.read("lti/lti-test.xml"))
    assert link.tag == f"{{{LTICC}}}cartridge_basiclti_link"
    assert "https://crisis.example.org/lti/launch" in archive.read("lti/lti-test.xml").decode()


def test_schema_refuses_a_broken_manifest() -> None:
    """The check can fail: a manifest without its resources is not a cartridge."""
    broken = etree.fromstring(
        b'<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1" identifier="x">'
        b"<metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion>"
        b"</metadata><organizations/></manifest>"
    )
    assert not _schema().validate(broken)
