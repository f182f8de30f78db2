"""What the integration tests do again and again: register a platform, launch as a browser
would, answer a unit quiz."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx2
from fastapi.testclient import TestClient

from crisis.learners import load_bundled_items
from tests.conftest import csrf_of
from tests.integrations.platform import Launch, TestPlatform


def register(admin: TestClient, platform: TestPlatform) -> None:
    """The admin registers the platform with the values its tool page shows."""
    answer = admin.post(
        "/admin/lti",
        data={
            "csrf_token": csrf_of(admin),
            "name": "Test LMS",
            "issuer": platform.issuer,
            "client_id": platform.client_id,
            "auth_url": platform.url + "/auth",
            "token_url": platform.url + "/token",
            "jwks_url": platform.url + "/jwks",
            "deployment_ids": platform.deployment,
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Test LMS" in answer.text


def start_login(
    client: TestClient, platform: TestPlatform, hint: str, spec: Launch
) -> dict[str, str]:
    """The platform starts a launch; the tool answers with the redirect to the platform's
    authorization endpoint. Returns that request's parameters (state, nonce, …)."""
    start = client.get(platform.login_url(hint, spec), follow_redirects=False)
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert location.startswith(platform.url + "/auth?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def platform_form(
    client: TestClient, platform: TestPlatform, hint: str, spec: Launch
) -> dict[str, str]:
    """The form the platform's page posts to the tool: id_token and state."""
    start = client.get(platform.login_url(hint, spec), follow_redirects=False)
    assert start.status_code == 302, start.text
    form = httpx2.get(start.headers["location"], timeout=10)
    assert form.status_code == 200, form.text
    action = re.search(r'action="([^"]+)"', form.text)
    assert action and action.group(1) == "http://testserver/lti/launch"
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]+)"', form.text))
    assert set(fields) == {"id_token", "state"}
    return fields


def launch(client: TestClient, platform: TestPlatform, hint: str, spec: Launch) -> httpx2.Response:
    """What a browser does: follow the login initiation to the platform and post its form."""
    fields = platform_form(client, platform, hint, spec)
    return client.post("/lti/launch", data=fields, follow_redirects=False)


def answer_quiz(client: TestClient, unit: str, right: bool) -> dict[str, object]:
    """Start the unit's quiz and answer every question right (or every one wrong)."""
    headers = {"x-csrf-token": csrf_of(client)}
    started = client.post(f"/api/v1/courses/units/{unit}/quiz", headers=headers)
    assert started.status_code == 201, started.text
    bank = load_bundled_items()
    answers = {}
    for question in started.json()["questions"]:
        item = bank.item(question["id"])
        answers[item.id] = item.answer if right else (item.answer + 1) % len(item.options)
    done = client.post(
        f"/api/v1/courses/units/{unit}/quiz/{started.json()['quiz']}",
        json={"answers": answers},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    return done.json()
