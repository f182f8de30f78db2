"""An analyst's afternoon in a real Chromium: import, weigh, rank, simulate, score, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crisis.workbench.spreadsheets import export_register
from crisis.workbench.workspace import demo_workspace
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
    page.wait_for_url(base + "/hazards?imported=12")
    assert page.get_by_text("Register imported: 12 hazards.").is_visible()
    assert page.locator("table.register tbody tr").count() == 12
    page.screenshot(path=str(artifacts / "workbench-register.png"), full_page=True)

    # AHP weights: likelihood matters more than the economy, people more than everything.
    page.goto(base + "/weights")
    page.select_option("select[name='likelihood:economy']", "3")
    page.select_option("select[name='likelihood:people']", "1/3")
    page.select_option("select[name='people:economy']", "5")
    page.select_option("select[name='people:environment']", "5")
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
    assert heatmap.locator("a", has_text="earthquake").count() == 2
    ranking = page.locator("table.ranking tbody tr")
    assert ranking.count() == 12
    assert "Weights from the AHP judgements" in page.content()
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
    assert total == 45
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
    page.get_by_role("link", name="History").first.click()
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 6
    assert page.locator("table.history").inner_text().count("analyst") == 6
    page.screenshot(path=str(artifacts / "workbench-history.png"), full_page=True)
