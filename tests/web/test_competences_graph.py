"""The prerequisite graph's layout: columns by topological depth, no overlaps, valid SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from crisis.competences import load_bundled
from crisis.web.competences_graph import NODE_H, NODE_W, depths, draw, layout

SVG = "{http://www.w3.org/2000/svg}"


def test_every_module_sits_one_column_after_its_deepest_prerequisite() -> None:
    modules = load_bundled().curriculum.modules
    depth = depths(modules)
    for module in modules:
        expected = 1 + max((depth[p] for p in module.prerequisites), default=-1)
        assert depth[module.id] == expected, module.id
    placed = {p.module.id: p for p in layout(modules)}
    for module in modules:
        for pre in module.prerequisites:
            assert placed[pre].x + NODE_W < placed[module.id].x  # arrows run left to right


def test_boxes_do_not_overlap() -> None:
    placed = layout(load_bundled().curriculum.modules)
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            apart_x = a.x + NODE_W <= b.x or b.x + NODE_W <= a.x
            apart_y = a.y + NODE_H <= b.y or b.y + NODE_H <= a.y
            assert apart_x or apart_y, (a.module.id, b.module.id)


def test_drawing_is_well_formed_svg_with_title_and_description() -> None:
    cat = load_bundled()
    text = draw(cat, "el", title="Γράφος <1>", description="desc & more", module_ids=["M01", "M02"])
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Γράφος <1>"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "desc & more"  # type: ignore[union-attr]
    links = root.findall(f".//{SVG}a")
    assert [a.get("data-module") for a in links] == ["M01", "M02"]
    assert cat.module("M02").title.get("el")[:10] in text
    assert len(root.findall(f".//{SVG}g[@class='edges']/{SVG}path")) == 1
