"""Every page of every role on a phone (390 × 844): nothing scrolls sideways, chart text stays
legible (11 px or more, on a phone and on a desktop screen); a screenshot of each page."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.browser.conftest import _free_port, follow
from tests.conftest import PASSWORD, ROLES, login
from tests.site import STARTS, Site, crawl, route_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
MIN_TEXT_PX = 11.0
#: The smallest text drawn in the page's SVG charts, in screen pixels, and where it is.
SMALLEST_CHART_TEXT = """() => {
  let smallest = [1e9, ''];
  for (const t of document.querySelectorAll('main svg text')) {
    const box = t.getBoundingClientRect();
    if (!t.textContent.trim() || box.width === 0 || box.height === 0) continue;
    const m = t.getScreenCTM();
    if (!m) continue;
    const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    if (px < smallest[0]) smallest = [px, t.textContent.trim().slice(0, 40)];
  }
  return smallest;
}"""
#: Elements that stick out of the window (for the failure message).
OFFENDERS = """() => {
  const vw = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 0.5 && r.width > 0) out.push(el.tagName.toLowerCase() + '.' + el.className);
  }
  return out.slice(0, 5);
}"""


def _pages(site: Site, role: str | None) -> list[str]:
    """One path per route that the role reaches by following links."""
    with TestClient(site.app, base_url="http://testserver") as client:
        if role is not None:
            login(client, role)

        def fetch(path: str) -> tuple[int, str]:
            response = client.get(path, follow_redirects=False)
            html = response.text if "text/html" in response.headers.get("content-type", "") else ""
            return response.status_code, html

        out, routes = [], set()
        for path, _ref, status, html in crawl(site.app, fetch, STARTS if role else ("/",)):
            route = route_of(site.app, path)
            if status == 200 and html and route not in routes:
                routes.add(route)
                out.append(path)
    return out


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


def _sign_in(page: Any, base: str, role: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", role)
    page.fill("#password", PASSWORD)
    follow(page, page.locator("form.stack").get_by_role("button", name="Sign in"))
    assert "/login" not in page.url


@pytest.mark.parametrize("role", ["visitor", *ROLES])
def test_every_page_fits_a_phone(
    browser: Any, site: Site, served: str, artifacts: Path, role: str
) -> None:
    pages = _pages(site, None if role == "visitor" else role)
    assert len(pages) >= (6 if role == "visitor" else 15)
    folder = artifacts / "phone" / role
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    charts: list[str] = []
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    try:
        page = context.new_page()
        if role != "visitor":
            _sign_in(page, served, role)
        for path in pages:
            page.goto(served + path)
            wide, window = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if wide > window:
                problems.append(f"{path}: {wide} px wide in {window} px {page.evaluate(OFFENDERS)}")
            smallest, text = page.evaluate(SMALLEST_CHART_TEXT)
            if smallest < 1e9:
                charts.append(path)
            if smallest < MIN_TEXT_PX:
                problems.append(f"{path}: chart text {smallest:.1f} px ({text!r})")
            name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "home"
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        # The same charts on a desktop screen.
        page.set_viewport_size(DESKTOP)
        for path in charts:
            page.goto(served + path)
            smallest, text = page.evaluate(SMALLEST_CHART_TEXT)
            if smallest < MIN_TEXT_PX:
                problems.append(f"{path} at 1366 px: chart text {smallest:.1f} px ({text!r})")
    finally:
        context.close()
    assert problems == []
