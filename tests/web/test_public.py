"""Public pages: what a visitor without an account gets, how caches may keep it, and the
demonstration exercise (bounded, rate-limited, nothing stored; hostile plans refused)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.orm import Session

from crisis.exercises.demo import demo_exercise
from crisis.settings import Settings
from crisis.web.app import create_app
from crisis.web.demo import DemoRunner, RateLimit, address_key
from crisis.web.glossary import bundled_glossary
from tests.conftest import login

PUBLIC_PAGES = ("/", "/about", "/glossary", "/competences", "/competences/C01", "/demo")
GOOD_PLAN = [{"measure": "barrier", "asset": "bus-147"}, {"measure": "power-crews"}]


def _token(client: TestClient, html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def _rows(engine: Engine) -> dict[str, int]:
    with Session(engine) as db:
        return {
            name: db.scalar(select(func.count()).select_from(table(name))) or 0
            for name in inspect(engine).get_table_names()
        }


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_opens_without_an_account(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 200, path
    assert '<a href="/login">' in response.text  # a visitor is offered to sign in


@pytest.mark.parametrize("lang", ["en", "el", "de", "pt"])
def test_public_pages_speak_the_visitors_language(client: TestClient, lang: str) -> None:
    for path in ("/", "/about", "/glossary", "/demo", "/register"):
        html = client.get(path, headers={"Accept-Language": lang}).text
        assert f'<html lang="{lang}">' in html, path
    glossary = client.get("/glossary", headers={"Accept-Language": lang}).text
    theta = bundled_glossary().entry("theta", lang)
    assert theta.definition in glossary.replace("&#39;", "'")


def test_public_pages_are_cacheable_for_visitors_and_private_for_users(
    client: TestClient, accounts: dict[str, str]
) -> None:
    fresh = TestClient(client.app, base_url="http://testserver")
    page = fresh.get("/about")
    assert page.headers["cache-control"] == "public, max-age=300"
    assert "Accept-Language" in page.headers["vary"] and "Cookie" in page.headers["vary"]
    assert "set-cookie" not in page.headers  # no visitor gets another's CSRF cookie
    assert "csrf" not in page.text
    again = fresh.get("/about", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    greek = fresh.get("/about", headers={"Accept-Language": "el"})
    assert greek.headers["etag"] != page.headers["etag"]
    login(client, "learner")
    mine = client.get("/about")
    assert "public" not in mine.headers.get("cache-control", "")
    assert 'name="csrf_token"' in mine.text  # the signed-in header has its forms


def test_a_visitor_chooses_a_language_without_a_form_token(client: TestClient) -> None:
    response = client.get("/language?language=pt&next=/about", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/about"
    assert '<html lang="pt">' in client.get("/about").text
    for hostile in (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/x\r\nSet-Cookie: a=b",
    ):
        response = client.get(
            "/language", params={"language": "de", "next": hostile}, follow_redirects=False
        )
        assert response.headers["location"] == "/", hostile
    bad = client.get("/language?language=xx")
    assert bad.status_code == 400 and "expected one of en, el, de, pt" in bad.text


@pytest.mark.usefixtures("accounts")
def test_a_signed_in_users_language_changes_only_through_the_protected_form(
    client: TestClient, engine: Engine
) -> None:
    from crisis.store import users

    login(client, "learner")
    client.get("/language?language=de&next=/")
    with Session(engine) as db:
        assert users.get_user(db, "learner").language is None


def test_register_says_whether_an_invitation_is_needed(settings: Settings, engine: Engine) -> None:
    closed = TestClient(create_app(settings, engine=engine)).get("/register").text
    assert (
        "you need an invitation code" in closed
        and 'name="code" value="" autocomplete="off" required' in closed
    )
    open_app = create_app(replace(settings, open_registration=True), engine=engine)
    opened = TestClient(open_app).get("/register").text
    assert (
        "no invitation is needed" in opened and "required>" not in opened.split('id="code"')[1][:80]
    )


def test_every_term_used_by_a_template_is_in_the_glossary() -> None:
    templates = Path(__file__).resolve().parents[2] / "src" / "crisis" / "web" / "templates"
    used = set()
    for path in templates.rglob("*.html"):
        used |= set(re.findall(r"term\(\"([a-z0-9-]+)\"", path.read_text(encoding="utf-8")))
    assert used, "no template explains a term"
    assert sorted(t for t in used if t not in bundled_glossary()) == []


# --- the demonstration exercise --------------------------------------------------------------


@pytest.fixture
def visitor(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A visitor on an app that allows one demonstration run per address and hour."""
    app = create_app(replace(settings, demo_runs_per_hour=1), engine=engine)
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def test_a_visitor_plays_the_demonstration_and_nothing_is_stored(
    visitor: TestClient, engine: Engine
) -> None:
    page = visitor.get("/demo")
    assert page.status_code == 200 and 'action="/demo/run"' in page.text
    assert demo_exercise().title.en in page.text
    before = _rows(engine)
    debrief = visitor.post(
        "/demo/run", data={"plan": json.dumps(GOOD_PLAN), "csrf_token": _token(visitor, page.text)}
    )
    assert debrief.status_code == 200, debrief.text[:500]
    assert 'id="score-card"' in debrief.text and 'href="/register"' in debrief.text
    assert "substation bus-147" in debrief.text
    assert _rows(engine) == before  # no job, no run, no evidence: nothing kept
    # One run per hour here: the next one is refused with the wait, and the plan is kept.
    again = visitor.post(
        "/demo/run", data={"plan": json.dumps(GOOD_PLAN), "csrf_token": _token(visitor, page.text)}
    )
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
    assert "Try again in" in again.text and "bus-147" in again.text


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("not json", "could not be read"),
        ('{"measure": "barrier"}', "could not be read"),
        ('[{"measure": "moat", "asset": "bus-147"}]', "moat"),
        ('[{"measure": "barrier", "asset": "bus-99999"}]', "no asset &#39;bus-99999&#39;"),
        ('[{"measure": "barrier", "asset": "pipe-1"}]', "pipe-1"),
        ('[{"measure": "barrier"}]', "needs an asset"),
        ('[{"measure": "power-crews", "asset": "bus-147"}]', "city-wide"),
        ('[{"measure": "power-crews"}, {"measure": "power-crews"}]', "already in the plan"),
        ('[{"measure": ["barrier"], "asset": {"x": 1}}]', "placement 1"),
        ('[{"measure": "barrier", "asset": "bus-147", "cost": 0}]', "unexpected field"),
        (
            json.dumps(
                [{"measure": "power-crews"}]
                + [{"measure": "barrier", "asset": a} for a in ("bus-147", "bus-140", "bus-189")]
            ),
            "budget",
        ),
        (
            json.dumps([{"measure": "barrier", "asset": f"bus-{i}"} for i in range(60)]),
            "at most 40",
        ),
    ],
)
def test_hostile_plans_are_refused_with_a_clear_message_and_cost_nothing(
    visitor: TestClient, plan: str, message: str
) -> None:
    page = visitor.get("/demo")
    response = visitor.post(
        "/demo/run", data={"plan": plan, "csrf_token": _token(visitor, page.text)}
    )
    assert response.status_code == 422
    error = re.search(
        r'<div class="error" role="alert" id="plan-error"><p>(.*?)</p>', response.text
    )
    assert error and message in error.group(1), error.group(1) if error else response.text[:300]
    # A refused plan does not use up the visitor's hourly run.
    assert visitor.app.state.demo.limit.take("testclient") == 0


