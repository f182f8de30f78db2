"""Chromium: a learner completes module M01 (four units) by evidence; an instructor runs M01
for a cohort."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crisis.courses import bundled_course, render_markdown
from crisis.learners import load_bundled_items
from crisis.settings import Settings
from crisis.store import learning, users
from crisis.store.db import make_engine
from crisis.store.learner_tables import LearningCohort
from crisis.store.migrate import upgrade
from crisis.web.app import create_app
from tests.browser.conftest import _free_port, follow
from tests.conftest import PASSWORD, ROLES

pytestmark = pytest.mark.browser
BANK = load_bundled_items()
COURSE = bundled_course()
WIDTHS = (1366, 390)


@pytest.fixture(scope="module")
def course_server(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path
) -> Iterator[tuple[str, Engine]]:
    """The app with one account per role and the demo cohort, served by uvicorn in a thread."""
    root = tmp_path_factory.mktemp("courses-live")
    engine = make_engine(f"sqlite:///{root / 'crisis.db'}")
    upgrade(engine)
    with Session(engine) as db, db.begin():
        for role in ROLES:
            users.add_user(db, role, PASSWORD, role, display_name=f"Demo {role}")
        learning.seed_demo_cohort(db, users.get_user(db, "instructor"))
        users.add_user(db, "maria.k", PASSWORD, "learner", display_name="Maria Konstantinou")
    settings = Settings(data_dir=root, secret_key="browser-test-secret-0123", cache_dir=cache_dir)
    app = create_app(settings, engine=engine)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}", engine
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def shoot(page: Any, artifacts: Path, name: str) -> None:
    """Full-page screenshots at desktop and phone widths."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"courses-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page: Any, base: str, username: str, path: str) -> None:
    page.goto(base + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    assert "/login" not in page.url, page.locator("main").inner_text()


def pass_the_quiz(page: Any) -> None:
    page.locator("#start-quiz").click()
    page.wait_for_selector("#submit-quiz")
    for fieldset in page.locator("fieldset[data-item]").all():
        item = fieldset.get_attribute("data-item")
        fieldset.locator(f'input[value="{BANK.item(item).answer}"]').check()


def add_hazard(
    page: Any, base: str, workspace: str, taxonomy: str, periods: tuple[int, int]
) -> None:
    page.goto(f"{base}/workbench/{workspace}/hazards/new?taxonomy_id={taxonomy}")
    for prefix, period, level in (("mp", periods[0], "2"), ("ms", periods[1], "4")):
        page.locator(f"#f-{prefix}-likelihood").fill(str(period))
        for dimension in ("people", "economy", "environment", "infrastructure", "society"):
            page.locator(f'select[name="{prefix}_{dimension}"]').select_option(level)
    page.get_by_role("button", name="Save hazard").click()
    page.wait_for_url(re.compile(r"saved=1"))


def play(page: Any, base: str, unit_url: str, measure: str) -> None:
    """From a unit's page, plan one city-wide measure, simulate 50 scenarios, see the score."""
    page.goto(base + unit_url)
    page.locator("#play-exercise").click()
    page.get_by_role("link", name="Start planning").click()
    page.wait_for_selector("#play-map")
    page.get_by_label(re.compile(measure)).check()
    page.get_by_role("button", name="Add to plan").click()
    expect(page.locator("#plan-table tbody tr")).to_have_count(1)
    page.get_by_label("Scenarios to simulate").select_option("50")
    page.get_by_role("button", name="Submit the plan").click()
    page.wait_for_selector("#score-card", timeout=240_000)


def test_learner_completes_a_module_by_evidence(
    page: Any, course_server: tuple[str, Engine], artifacts: Path
) -> None:
    base, _ = course_server
    # M01 as bundled: a quiz, the hazard register, the flood and the earthquake exercises.
    units = COURSE.of_module("M01")
    kinds = [getattr(u.activity, "exercise", None) or u.activity.kind for u in units]
    assert kinds == ["quiz", "workbench", "river-flood", "valley-earthquake"]
    quiz, register, flood, quake = units
    sign_in(page, base, "learner", "/learning/courses")
    # The MOOC scope: twenty modules, none complete; no tick boxes anywhere.
    page.get_by_label(re.compile("open online course")).check()
    page.get_by_role("button", name="Use this scope").click()
    expect(page.locator(".module-card")).to_have_count(20)
    assert page.locator('input[type="checkbox"]').count() == 0
    shoot(page, artifacts, "overview")
    page.get_by_role("link", name=re.compile("M01 Cities as systems")).click()
    expect(page.locator("#module-progress")).to_have_text("0 of 4 units complete")
    shoot(page, artifacts, "module-start")
    page.locator("#resume").click()
    expect(page.locator("#unit-title")).to_have_text(quiz.text.title)
    tables = render_markdown(quiz.text.blocks["lesson"]).count("<table")
    assert tables >= 1 and page.locator(".lesson table").count() == tables
    expect(page.locator("#evidence-rule")).to_contain_text(
        "Evidence counts from the moment you open this unit"
    )
    shoot(page, artifacts, "unit")
    # Unit 1: the quiz.
    pass_the_quiz(page)
    shoot(page, artifacts, "quiz")
    page.locator("#submit-quiz").click()
    expect(page.locator("#quiz-result")).to_contain_text("Passed: the unit is complete.")
    shoot(page, artifacts, "quiz-result")
    page.get_by_role("link", name="Back to the unit").click()
    expect(page.locator("#unit-status")).to_contain_text("Unit complete")
    # Unit 2: three hazards in the private practice workspace.
    page.get_by_role("link", name=re.compile(re.escape(register.text.title))).click()
    expect(page.locator("#task-requirement")).to_contain_text("at least 3 hazards")
    page.locator("#open-practice").click()
    page.wait_for_url(re.compile(r"/workbench/practice-\d+/hazards"))
    workspace = re.search(r"/workbench/(practice-\d+)/", page.url).group(1)
    shoot(page, artifacts, "practice")
    for taxonomy, periods in (
        ("river-flood", (20, 200)),
        ("heatwave", (5, 50)),
        ("unemployment", (1, 10)),
    ):
        add_hazard(page, base, workspace, taxonomy, periods)
    page.goto(f"{base}/learning/courses/M01/{register.id}")
    expect(page.locator("#unit-status")).to_contain_text("3 hazards in the register")
    # Unit 3: the flood exercise, one city-wide measure, fifty scenarios.
    play(page, base, f"/learning/courses/M01/{flood.id}", "Flood early warning")
    page.goto(f"{base}/learning/courses/M01/{flood.id}")
    expect(page.locator("#unit-status")).to_contain_text("exercise run")
    shoot(page, artifacts, "unit-complete")
    # The same exercise in another module's unit, opened only now: that run does not count.
    other = next(
        u for u in COURSE.of_module("M07") if getattr(u.activity, "exercise", "") == "river-flood"
    )
    page.goto(f"{base}/learning/courses/M07/{other.id}")
    expect(page.locator("#unit-status")).to_contain_text("Not complete yet")
    expect(page.locator(".run-before")).to_have_count(1)
    shoot(page, artifacts, "unit-shared-exercise")
    # Unit 4: the earthquake exercise, two more power crews.
    play(page, base, f"/learning/courses/M01/{quake.id}", "Two more power repair crews")
    page.goto(f"{base}/learning/courses/M01/{quake.id}")
    expect(page.locator("#unit-status")).to_contain_text("exercise run")
    page.goto(base + "/learning/courses/M01")
    expect(page.locator("#module-complete")).to_be_visible()
    expect(page.locator("#module-progress")).to_have_text("4 of 4 units complete")
    shoot(page, artifacts, "module-complete")
    # The completed module is evidence in the profile.
    follow(page, page.locator("#module-complete").get_by_role("link", name="See your profile"))
    row = page.locator("table.gaps-table tr", has_text="C01")
    assert "course" in row.first.inner_text()
    shoot(page, artifacts, "profile")
    # The path leaves M01 out and names it as completed.
    page.goto(base + "/learning/path")
    expect(page.locator("#completed-modules")).to_contain_text("M01")
    shoot(page, artifacts, "path")


def test_instructor_runs_a_module_for_the_demo_cohort(
    browser: Any, course_server: tuple[str, Engine], artifacts: Path
) -> None:
    base, engine = course_server
    with Session(engine) as db:
        cohort = db.scalar(
            select(LearningCohort).where(LearningCohort.name == learning.DEMO_COHORT)
        )
        code = cohort.join_code
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    lead, learner = (c.new_page() for c in contexts)
    try:
        sign_in(lead, base, "instructor", "/learning/runs")
        lead.get_by_label("Module or whole course").select_option("module:M01")
        lead.locator("#choose-target").click()
        lead.get_by_label("Cohort").select_option(label=learning.DEMO_COHORT)
        due = dt.date.today() + dt.timedelta(days=7)
        lead.locator("#deadline-M01-1").fill(due.isoformat())
        lead.locator("#deadline-M01").fill((due + dt.timedelta(days=21)).isoformat())
        shoot(lead, artifacts, "run-form")
        lead.locator("#open-run").click()
        lead.wait_for_url(re.compile(r"/learning/runs/\d+$"))
        run_url = lead.url
        expect(lead.locator("#run-progress")).to_contain_text("Eleni Papadopoulou")
        # The learner joins the cohort, consenting, and meets the first deadline.
        sign_in(learner, base, "maria.k", "/learning/cohorts")
        learner.get_by_label("Join code").fill(code)
        learner.get_by_label(re.compile("instructor may see")).check()
        learner.get_by_role("button", name="Join").click()
        learner.goto(base + "/learning/courses")
        expect(learner.locator(".deadlines").first).to_contain_text("M01-1")
        learner.goto(base + "/learning/courses/M01/M01-1")
        pass_the_quiz(learner)
        learner.locator("#submit-quiz").click()
        expect(learner.locator("#quiz-result")).to_contain_text("Passed")
        learner.goto(run_url)
        expect(learner.locator(".deadline-met")).to_have_count(1)
        expect(learner.locator(".deadline-met")).to_contain_text("M01-1")
        expect(learner.locator(".deadline-open")).to_contain_text("M01")
        shoot(learner, artifacts, "run-learner")
        # The instructor sees the progress and leaves feedback on the handed-in quiz.
        lead.reload()
        row = lead.locator("#run-progress tr", has_text="Maria Konstantinou")
        expect(row).to_contain_text("met")
        shoot(lead, artifacts, "run-instructor")
        row.get_by_role("link", name="Handed-in work and feedback").click()
        lead.get_by_label("Feedback on M01-1").fill("Clear reasoning about the dependencies.")
        lead.locator("#unit-M01-1").get_by_role("button", name="Send feedback").click()
        expect(lead.locator("#unit-M01-1 blockquote")).to_contain_text("Clear reasoning")
        shoot(lead, artifacts, "feedback")
        learner.goto(base + "/learning/courses/M01/M01-1")
        expect(learner.locator(".feedback")).to_contain_text(
            "Clear reasoning about the dependencies."
        )
        # The learner's own export.
        with learner.expect_download() as download:
            learner.goto(base + "/learning/courses")
            learner.get_by_role("link", name="Export my progress (PDF)").click()
        download.value.save_as(str(artifacts / "courses-progress.pdf"))
        assert (artifacts / "courses-progress.pdf").read_bytes().startswith(b"%PDF")
    finally:
        for context in contexts:
            context.close()
