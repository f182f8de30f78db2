"""Each role signs in with a real Chromium, visits its pages, and leaves screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import follow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PAGES = {
    "learner": ["/competences", "/learning", "/exercises", "/account"],
    "instructor": ["/competences", "/learning", "/exercises"],
    "analyst": ["/competences", "/workbench"],
    "admin": ["/competences", "/workbench", "/admin/users"],
}


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/learning" if username != "analyst" else f"{base}/workbench")
    assert "/login" in page.url  # anonymous visitors are sent to sign in first
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))


@pytest.mark.parametrize("role", list(PAGES))
def test_role_signs_in_and_visits_its_pages(
    page: Any, live_server: str, artifacts: Path, role: str
) -> None:
    _sign_in(page, live_server, role)
    assert "/login" not in page.url
    assert page.locator(".account-link").inner_text().startswith(f"Demo {role}")
    for path in PAGES[role]:
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        nav_links = page.locator("nav .nav a").all_inner_texts()
        assert "Competences" in nav_links
        assert ("Admin" in nav_links) == (role == "admin")
    page.screenshot(path=str(artifacts / f"role-{role}.png"), full_page=True)
    if role != "admin":
        denied = page.goto(live_server + "/admin/users")
        assert denied is not None and denied.status == 403


def test_keyboard_reaches_the_content_and_language_switch(page: Any, live_server: str) -> None:
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to content" in focused
    # Picking a language submits the form (our script); wait for that page load, not the URL,
    # which is "/" before and after.
    with page.expect_navigation():
        page.select_option("#language-select", "el")
    assert page.locator("html").get_attribute("lang") == "el"
    assert page.get_by_role("link", name="Σύνδεση").count() >= 1