def test_the_demonstration_refuses_oversized_and_forged_requests(visitor: TestClient) -> None:
    page = visitor.get("/demo")
    huge = visitor.post(
        "/demo/run",
        data={"plan": "[" + "1," * 20_000 + "1]", "csrf_token": _token(visitor, page.text)},
    )
    assert huge.status_code == 422 and "plan" in huge.text
    forged = visitor.post("/demo/run", data={"plan": json.dumps(GOOD_PLAN)})
    assert forged.status_code == 403
    assert visitor.get("/demo/run").status_code == 405


def test_the_demonstration_can_be_switched_off(settings: Settings, engine: Engine) -> None:
    app = create_app(replace(settings, demo_runs_per_hour=0), engine=engine)
    with TestClient(app) as c:
        page = c.get("/demo")
        assert "switched off" in page.text
        response = c.post(
            "/demo/run", data={"plan": json.dumps(GOOD_PLAN), "csrf_token": _token(c, page.text)}
        )
        assert response.status_code == 422 and "switched off" in response.text


def test_rate_limit_counts_per_address_within_the_hour() -> None:
    limit = RateLimit(2, window=3600)
    assert limit.take("a", now=0) == 0 and limit.take("a", now=10) == 0
    assert limit.take("a", now=20) == pytest.approx(3580)
    assert limit.take("b", now=20) == 0  # another address has its own count
    assert limit.take("a", now=3601) == 0  # the first run has left the window


def test_ipv6_visitors_are_counted_by_their_network() -> None:
    assert address_key("2001:db8::1") == address_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_key("2001:db8:0:1::1") != address_key("2001:db8::1")
    assert address_key("192.0.2.7") == "192.0.2.7"
    assert address_key("not an address" * 10) == ("not an address" * 10)[:64]


@pytest.mark.slow
def test_the_worker_queue_is_bounded() -> None:
    """More plans at once than the worker and its queue take: the rest are turned away."""
    runner = DemoRunner(runs_per_hour=100)

    async def many() -> list[object]:
        return await asyncio.gather(*(runner.run([]) for _ in range(6)))

    try:
        results = asyncio.run(many())
    finally:
        runner.shutdown()
    done = [r for r in results if r is not None]
    assert 1 <= len(done) <= 3 and results.count(None) >= 3
    assert all(r["n_scenarios"] == demo_exercise().scenarios for r in done)  # type: ignore[index]
