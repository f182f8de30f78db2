"""A Common Cartridge 1.3 of the curriculum: modules, units as web content, activities as LTI
links back to this instance.

An LMS that imports the cartridge gets the course skeleton: one folder per module holding its
units' text (HTML pages in the package) and, for each unit, the link that launches its activity
in CRISIS through the LTI 1.3 tool registered there.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from crisis.competences.models import Catalogue
from crisis.courses.loader import Course
from crisis.courses.render import render_markdown
from crisis.courses.units import BLOCKS
from crisis.integrations.activities import Activity

CP = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOMM = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LTICC = "http://www.imsglobal.org/xsd/imslticc_v1p3"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"
SCHEMA_LOCATION = (
    f"{CP} http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd "
    f"{LOMM} http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd"
)
LTI_LOCATION = (
    f"{LTICC} http://www.imsglobal.org/xsd/lti/ltiv1p3/imslticc_v1p3.xsd "
    f"{BLTI} http://www.imsglobal.org/xsd/lti/ltiv1p0/imsbasiclti_v1p0p1.xsd "
    f"{LTICM} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticm_v1p0.xsd "
    f"{LTICP} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticp_v1p0.xsd"
)
for _prefix, _ns in (("", CP), ("lomimscc", LOMM), ("xsi", XSI)):
    ET.register_namespace(_prefix, _ns)


@dataclass(frozen=True)
class Cartridge:
    """The package: its file name, bytes, and how many units and links it holds."""

    data: bytes
    modules: int
    units: int
    links: int


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _unit_page(title: str, blocks: dict[str, str], lang: str) -> str:
    body = "\n".join(
        f'<section class="{name}">{render_markdown(blocks[name])}</section>'
        for name in BLOCKS
        if blocks.get(name)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body><h1>{html.escape(title)}</h1>\n"
        f"{body}\n</body></html>\n"
    )


def _lti_link(activity: Activity, launch_url: str, description: str) -> str:
    root = ET.Element(_q(LTICC, "cartridge_basiclti_link"))
    root.set(_q(XSI, "schemaLocation"), LTI_LOCATION)
    ET.SubElement(root, _q(BLTI, "title")).text = activity.title
    ET.SubElement(root, _q(BLTI, "description")).text = description
    custom = ET.SubElement(root, _q(BLTI, "custom"))
    prop = ET.SubElement(custom, _q(LTICM, "property"), name="activity")
    prop.text = activity.key
    ET.SubElement(root, _q(BLTI, "launch_url")).text = launch_url
    if launch_url.startswith("https://"):
        ET.SubElement(root, _q(BLTI, "secure_launch_url")).text = launch_url
    vendor = ET.SubElement(root, _q(BLTI, "vendor"))
    ET.SubElement(vendor, _q(LTICP, "code")).text = "crisis"
    ET.SubElement(vendor, _q(LTICP, "name")).text = "CRISIS"
    ET.register_namespace("", LTICC)
    for prefix, ns in (("blti", BLTI), ("lticm", LTICM), ("lticp", LTICP)):
        ET.register_namespace(prefix, ns)
    text = ET.tostring(root, encoding="unicode")
    ET.register_namespace("", CP)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"


def _lang_string(parent: ET.Element, tag: str, text: str, lang: str) -> None:
    holder = ET.SubElement(parent, _q(LOMM, tag))
    ET.SubElement(holder, _q(LOMM, "string"), language=lang).text = text


def export(
    catalogue: Catalogue,
    course: Course,
    activities: Iterable[Activity],
    *,
    launch_url: str,
    lang: str = "en",
    title: str = "CRISIS — Smart City Resilience Officer curriculum",
) -> Cartridge:
    """Build the cartridge (a zip with ``imsmanifest.xml`` at its root).

    Args:
        catalogue: The competence catalogue (its curriculum gives the modules).
        course: The units.
        activities: Linkable activities (see :func:`crisis.integrations.activities.catalogue`).
        launch_url: This instance's LTI launch URL (``…/lti/launch``).
        lang: Language of titles and unit text.
        title: The cartridge's title.
    """
    by_key = {a.key: a for a in activities}
    manifest = ET.Element(_q(CP, "manifest"), identifier="crisis-curriculum")
    manifest.set(_q(XSI, "schemaLocation"), SCHEMA_LOCATION)
    metadata = ET.SubElement(manifest, _q(CP, "metadata"))
    ET.SubElement(metadata, _q(CP, "schema")).text = "IMS Common Cartridge"
    ET.SubElement(metadata, _q(CP, "schemaversion")).text = "1.3.0"
    lom = ET.SubElement(metadata, _q(LOMM, "lom"))
    general = ET.SubElement(lom, _q(LOMM, "general"))
    _lang_string(general, "title", title, lang)
    organizations = ET.SubElement(manifest, _q(CP, "organizations"))
    organization = ET.SubElement(
        organizations, _q(CP, "organization"), identifier="org", structure="rooted-hierarchy"
    )
    root_item = ET.SubElement(organization, _q(CP, "item"), identifier="root")
    resources = ET.SubElement(manifest, _q(CP, "resources"))
    files: dict[str, str] = {}
    counts = {"modules": 0, "units": 0, "links": 0}

    def link(parent: ET.Element, activity: Activity, ident: str, description: str) -> None:
        href = f"lti/{ident}.xml"
        files[href] = _lti_link(activity, launch_url, description)
        item = ET.SubElement(parent, _q(CP, "item"), identifier=f"i-{ident}", identifierref=ident)
        ET.SubElement(item, _q(CP, "title")).text = activity.title
        res = ET.SubElement(
            resources, _q(CP, "resource"), identifier=ident, type="imsbasiclti_xmlv1p3"
        )
        ET.SubElement(res, _q(CP, "file"), href=href)
        counts["links"] += 1

    start = ET.SubElement(root_item, _q(CP, "item"), identifier="journey")
    ET.SubElement(start, _q(CP, "title")).text = "Where you stand"
    for key in ("self-assessment", "test"):
        if key in by_key:
            link(start, by_key[key], f"lti-{key}", by_key[key].title)

    for module in catalogue.curriculum.modules:
        units = course.of_module(module.id)
        linked = [a for a in by_key.values() if a.kind == "exercise" and a.module == module.id]
        if not units and not linked:
            continue
        counts["modules"] += 1
        folder = ET.SubElement(root_item, _q(CP, "item"), identifier=f"m-{module.id}")
        ET.SubElement(folder, _q(CP, "title")).text = f"{module.id} {module.title.get(lang)}"
        for unit in units:
            text = unit.translations.get(lang, unit.text) if lang != "en" else unit.text
            ident = f"u-{unit.id}"
            href = f"units/{unit.id}.html"
            files[href] = _unit_page(f"{unit.id} {text.title}", text.blocks, lang)
            item = ET.SubElement(
                folder, _q(CP, "item"), identifier=f"i-{ident}", identifierref=ident
            )
            ET.SubElement(item, _q(CP, "title")).text = f"{unit.id} {text.title}"
            res = ET.SubElement(
                resources, _q(CP, "resource"), identifier=ident, type="webcontent", href=href
            )
            ET.SubElement(res, _q(CP, "file"), href=href)
            counts["units"] += 1
            for key in (f"unit:{unit.id}", f"workbench:{unit.id}"):
                if key in by_key:
                    link(folder, by_key[key], f"lti-{unit.id}", f"The activity of unit {unit.id}")

    exercises = [a for a in by_key.values() if a.kind == "exercise"]
    if exercises:
        folder = ET.SubElement(root_item, _q(CP, "item"), identifier="exercises")
        ET.SubElement(folder, _q(CP, "title")).text = "Exercises"
        for activity in exercises:
            link(folder, activity, "lti-" + activity.key.split(":", 1)[1], activity.title)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "imsmanifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(manifest, encoding="unicode")
            + "\n",
        )
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    return Cartridge(buffer.getvalue(), counts["modules"], counts["units"], counts["links"])
