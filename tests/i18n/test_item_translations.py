"""Every test item reads entirely in each language: the browser check sees only the items
an adaptive test happens to show, so the whole bank is checked here, item by item."""

from __future__ import annotations

import pytest

from crisis.learners.items import load_items
from tests.browser.test_languages import english_passages


def _text(item, lang: str) -> str:  # type: ignore[no-untyped-def]
    parts = [item.scenario, item.stem, *item.options, item.explanation]
    return "\n".join(p.get(lang) for p in parts if p is not None)


@pytest.mark.parametrize("lang", ["el", "de", "pt"])
def test_no_item_keeps_an_english_passage(lang: str) -> None:
    found = {}
    for item in load_items().items:
        left = english_passages(_text(item, "en"), _text(item, lang), lang)
        if left:
            found[item.id] = left
    assert found == {}
