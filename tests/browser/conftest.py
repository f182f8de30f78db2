"""A live server on a free port and a real headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from crisis.settings import Settings
from crisis.simulation.demo import demo_city
from crisis.store import users
from crisis.store.db import make_engine
from crisis.store.migrate import upgrade
from crisis.web.app import create_app
from tests.conftest import PASSWORD, ROLES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Chromium not found: install the 'chromium' package (make test does)")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[str]:
    """The app on a SQLite file with one account per role, served by uvicorn in a thread."""
    root = tmp_path_factory.mktemp("live")
    engine = make_engine(f"sqlite:///{root / 'crisis.db'}")
    upgrade(engine)
    with Session(engine) as db, db.begin():
        for role in ROLES:
            users.add_user(db, role, PASSWORD, role, display_name=f"Demo {role}")
    settings = Settings(data_dir=root, secret_key="browser-test-secret-0123", cache_dir=cache_dir)
    app = create_app(settings, engine=engine)
    demo_city(cache_dir)  # built (or read) before a page needs it, not during a click
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=_chromium(),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def pick_asset(page: Any, asset: str, keyboard: bool = False) -> None:
    """Choose ``asset`` on the play map: its pin, or its group and then it in the chooser;
    by mouse, or by keyboard (focus, Enter; in the chooser, Tab to it and Enter)."""
    target = page.locator(f'#play-map [data-assets~="{asset}"]')
    target.wait_for()
    grouped = " " in (target.get_attribute("data-assets") or "")
    if keyboard:
        target.focus()
        page.keyboard.press("Enter")
    else:
        target.click()
    if not grouped:
        return
    choice = page.locator(f'.ex-chooser button[data-asset="{asset}"]')
    choice.wait_for()
    if keyboard:
        for _ in range(40):
            if choice.evaluate("(el) => el === document.activeElement"):
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
    else:
        choice.click()


def follow(page: Any, target: Any) -> None:
    """Click ``target`` and wait until the page it leads to has loaded. A bare click returns
    once the click is dispatched, so what a test reads next may still be the old page or a
    half-parsed new one."""
    with page.expect_navigation():
        target.click()
