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


def _schema(name: str = "ccv1p3_imscp_v1p2_v1p0.xsd") -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Local())
    doc = etree.parse(str(SCHEMAS / name), parser)
    return etree.XMLSchema(doc)


def _link_schema() -> etree.XMLSchema:
    """The schema of a Common Cartridge 1.3 LTI link (imslticc_v1p3 and its imports)."""
    return _schema("imslticc_v1p3.xsd")


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
    # Every LTI link file validates against the CC 1.3 LTI link schema.
    links = [n for n in archive.namelist() if n.startswith("lti/")]
    assert len(links) == package.links
    link_schema = _link_schema()
    for name in links:
        doc = etree.fromstring(archive.read(name))
        assert link_schema.validate(doc), (name, link_schema.error_log)
    # The manifest declares each link as a CC 1.3 LTI link resource.
    types = {r.get("type") for r in manifest.iterfind(".//cp:resource", ns)}
    assert types == {"webcontent", "imsbasiclti_xmlv1p3"}


def test_link_schema_refuses_a_link_without_its_vendor() -> None:
    """The link check can fail: the vendor is required."""
    broken = etree.fromstring(
        b'<cartridge_basiclti_link xmlns="http://www.imsglobal.org/xsd/imslticc_v1p3" '
        b'xmlns:blti="http://www.imsglobal.org/xsd/imsbasiclti_v1p0">'
        b"<blti:title>Test</blti:title>"
        b"<blti:launch_url>https://crisis.example.org/lti/launch</blti:launch_url>"
        b"</cartridge_basiclti_link>"
    )
    schema = _link_schema()
    assert not schema.validate(broken)
    assert "vendor" in str(schema.error_log)


def test_schema_refuses_a_broken_manifest() -> None:
    """The check can fail: a manifest without its resources is not a cartridge."""
    broken = etree.fromstring(
        b'<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1" identifier="x">'
        b"<metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion>"
        b"</metadata><organizations/></manifest>"
    )
    assert not _schema().validate(broken)
