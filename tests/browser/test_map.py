"""Chromium: the flood map on a phone and a desktop — the flood drawn, assets named and
chosen by mouse and by keyboard, none hidden under another."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import pick_asset
from tests.browser.test_exercises import _sign_in

pytestmark = pytest.mark.browser


#: What sticks out to the right of the screen (tag, class, id), for the failure message.
WIDER = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""


def _fits(page: Any, width: int) -> None:
    """Nothing makes the page scroll sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(WIDER)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 900)])
def test_learner_chooses_bus_46_on_the_flood_map_by_mouse_and_keyboard(
    browser: Any, live_server: str, artifacts: Path, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        _sign_in(page, live_server, "learner", "/exercises/river-flood/play")
        page.wait_for_selector("#play-map .ex-pin, #play-map .ex-group")
        page.screenshot(path=str(artifacts / f"map-flood-{width}.png"), full_page=False)
        # The map is as wide as the screen allows (no 210 px map on a phone).
        _fits(page, width)
        box = page.locator("#play-map").bounding_box()
        assert box["width"] >= min(width - 40, 600)
        # The flood is drawn, and the legend explains it and every kind of pin.
        assert page.locator("#play-map img.ex-flood").count() == 1
        legend = page.locator(".ex-legend").inner_text()
        for words in ("river", "flood water", "flood gauges", "power", "often hit", "district"):
            assert words in legend, words
        # District names, not ids.
        assert "Riverside" in page.locator("#play-map").inner_text()

        # Every pin and group is a disc of at least 24 px and no two overlap.
        rects = page.eval_on_selector_all(
            "#play-map .ex-pin, #play-map .ex-group",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.width, r.height]; })",
        )
        assert rects and all(w >= 24 and h >= 24 for _, _, w, h in rects)
        for k, (x, y, w, h) in enumerate(rects):
            for x2, y2, w2, _ in rects[k + 1 :]:
                apart = ((x + w / 2 - x2 - w2 / 2) ** 2 + (y + h / 2 - y2 - w2 / 2) ** 2) ** 0.5
                assert apart >= (w + w2) / 2 - 1
        # bus-46 sits 19 m from gauge-6; both can be chosen, bus-46 by its name.
        marker = page.locator('#play-map [data-assets~="bus-46"]')
        assert "Riverside substation (bus-46)" in marker.get_attribute("aria-label")
        assert marker.get_attribute("tabindex") == "0"
        assert page.locator('#play-map [data-assets~="gauge-6"]').count() == 1

        page.get_by_label(re.compile("Flood barrier")).check()
        pick_asset(page, "bus-46")
        rows = page.locator("#plan-table tbody tr")
        assert rows.count() == 1
        assert "Riverside substation (bus-46)" in rows.first.inner_text()
        page.screenshot(path=str(artifacts / f"map-flood-mouse-{width}.png"), full_page=False)

        page.get_by_label(re.compile("Raise equipment")).check()
        pick_asset(page, "bus-46", keyboard=True)
        assert rows.count() == 2
        assert "Raise equipment" in rows.nth(1).inner_text()
        assert "bus-46" in page.locator("#play-status").inner_text()
        page.screenshot(path=str(artifacts / f"map-flood-keyboard-{width}.png"), full_page=True)
        _fits(page, width)
        # The plan the form sends names the asset by its id.
        assert '"asset": "bus-46"' in page.locator("#plan-field").input_value().replace(
            '":"', '": "'
        )
    finally:
        context.close()
