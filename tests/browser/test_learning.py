"""The learner journey in a real Chromium: self-assessment, adaptive test, radar and gaps,
path with a calendar, PDF report; an instructor's view of the seeded demo cohort."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from crisis.settings import Settings
from crisis.store import learning, users
from crisis.store.db import make_engine
from crisis.store.migrate import upgrade
from crisis.web.app import create_app
from tests.browser.conftest import _free_port, follow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[str]:
    """The app with a learner, an instructor and the demo cohort, as `crisis db upgrade
    --demo-accounts` seeds it."""
    root = tmp_path_factory.mktemp("learning")
    engine = make_engine(f"sqlite:///{root / 'crisis.db'}")
    upgrade(engine)
    with Session(engine) as db, db.begin():
        users.add_user(db, "learner", PASSWORD, "learner", display_name="Maria Learner")
        teacher = users.add_user(db, "instructor", PASSWORD, "instructor", display_name="Demo i")
        learning.seed_demo_cohort(db, teacher)
    settings = Settings(data_dir=root, secret_key="browser-test-secret-0123", cache_dir=cache_dir)
    app = create_app(settings, engine=engine)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login?next=/learning")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/learning")


def test_a_new_learner_goes_through_the_journey(page: Any, server: str, artifacts: Path) -> None:
    _sign_in(page, server, "learner")
    follow(page, page.get_by_role("link", name="1. Self-assessment"))
    # Twenty competences, one page each; a mix of levels, picked by their statements.
    for k in range(20):
        legend = page.locator("fieldset legend strong").inner_text()
        assert legend.startswith(f"C{k + 1:02d}")
        if k == 0:
            page.screenshot(path=str(artifacts / "learning-self-assessment.png"), full_page=True)
        page.locator(f"#level-{(k % 3) + 1}").check()
        follow(page, page.get_by_role("button", name="Save and continue"))
    assert page.url.endswith("/learning/self-assessment/summary")
    assert page.locator("table tbody tr").count() == 20

    page.get_by_role("link", name="Take the knowledge test").click()
    page.get_by_role("button", name="Start the test").click()
    page.wait_for_url(server + "/learning/test")
    answered = 0
    while "/learning/test/" not in page.url:
        page.locator(f'input[name="sequence"][value="{answered}"]').wait_for(state="attached")
        if answered == 0:
            page.screenshot(path=str(artifacts / "learning-test-question.png"), full_page=True)
        # Keyboard: key "a" picks the first option, Enter on it answers.
        page.keyboard.press("a")
        assert page.locator("#option-0").is_checked()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        answered += 1
        assert answered <= 60
    assert 8 <= answered < 60
    assert page.locator(".review li").count() == answered
    # Each area's level comes with how probable it is, given the answers.
    levels = page.locator("table tbody td[data-label='Level']")
    assert levels.count() == 4
    for k in range(4):
        assert re.search(r"\((> )?\d{1,3} %\)$", levels.nth(k).inner_text().strip())
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(artifacts / "learning-test-review.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "learning-test-review-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    follow(page, page.get_by_role("link", name="See your profile and gaps"))
    assert page.locator("svg.radar-svg polygon.current").count() == 1
    assert page.locator("svg.radar-svg text.spoke-label").count() == 20
    assert (
        "Gaps against Smart City Resilience Officer" in page.locator("caption").first.inner_text()
    )
    page.screenshot(path=str(artifacts / "learning-profile.png"), full_page=True)

    page.get_by_role("link", name="Plan my learning path").click()
    page.get_by_label("Hours per week").fill("6")
    page.get_by_label("Start date").fill("2027-01-04")
    follow(page, page.get_by_role("button", name="Plan my path"))
    steps = page.locator("ol.path > li")
    assert steps.count() >= 1
    assert "4 Jan 2027" in page.locator("table.calendar").inner_text()
    page.screenshot(path=str(artifacts / "learning-path.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the report (PDF)").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5000

    page.goto(server + "/learning/profile")
    with page.expect_navigation():
        page.select_option("#language-select", "el")
    assert page.locator("h1").inner_text() == "Το προφίλ ικανοτήτων σας"
    page.screenshot(path=str(artifacts / "learning-profile-el.png"), full_page=True)
    with page.expect_navigation():
        page.select_option("#language-select", "en")

    page.goto(server + "/learning/report")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    page.screenshot(path=str(artifacts / "learning-report-print.png"), full_page=True)


def test_instructor_sees_the_demo_cohort(page: Any, server: str, artifacts: Path) -> None:
    _sign_in(page, server, "instructor")
    page.goto(server + "/learning/cohorts")
    follow(page, page.get_by_role("link", name=learning.DEMO_COHORT))
    heatmap = page.locator("#heatmap tbody tr")
    assert heatmap.count() >= 5
    assert page.locator("#recommended tbody tr").count() >= 1
    assert "person-gaps" in page.locator("#recommendation").inner_text()
    page.screenshot(path=str(artifacts / "learning-cohort.png"), full_page=True)
