"""An analyst's afternoon in a real Chromium: import, weigh, rank, simulate, score, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crisis.workbench.spreadsheets import export_register
from crisis.workbench.workspace import demo_workspace
from tests.browser.conftest import follow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_analyst_flow_from_spreadsheet_to_pdf_profile(
    page: Any, live_server: str, artifacts: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "register.xlsx"
    export_register(demo_workspace().hazard_register, sheet, fmt="xlsx")

    page.goto(live_server + "/workbench")
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/workbench")

    # A new workspace for the city.
    page.get_by_label("City").fill("Testville")
    page.get_by_label("Name", exact=True).fill("testville")
    page.get_by_role("button", name="Create workspace").click()
    page.wait_for_url(live_server + "/workbench/testville")
    base = live_server + "/workbench/testville"

    # Import the register from XLSX.
    page.get_by_role("link", name="Reports").first.click()
    page.locator("#register-file").set_input_files(str(sheet))
    page.get_by_role("button", name="Import register").click()
    page.wait_for_url(base + "/hazards?imported=13")
    assert page.get_by_text("Register imported: 13 hazards.").is_visible()
    assert page.locator("table.register tbody tr").count() == 13
    page.screenshot(path=str(artifacts / "workbench-register.png"), full_page=True)

    # AHP weights of the impact dimensions: people matter more than everything else.
    page.goto(base + "/weights")
    page.select_option("select[name='people:economy']", "3")
    page.select_option("select[name='people:environment']", "5")
    page.select_option("select[name='people:infrastructure']", "2")
    page.select_option("select[name='people:society']", "3")
    page.get_by_role("button", name="Save weights").click()
    page.wait_for_url(base + "/weights?saved=1")
    assert page.get_by_text("Weights saved.").is_visible()
    cr = float(page.locator("#cr").inner_text())
    assert 0 <= cr < 0.1
    page.screenshot(path=str(artifacts / "workbench-weights.png"), full_page=True)

    # The ranked hazards and the matrix.
    page.get_by_role("link", name="Priorities").first.click()
    heatmap = page.locator("table.heatmap")
    assert heatmap.is_visible()
    assert heatmap.locator("tbody tr").count() == 5
    assert heatmap.locator("a", has_text="Earthquake on the coastal fault").count() == 2
    ranking = page.locator("table.ranking tbody tr")
    assert ranking.count() == 13
    assert "Impact weights from the AHP judgements" in page.content()
    assert "Kendall" in page.locator("#agreement").inner_text()
    page.screenshot(path=str(artifacts / "workbench-priorities.png"), full_page=True)

    # Estimate the blackout's impact with the simulator and fill it in.
    page.goto(base + "/hazards/blackout")
    page.get_by_label("Ensemble size").fill("20")
    page.get_by_role("button", name="Estimate impact").click()
    page.wait_for_url("**/hazards/blackout/estimate/*")
    page.locator("table.estimate").wait_for(timeout=180_000)
    page.screenshot(path=str(artifacts / "workbench-estimate.png"), full_page=True)
    rows = page.locator("table.estimate tbody tr")
    assert rows.count() == 2
    estimated_people = rows.nth(0).locator("td").nth(1).inner_text().split(" ")[0]
    page.get_by_role("button", name="Fill these classes into the register").click()
    page.wait_for_url(base + "/hazards/blackout?saved=1")
    assert page.get_by_text("Saved as version 2 of this hazard.").is_visible()
    assert page.locator("#f-ms_people").input_value() == estimated_people
    assert "Simulator ensemble of 20 scenarios" in page.locator("#f-sources").input_value()

    # A preliminary scorecard round, every question answered.
    page.get_by_role("link", name="Scorecard").first.click()
    page.get_by_label("Label").fill("Baseline 2027")
    page.get_by_role("button", name="Start round").click()
    page.wait_for_url("**/scorecard/round?label=Baseline%202027")
    questions = page.locator("fieldset.question")
    total = questions.count()
    assert total == 47
    for k in range(total):
        questions.nth(k).locator("input[type=radio]").nth(1 + k % 3).check()
    page.locator("#ev-P1\\.1").fill("Council decision 12/2027 appoints the resilience lead.")
    page.get_by_role("button", name="Save answers").click()
    page.wait_for_url("**/scorecard?round=Baseline%202027")
    assert page.locator("figure.radar svg polygon.shape").is_visible()
    assert "Score per essential" in page.content()
    page.screenshot(path=str(artifacts / "workbench-scorecard.png"), full_page=True)

    # Download the PDF profile.
    page.get_by_role("link", name="Reports").first.click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the PDF profile").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    assert download.value.suggested_filename == "testville-resilience-profile.pdf"
    (artifacts / "workbench-profile.pdf").write_bytes(pdf)

    # The history lists every step with its author.
    follow(page, page.get_by_role("link", name="History").first)
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 6
    assert page.locator("table.history").inner_text().count("analyst") == 6
    page.screenshot(path=str(artifacts / "workbench-history.png"), full_page=True)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Any:
    """The app with the demo city Portavera owned by the analyst, served in a thread."""
    import threading
    import time

    import uvicorn
    from sqlalchemy.orm import Session

    from crisis.settings import Settings
    from crisis.store import users, workspaces
    from crisis.store.db import make_engine
    from crisis.store.migrate import upgrade
    from crisis.web.app import create_app

    from .conftest import _free_port

    root = tmp_path_factory.mktemp("demo")
    engine = make_engine(f"sqlite:///{root / 'crisis.db'}")
    upgrade(engine)
    with Session(engine) as db, db.begin():
        analyst = users.add_user(db, "analyst", PASSWORD, "analyst", display_name="Demo analyst")
        workspaces.seed_demo(db, analyst)
    settings = Settings(data_dir=root, secret_key="browser-test-secret-0123", cache_dir=cache_dir)
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("demo server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


WORKBENCH_PAGES = (
    "", "/hazards", "/hazards/heat-blackout", "/priorities", "/weights", "/scorecard",
    "/scorecard/round?label=Baseline%202026", "/actions", "/reports", "/history", "/history/1",
    "/history/compare?a=1&b=2", "/priorities/compare",
)  # fmt: skip


@pytest.mark.parametrize("width", [1366, 390])
def test_workbench_pages_fit_the_window(
    browser: Any, demo_server: str, artifacts: Path, width: int
) -> None:
    """Every workbench page at a laptop's and a phone's width: nothing scrolls sideways but a
    table in its own scroll box; screenshots kept for a person to look at."""
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844})
    page = context.new_page()
    try:
        page.goto(demo_server + "/login")
        page.get_by_label("Username").fill("analyst")
        page.get_by_label("Password").fill(PASSWORD)
        follow(page, page.get_by_role("button", name="Sign in"))
        base = demo_server + "/workbench/portavera"
        if width == 1366:  # draft the plan once, so that the action page shows actions
            page.goto(base + "/actions")
            page.get_by_role("button", name="Draft the plan").click()
            page.wait_for_url(base + "/actions")
        for path in WORKBENCH_PAGES:
            response = page.goto(base + path)
            assert response is not None and response.status == 200, path
            wide = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            name = path.strip("/").split("?")[0].replace("/", "-") or "overview"
            if "a=1" in path:
                name += "-1-2"
            page.screenshot(path=str(artifacts / f"workbench-{name}-{width}.png"), full_page=True)
            culprits = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                  .filter(e => e.getBoundingClientRect().right
                    > document.documentElement.clientWidth + 1
                    && !(e.parentElement && e.parentElement.closest('.table-scroll')))
                  .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
            )
            assert wide[0] <= wide[1], f"{path}: {wide[0]} px in a {wide[1]} px window {culprits}"
        page.goto(base + "/actions")
        cards = page.locator("li.action-card")
        assert cards.count() == 7  # six drafted actions and the empty new one
        assert "Target:" in cards.first.inner_text()
        # Judgements that contradict each other: the page names them and what would fit.
        page.goto(base + "/weights")
        page.select_option("select[name='people:economy']", "9")
        page.select_option("select[name='economy:environment']", "9")
        page.select_option("select[name='people:environment']", "1/9")
        page.get_by_role("button", name="Save weights").click()
        page.wait_for_url(base + "/weights?saved=1")
        flag = page.locator("#cr-flag")
        assert "other judgements imply" in flag.inner_text()
        assert page.locator("tr.conflicting").count() >= 1
        wide = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        page.screenshot(path=str(artifacts / f"workbench-weights-inconsistent-{width}.png"),
                        full_page=True)  # fmt: skip
        assert wide[0] <= wide[1]
        page.get_by_role("button", name="Reset to equal weights").click()
        page.wait_for_url(base + "/weights?saved=1")
        # The same pages in Greek: longer words, the team's English texts marked.
        page.goto(base + "/priorities")
        with page.expect_navigation():
            page.select_option("#language-select", "el")  # the form sends itself on change
        for path in ("/priorities", "/weights", "/actions", "/scorecard"):
            page.goto(base + path)
            assert page.locator("html").get_attribute("lang") == "el"
            wide = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            name = path.strip("/")
            page.screenshot(path=str(artifacts / f"workbench-{name}-el-{width}.png"),
                            full_page=True)  # fmt: skip
            assert wide[0] <= wide[1], f"{path} in Greek: {wide[0]} px in a {wide[1]} px window"
        with page.expect_navigation():  # the choice is kept with the account: back to English
            page.select_option("#language-select", "en")
    finally:
        context.close()
