"""In Chromium: an instructor awards a level, the learner downloads the badge image, and a
visitor without an account verifies the downloaded file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/login?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{then}")


def test_award_download_and_verify_a_badge(
    page: Any, live_server: str, artifacts: Path, tmp_path: Path
) -> None:
    _sign_in(page, live_server, "instructor", "/credentials/manage")
    page.select_option("#issue-learner", "learner")
    page.select_option("#issue-competence", "C11")
    page.select_option("#issue-level", "3")
    page.fill("#issue-note", "led the review of the hazard register")
    page.get_by_role("button", name="Issue", exact=True).click()
    page.wait_for_selector("#issued")
    page.context.clear_cookies()

    _sign_in(page, live_server, "learner", "/credentials")
    card = page.locator(".credential-card").first
    assert "Hazard identification and risk assessment: Advanced" in card.inner_text()
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(artifacts / "credentials-wallet-390.png"), full_page=True)
    with page.expect_download() as download:
        card.get_by_role("link", name="PNG").click()
    badge = tmp_path / "badge.png"
    download.value.save_as(badge)
    page.context.clear_cookies()

    page.goto(f"{live_server}/credentials/verify")
    page.set_input_files("#verify-file", str(badge))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict h2").inner_text() == "Valid: every check passed"
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(artifacts / "credentials-verified-1366.png"), full_page=True)
