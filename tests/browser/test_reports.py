"""The printed after-action report and the learner's PDF as a reader gets them: pages rendered
to images, every word inside the page and its cell, names instead of ids, nothing broken."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.browser.conftest import _free_port, follow
from tests.conftest import PASSWORD
from tests.pdfcheck import off_page, overlapping, render_pages, words
from tests.site import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Cells whose content is wider than the cell (clipped or spilling into the next one).
OVERFLOWING_CELLS = """() => {
  const out = [];
  const cells = 'main td, main th, main dd, main dt, main li, main pre, main p';
  for (const el of document.querySelectorAll(cells)) {
    if (el.scrollWidth > el.clientWidth + 1) {
      out.push(el.tagName + ': ' + el.textContent.trim().slice(0, 50));
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def served(site: Site) -> Iterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(site.app, host="127.0.0.1", port=_free_port(), log_level="warning")
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


@pytest.fixture
def learner(browser: Any, served: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(served + "/login")
    page.fill("#username", "learner")
    page.fill("#password", PASSWORD)
    follow(page, page.locator("form.stack").get_by_role("button", name="Sign in"))
    yield page
    context.close()


@pytest.mark.parametrize("lang", ["en", "de"])
def test_after_action_report_prints_cleanly(
    learner: Any, site: Site, served: str, artifacts: Path, lang: str
) -> None:
    learner.context.set_extra_http_headers({"Accept-Language": lang})
    learner.goto(f"{served}/exercises/runs/{site.run_id}/report")
    learner.wait_for_selector("#aar")
    learner.emulate_media(media="print")
    assert learner.evaluate(OVERFLOWING_CELLS) == []
    pdf = learner.pdf(format="A4")
    (artifacts / "pdf").mkdir(exist_ok=True)
    (artifacts / "pdf" / f"after-action-{lang}.pdf").write_bytes(pdf)
    pages = render_pages(pdf, artifacts / "pdf", f"after-action-{lang}")
    found, sizes = words(pdf)
    assert len(pages) == len(sizes) >= 2
    assert off_page(found, sizes, margin_mm=14) == []
    assert overlapping(found) == []
    # No name is split at a line end ("tank-" on one line, "2" on the next).
    assert [w.text for w in found if re.fullmatch(r".*[A-Za-z0-9]-", w.text)] == []
    text = " ".join(w.text for w in found)
    kind = {"en": "substation", "de": "Umspannwerk"}[lang]
    assert f"{kind} bus-147" in text  # the asset's kind with its name, not the id alone
    assert "river-flood" not in text  # the exercise by its title, not its slug


def test_learner_pdf_from_the_site_stays_inside_its_pages(
    learner: Any, served: str, artifacts: Path
) -> None:
    response = learner.request.get(served + "/learning/report.pdf")
    assert response.status == 200
    pdf = response.body()
    pages = render_pages(pdf, artifacts / "pdf", "learner-report-site")
    found, sizes = words(pdf)
    assert len(pages) == len(sizes) >= 2
    assert off_page(found, sizes, margin_mm=9) == []
    assert overlapping(found) == []
    assert [w.text for w in found if w.text.endswith("…")] == []  # no title cut short
