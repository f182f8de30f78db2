"""Chromium: a learner plays the flood exercise; an instructor runs a tabletop for two teams."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import follow, pick_asset
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, username: str, path: str = "/exercises") -> None:
    page.goto(base + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    assert "/login" not in page.url


def test_learner_plans_on_the_map_and_gets_a_debrief(
    page: Any, live_server: str, artifacts: Path
) -> None:
    _sign_in(page, live_server, "learner")
    follow(page, page.get_by_role("link", name="The hundred-year flood"))
    assert page.get_by_role("heading", name="Briefing").is_visible()
    page.get_by_role("link", name="Start planning").click()
    page.wait_for_selector("#play-map")
    page.get_by_label(re.compile("Flood barrier")).check()
    pick_asset(page, "bus-147")
    page.get_by_label(re.compile("Raise equipment")).check()
    # A measure on an asset it cannot apply to is refused on the spot, at no cost.
    pick_asset(page, "hospital-2")
    assert "cannot be placed" in page.locator("#play-status").inner_text()
    pick_asset(page, "bus-140")
    # The third measure from the keyboard-usable list.
    page.get_by_label(re.compile("Two more power repair crews")).check()
    page.get_by_role("button", name="Add to plan").click()
    assert page.locator("#plan-table tbody tr").count() == 3
    assert page.locator("#budget-text").inner_text().startswith("€430,000")
    page.screenshot(path=str(artifacts / "exercise-play.png"), full_page=True)
    page.get_by_label("Scenarios to simulate").select_option("50")
    page.get_by_role("button", name="Submit the plan").click()
    page.wait_for_url(re.compile(r"/exercises/runs/\d+$"))
    progress = page.locator("#run-progress progress")
    if progress.count():
        progress.wait_for()
        page.screenshot(path=str(artifacts / "exercise-progress.png"))
    page.wait_for_selector("#score-card", timeout=240_000)
    assert page.locator("#beats-nothing").inner_text().startswith("yes")
    page.wait_for_selector("#chart-q .main-svg", timeout=30_000)
    slider = page.locator("#hour-slider")
    slider.evaluate("(el) => { el.value = 30; el.dispatchEvent(new Event('input')); }")
    assert page.locator("#hour-out").inner_text() == "30"
    page.get_by_role("radio", name="Doing nothing").check()
    assert page.locator("#timeline-map .down-damaged, #timeline-map .down-cut").count() > 0
    page.screenshot(path=str(artifacts / "exercise-debrief.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)  # the charts follow the new width
    page.screenshot(path=str(artifacts / "exercise-debrief-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="After-action report (printable)").click()
    page.wait_for_selector("#aar")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    page.screenshot(path=str(artifacts / "exercise-report-print.png"), full_page=True)
    pdf = page.pdf(path=str(artifacts / "exercise-report.pdf"), format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
    # At most four A4 pages (the chains are cut to their first lines in print).
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 4
    page.emulate_media(media="screen")
    # The evidence reaches the learner's competence profile.
    page.goto(live_server + "/exercises/evidence")
    assert "The hundred-year flood" in page.locator("#evidence-table").inner_text()
    page.goto(live_server + "/learning/profile")
    row = page.locator("table.gaps-table tr", has_text="C13")
    assert "exercise" in row.first.inner_text()
    page.screenshot(path=str(artifacts / "exercise-profile.png"), full_page=True)


def _reload(page: Any) -> None:
    """Reload, or let the page's own reload win: it polls the session and reloads itself
    when the session changes, which aborts a reload asked at the same moment."""
    try:
        page.reload()
    except PlaywrightError:
        page.wait_for_load_state()


def test_instructor_runs_a_tabletop_for_two_teams(
    browser: Any, live_server: str, artifacts: Path
) -> None:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    lead, red, blue = (c.new_page() for c in contexts)
    try:
        _sign_in(lead, live_server, "instructor", "/exercises/tabletop")
        lead.get_by_label("Cohort").fill("Spring cohort")
        lead.get_by_label("Teams (separated by commas)").fill("Red, Blue")
        lead.get_by_label("Seconds to decide on each inject").fill("120")
        lead.get_by_role("button", name="Start the session").click()
        lead.wait_for_url(re.compile(r"/exercises/tabletop/\d+$"))
        url = lead.url
        for page, user, team in ((red, "learner", "Red"), (blue, "admin", "Blue")):
            _sign_in(page, live_server, user, url.replace(live_server, ""))
            page.get_by_label("Team", exact=True).select_option(team)
            page.get_by_role("button", name="Join").click()
            expect(page.locator("#my-team")).to_have_text(team)
        choices = {
            "gauge-rising": {"Red": "Call mutual aid now", "Blue": "Wait for the next reading"},
            "substation-water": {"Red": "Send the mobile barrier", "Blue": "Hold resources"},
        }
        for hour, inject in ((4, "gauge-rising"), (9, "substation-water")):
            lead.get_by_role("button", name=f"Release: Hour {hour}").click()
            expect(lead.locator(f"#inject-{inject} .countdown")).to_have_count(1)
            for page, team in ((red, "Red"), (blue, "Blue")):
                _reload(page)
                box = page.locator(f"#inject-{inject}")
                assert box.locator(".countdown").count() == 1
                box.get_by_label(re.compile(choices[inject][team])).check()
                box.get_by_role("button", name="Decide").click()
                expect(page.locator(f"#inject-{inject}")).to_contain_text("Your team chose")
        # The instructor's page follows the teams by polling and shows every decision.
        expect(lead.locator("#teams-table")).to_contain_text(
            "Send the mobile barrier", timeout=15_000
        )
        lead.get_by_role("button", name="Resolve the decisions in the simulator").click()
        lead.wait_for_selector("#resolved, #resolve-failed", timeout=240_000)
        assert lead.locator("#resolve-failed").count() == 0, lead.locator(
            "#resolve-failed"
        ).inner_text()
        table = lead.locator("#teams-table").inner_text()
        assert "Hold resources" in table and "Spring cohort" in lead.content()
        red_row = lead.locator("#teams-table tbody tr", has_text="Red").inner_text()
        assert red_row.rstrip().endswith("1")  # Red acted and ranks first
        # Hot wash and improvement plan, live; then the after-action report holds them.
        lead.get_by_label("Note (what went well, what to improve)").fill(
            "Red called mutual aid at the first gauge reading."
        )
        lead.get_by_role("button", name="Add the note").click()
        lead.get_by_label("Corrective action").fill("Pre-position the mobile barrier at bus-46")
        lead.get_by_label("Owner (organisation or role)").fill("Grid operator, field services")
        lead.get_by_label("Due date").fill("2099-05-31")
        lead.get_by_role("button", name="Add to the improvement plan").click()
        expect(lead.locator("#improvement-table")).to_contain_text("Grid operator")
        lead.screenshot(path=str(artifacts / "exercise-tabletop.png"), full_page=True)
        lead.get_by_role("link", name="After-action report and improvement plan").click()
        lead.wait_for_selector("#aar")
        plan = lead.locator("#improvement-table").inner_text()
        assert "Pre-position the mobile barrier at bus-46" in plan and "2099-05-31" in plan
        assert "Red called mutual aid" in lead.locator("#aar-notes").inner_text()
        lead.screenshot(path=str(artifacts / "exercise-tabletop-aar.png"), full_page=True)
        lead.set_viewport_size({"width": 390, "height": 844})
        lead.screenshot(path=str(artifacts / "exercise-tabletop-aar-390.png"), full_page=True)
        lead.emulate_media(media="print")
        pdf = lead.pdf(path=str(artifacts / "exercise-tabletop-aar.pdf"), format="A4")
        assert pdf[:4] == b"%PDF"
        _reload(red)
        red.screenshot(path=str(artifacts / "exercise-tabletop-team.png"), full_page=True)
    finally:
        for c in contexts:
            c.close()
