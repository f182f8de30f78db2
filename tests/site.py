"""A whole site with something on every page, and a crawler of what each role can reach.

The site is what ``crisis db upgrade --demo-accounts`` gives (one account per role, the demo
city workspace, the demo cohort) plus a learner who has rated themselves, taken the adaptive test
and played the flood exercise to its debrief, and an open tabletop session.
The crawler follows the links of each page, as a person clicking would, and visits one page
of each route (``/workbench/portavera/hazards/{id}`` once, not once per hazard).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.routing import compile_path

from crisis.competences import load_bundled
from crisis.settings import Settings
from crisis.store import learning, users, workspaces
from crisis.store.db import make_engine
from crisis.store.migrate import upgrade
from crisis.web.app import create_app
from tests.conftest import PASSWORD, ROLES, csrf_of, login

#: Paths a crawl never visits: they leave the pages for the API or for static files.
SKIP = re.compile(r"^/(logout|api/|vendor/|static/)")
#: Downloads: a crawl checks where their links lead but does not read them for more links.
DOWNLOADS = re.compile(
    r"\.(pdf|csv|xlsx|json|yaml|svg|zip|xml)(\?|$)|/export(/|\?|$)|/attachments/"
)
#: Where each role starts; the rest is found by following links.
STARTS = ("/", "/account", "/glossary", "/about")


@dataclass
class Site:
    """The seeded app and what a test needs to reach it."""

    app: FastAPI
    engine: Engine
    root: Path
    run_id: int = 0


def build_site(root: Path, cache_dir: Path | None = None) -> Site:
    """Create the app on a SQLite file in ``root`` and fill every role's pages; ``cache_dir``
    is the installation's cache (the demo city, optimiser plans), shared between apps."""
    engine = make_engine(f"sqlite:///{root / 'crisis.db'}")
    upgrade(engine)
    with Session(engine) as db, db.begin():
        made = {
            role: users.add_user(db, role, PASSWORD, role, display_name=f"Demo {role}")
            for role in ROLES
        }
        workspaces.seed_demo(db, made["analyst"])
        learning.seed_demo_cohort(db, made["instructor"])
    settings = Settings(
        data_dir=root, secret_key="site-test-secret-0123456789", cache_dir=cache_dir
    )
    app = create_app(settings, engine=engine)
    site = Site(app=app, engine=engine, root=root)
    with TestClient(app, base_url="http://testserver") as client:
        _learner_journey(client, site)
    with TestClient(app, base_url="http://testserver") as client:
        login(client, "instructor")
        tabletop = client.post(
            "/exercises/tabletop",
            data={
                "exercise": "river-flood",
                "cohort": "Demo cohort",
                "teams": "North bank, South bank",
                "csrf_token": csrf_of(client),
            },
            follow_redirects=False,
        )
        assert tabletop.status_code == 303, tabletop.text
    return site


def _learner_journey(client: TestClient, site: Site) -> None:
    login(client, "learner")
    token = csrf_of(client)
    for k, competence in enumerate(load_bundled().framework.competences):
        client.post(
            "/learning/self-assessment",
            data={"competence": competence.id, "level": str(1 + k % 3), "csrf_token": token},
            follow_redirects=False,
        )
    client.post("/learning/test/start", data={"csrf_token": token})
    for _ in range(120):
        page = client.get("/learning/test", follow_redirects=False)
        if page.status_code == 303:
            break
        form = {name: _hidden(page.text, name) for name in ("attempt", "item", "sequence")} | {
            "option": "1",
            "csrf_token": token,
        }
        answered = client.post("/learning/test/answer", data=form, follow_redirects=False)
        if answered.headers.get("location") != "/learning/test":
            break
    plan = [
        {"measure": "barrier", "asset": "bus-147"},
        {"measure": "raise", "asset": "bus-140"},
        {"measure": "power-crews"},
    ]
    submitted = client.post(
        "/exercises/river-flood/runs",
        data={"plan": _json(plan), "scenarios": "50", "csrf_token": token},
        follow_redirects=False,
    )
    assert submitted.status_code == 303, submitted.text
    site.run_id = int(submitted.headers["location"].rsplit("/", 1)[1])
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        page = client.get(f"/exercises/runs/{site.run_id}")
        if 'id="score-card"' in page.text or "The run failed" in page.text:
            break
        time.sleep(0.5)
    assert 'id="score-card"' in page.text, "the exercise run did not finish"


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def links_of(html: str, base: str) -> list[str]:
    """Same-site paths (with query) that the page's links point at."""
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.links:
        url, _frag = urldefrag(urljoin(base, href))
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "testserver":
            continue
        if parts.scheme not in ("", "http", "https"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path:
            out.append(path)
    return out


def _routes(routes: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(full path template, route) of every route, through included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)  # an included router
        if inner is not None:
            yield from _routes(inner.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "path"):
            yield prefix + route.path, route


def route_of(app: FastAPI, path: str) -> str:
    """The route template that answers a GET of ``path`` (``/workbench/{name}/hazards``)."""
    bare = urlsplit(path).path
    for template, route in _routes(app.router.routes):
        if not hasattr(route, "methods"):  # a mounted folder of files
            if bare.startswith(template + "/"):
                return template
        elif "GET" in route.methods and compile_path(template)[0].match(bare):
            return template
    return bare


def crawl(
    app: FastAPI,
    fetch: Callable[[str], tuple[int, str]],
    starts: tuple[str, ...] = STARTS,
    limit: int = 400,
) -> Iterator[tuple[str, str, int, str]]:
    """Visit one page per route reachable by links: yields (path, referrer, status, html).

    ``fetch(path)`` returns the status and HTML of a GET. A route is visited once, through the
    first link found to it; every link is still yielded once per distinct path, with its
    status, so a caller can check where each link leads.
    """
    queue: list[tuple[str, str]] = [(s, "") for s in starts]
    seen_routes: set[str] = set()
    seen_paths: set[str] = set()
    while queue and len(seen_paths) < limit:
        path, referrer = queue.pop(0)
        if path in seen_paths or SKIP.search(path):
            continue
        seen_paths.add(path)
        route = route_of(app, path)
        status, html = fetch(path)
        yield path, referrer, status, html
        if route in seen_routes or status != 200 or DOWNLOADS.search(path):
            continue
        seen_routes.add(route)
        for link in links_of(html, "http://testserver" + path):
            if link not in seen_paths:
                queue.append((link, path))
