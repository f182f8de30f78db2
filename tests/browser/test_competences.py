"""In Chromium: browse a competence in Greek, read the coverage matrix, upload a broken YAML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from crisis.competences import load_bundled
from tests.browser.conftest import follow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

BROKEN = b"""id: our-framework
title: Our framework
scale:
  levels:
    - value: 0
      name: Not yet
    - value: 1
     name: Basic
areas: []
"""
WRONG_FIELDS = b"""id: our-framework
title: Our framework
scale:
  levels:
    - {value: 0, name: Not yet}
    - {value: 1, name: Basic}
    - {value: 2, name: Intermediate}
    - {value: 3, name: Advanced}
    - {value: 4, name: Expert}
areas:
  - id: A-ONE
    title: One
    competences:
      - id: C01
        title: First
        description: The first competence.
        levels: {1: Knows it, 2: Does it, 3: Leads it}
        colour: red
"""


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login?next=/competences")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/competences")


def test_browse_a_competence_in_greek(page: Any, live_server: str, artifacts: Path) -> None:
    from playwright.sync_api import expect

    comp = load_bundled().competence("C01")
    _sign_in(page, live_server, "learner")
    with page.expect_navigation():
        page.select_option("#language-select", "el")  # the switch submits itself
    expect(page.locator("html")).to_have_attribute("lang", "el")
    assert page.url == f"{live_server}/competences"
    page.get_by_role("link", name=re.compile(comp.title.get("el"))).click()
    page.wait_for_url(f"{live_server}/competences/C01")
    assert comp.title.get("el") in page.locator("h1").inner_text()
    levels = page.locator("table.levels thead th").all_inner_texts()
    assert len(levels) == 4 and levels[0].startswith("1 · ")
    for value in (1, 2, 3, 4):
        assert page.get_by_text(comp.levels[value].get("el")).is_visible()
    assert page.get_by_role("heading", name="Επίπεδα επάρκειας").is_visible()
    page.screenshot(path=str(artifacts / "competences-C01-el.png"), full_page=True)


def test_coverage_matrix_and_prerequisite_graph(
    page: Any, live_server: str, artifacts: Path
) -> None:
    _sign_in(page, live_server, "analyst")
    page.get_by_role("link", name="Coverage matrix").first.click()
    page.wait_for_url(f"{live_server}/competences/coverage")
    matrix = page.locator("#coverage-matrix")
    assert matrix.is_visible()
    first_cell = matrix.locator('tr[data-competence="C01"] td').first
    assert first_cell.inner_text().strip() == "2"  # M01 reaches C01 at Intermediate
    rows = matrix.locator("tbody tr[data-competence]").count()
    assert rows == len(load_bundled().framework.competences)
    page.screenshot(path=str(artifacts / "competences-coverage.png"), full_page=True)
    page.get_by_role("link", name="Prerequisite graph").first.click()
    page.wait_for_url(f"{live_server}/competences/graph")
    graph = page.locator("svg.prereq-graph")
    assert graph.is_visible()
    assert graph.locator("a").count() == len(load_bundled().curriculum.modules)
    page.screenshot(path=str(artifacts / "competences-graph.png"), full_page=True)
    graph.locator('a[data-module="M06"]').click()
    page.wait_for_url(f"{live_server}/competences/modules/M06")


def test_instructor_uploads_a_broken_yaml_and_sees_line_numbers(
    page: Any, live_server: str, artifacts: Path
) -> None:
    _sign_in(page, live_server, "instructor")
    page.get_by_role("link", name="Upload and manage").click()
    page.wait_for_url(f"{live_server}/competences/manage")
    page.set_input_files(
        "#upload-files",
        files=[{"name": "framework.yaml", "mimeType": "application/x-yaml", "buffer": BROKEN}],
    )
    follow(page, page.get_by_role("button", name="Check and upload"))
    errors = page.locator("#upload-errors")
    assert errors.is_visible()
    items = errors.locator("li").all_inner_texts()
    assert items and all(re.match(r"framework\.yaml:\d+: ", item) for item in items)
    assert "framework.yaml:8: invalid YAML" in items[0]
    assert "Nothing was stored" in errors.inner_text()
    page.screenshot(path=str(artifacts / "competences-upload-yaml-syntax.png"), full_page=True)
    assert page.locator("#catalogues tbody tr").count() == 1  # only the bundled content
    # A file that parses but breaks the format: every problem, each with its line.
    page.set_input_files(
        "#upload-files",
        files=[
            {"name": "our-framework.yaml", "mimeType": "application/x-yaml", "buffer": WRONG_FIELDS}
        ],
    )
    follow(page, page.get_by_role("button", name="Check and upload"))
    items = page.locator("#upload-errors li").all_inner_texts()
    assert [item.split(": ")[0] for item in items] == [
        "our-framework.yaml:17",
        "our-framework.yaml:18",
    ]
    assert "missing [4]" in items[0] and "colour: unknown field" in items[1]
    page.screenshot(path=str(artifacts / "competences-upload-errors.png"), full_page=True)
    assert page.locator("#catalogues tbody tr").count() == 1
