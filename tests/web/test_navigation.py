"""Each role follows every link it is shown, and none leads to a page it may not open."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROLES, login
from tests.site import STARTS, Site, crawl, route_of

pytestmark = pytest.mark.slow


def _walk(site: Site, role: str | None) -> tuple[list[tuple[str, str, int]], set[str]]:
    with TestClient(site.app, base_url="http://testserver") as client:
        if role is not None:
            login(client, role)

        def fetch(path: str) -> tuple[int, str]:
            response = client.get(path, follow_redirects=False)
            where = response.headers.get("location", "")
            return response.status_code, response.text if response.status_code == 200 else where

        starts = STARTS if role is not None else ("/",)
        visited = [(p, ref, status) for p, ref, status, _html in crawl(site.app, fetch, starts)]
    routes = {route_of(site.app, path) for path, _ref, status in visited if status == 200}
    return visited, routes


@pytest.mark.parametrize("role", ROLES)
def test_no_link_leads_a_role_to_a_forbidden_page(site: Site, role: str) -> None:
    visited, routes = _walk(site, role)
    forbidden = [
        f"{path} (linked from {referrer or 'the start'})"
        for path, referrer, status in visited
        if status == 403
    ]
    assert forbidden == []
    broken = [
        f"{path} → {status} (from {referrer})"
        for path, referrer, status in visited
        if status >= 400
    ]
    assert broken == []
    # The walk reached the role's own work, so an empty crawl cannot pass.
    expected = {
        "learner": {"/learning/profile", "/exercises/runs/{run_id}", "/learning/test/{attempt_id}"},
        "instructor": {"/learning/cohorts/{cohort_id}", "/exercises/tabletop/{session_id}"},
        "analyst": {"/workbench/{name}/priorities", "/workbench/{name}/hazards/{hazard_id}"},
        "admin": {"/admin/users", "/workbench/{name}/weights", "/competences/manage"},
    }[role]
    assert expected <= routes, sorted(expected - routes)


def test_a_visitor_is_never_sent_to_sign_in_by_a_public_link(site: Site) -> None:
    visited, routes = _walk(site, None)
    to_login = [
        f"{path} (linked from {referrer})"
        for path, referrer, status in visited
        if status in (302, 303) and not path.startswith(("/login", "/register"))
    ]
    assert to_login == []
    assert {"/", "/about", "/glossary", "/demo", "/competences/modules/{module_id}"} <= routes
