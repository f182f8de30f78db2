"""A launch that fails any check is refused with 401 and a problem JSON naming the check, and
creates nothing: no account, session, course, link, grant, statement or used nonce.

The hostile id_tokens are signed with the real platform's own key (through lti1p3platform's
registration), as a faulty or compromised platform would send them; the bad signature is
made with a key of the attacker's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from lti1p3platform.registration import Registration
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crisis.store.integration_tables import (
    LtiAccount,
    LtiContext,
    LtiGrant,
    LtiLink,
    LtiNonce,
    OutboxMessage,
)
from crisis.store.tables import User, WebSession
from tests.conftest import login
from tests.integrations.conftest import client_for
from tests.integrations.flows import platform_form, register, start_login
from tests.integrations.platform import LEARNER, Launch, TestPlatform

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
TABLES = (User, WebSession, LtiAccount, LtiContext, LtiLink, LtiGrant, OutboxMessage, LtiNonce)
SPEC = Launch("learner-9", [LEARNER], "Rita Refused", "rl-9", {"activity": "test"})


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as db:
        return {
            t.__tablename__: db.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES
        }


@pytest.fixture
def browser(lti_app, accounts, platform: TestPlatform) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A learner's browser at a CRISIS that has the platform registered."""
    with client_for(lti_app) as admin, client_for(lti_app) as client:
        login(admin, "admin")
        register(admin, platform)
        platform.set_tool_keys(admin.get("/lti/jwks").json())
        yield client


def claims(platform: TestPlatform, nonce: str, **changes: Any) -> dict[str, Any]:
    """The claims of a resource-link launch as the platform would sign them."""
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": platform.issuer,
        "aud": platform.client_id,
        "sub": SPEC.user,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": SPEC.name,
        LTI + "deployment_id": platform.deployment,
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "version": "1.3.0",
        LTI + "roles": SPEC.roles,
        LTI + "resource_link": {"id": SPEC.resource_link},
        LTI + "target_link_uri": "http://testserver/lti/launch",
        LTI + "custom": SPEC.custom,
        LTI + "context": {"id": "course-7", "title": "SCRO 101"},
    }
    for name, value in changes.items():
        key = name if name in body else LTI + name
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _attacker_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def signed(platform: TestPlatform, body: dict[str, Any], *, forged: bool = False) -> str:
    if forged:  # the platform's key id, someone else's key
        headers = {"kid": platform.registration.get_kid()}
        return Registration.encode_and_sign(body, _attacker_key(), headers)
    return platform.registration.platform_encode_and_sign(body)


def post(client: TestClient, token: str, state: str) -> Any:
    return client.post("/lti/launch", data={"id_token": token, "state": state})


# Each case: (check named, detail words, how the launch is spoiled). The spoiler gets the
# browser, the platform and the login's parameters, and posts the launch.
Spoiler = Callable[[TestClient, TestPlatform, dict[str, str]], Any]


def _bad_signature(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    return post(c, signed(p, claims(p, login["nonce"]), forged=True), login["state"])


def _wrong_audience(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    return post(c, signed(p, claims(p, login["nonce"], aud="someone-else")), login["state"])


def _expired(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    past = int(time.time()) - 3600
    body = claims(p, login["nonce"], iat=past - 300, exp=past)
    return post(c, signed(p, body), login["state"])


def _unknown_deployment(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    body = claims(p, login["nonce"], deployment_id="dep-nobody-registered")
    return post(c, signed(p, body), login["state"])


def _missing_claims(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    body = claims(p, login["nonce"], sub=None, roles=None, resource_link=None)
    return post(c, signed(p, body), login["state"])


def _no_deployment_claim(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    return post(c, signed(p, claims(p, login["nonce"], deployment_id=None)), login["state"])


def _state_mismatch(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    return post(c, signed(p, claims(p, login["nonce"])), login["state"] + "x")


def _no_state_cookie(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    c.cookies.delete("crisis_lti_state", path="/lti/")
    return post(c, signed(p, claims(p, login["nonce"])), login["state"])


def _other_nonce(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    return post(c, signed(p, claims(p, "a-nonce-we-never-sent")), login["state"])


def _unknown_issuer(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    body = claims(p, login["nonce"], iss="https://lms.elsewhere.example")
    return post(c, signed(p, body), login["state"])


def _unsigned(c: TestClient, p: TestPlatform, login: dict[str, str]) -> Any:
    import base64
    import json

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    token = part({"alg": "none", "typ": "JWT"}) + "." + part(claims(p, login["nonce"])) + "."
    return post(c, token, login["state"])


CASES: dict[str, tuple[str, str, Spoiler]] = {
    "bad signature": ("signature", "does not match", _bad_signature),
    "unsigned (alg none)": ("signature", "RS256", _unsigned),
    "wrong audience": ("audience", "someone-else", _wrong_audience),
    "expired token": ("expiry", "expired", _expired),
    "unknown deployment": ("deployment", "dep-nobody-registered", _unknown_deployment),
    "missing claims": ("claims", "sub, roles, resource_link.id", _missing_claims),
    "no deployment claim": ("claims", "deployment_id", _no_deployment_claim),
    "state mismatch": ("state", "does not match", _state_mismatch),
    "no state cookie": ("state", "did not start the login", _no_state_cookie),
    "nonce not ours": ("nonce", "does not match", _other_nonce),
    "unknown issuer": ("issuer", "lms.elsewhere.example", _unknown_issuer),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_spoiled_launch_is_refused_and_creates_nothing(  # type: ignore[no-untyped-def]
    case, browser, platform, engine
) -> None:
    check, words, spoil = CASES[case]
    login_params = start_login(browser, platform, "hint-1", SPEC)
    before = counts(engine)
    answer = spoil(browser, platform, login_params)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 401 and problem["check"] == check, problem
    assert problem["detail"].startswith(check + ":") and words in problem["detail"], problem
    assert counts(engine) == before
    assert "crisis_session" not in browser.cookies


def test_a_replayed_launch_is_refused_and_creates_nothing(browser, platform, engine) -> None:  # type: ignore[no-untyped-def]
    """The same id_token, state and state cookie posted again: the nonce is spent."""
    fields = platform_form(browser, platform, "hint-2", SPEC)
    state_cookie = browser.cookies.get("crisis_lti_state")
    first = browser.post("/lti/launch", data=fields, follow_redirects=False)
    assert first.status_code == 303, first.text
    after_first = counts(engine)
    assert after_first["lti_nonce"] == 1 and after_first["lti_account"] == 1
    # An attacker who captured the whole exchange replays it from a fresh browser.
    with TestClient(browser.app, base_url="http://testserver") as attacker:
        attacker.cookies.set("crisis_lti_state", state_cookie, path="/lti/")
        again = attacker.post("/lti/launch", data=fields, follow_redirects=False)
        assert again.status_code == 401 and again.json()["check"] == "nonce", again.text
        assert "used before" in again.json()["detail"]
        assert "crisis_session" not in attacker.cookies
    assert counts(engine) == after_first


def test_a_browser_gets_an_error_page_naming_the_check(browser, platform, engine) -> None:  # type: ignore[no-untyped-def]
    login_params = start_login(browser, platform, "hint-3", SPEC)
    before = counts(engine)
    token = signed(platform, claims(platform, login_params["nonce"], aud="someone-else"))
    answer = browser.post(
        "/lti/launch",
        data={"id_token": token, "state": login_params["state"]},
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert answer.status_code == 401 and answer.headers["content-type"].startswith("text/html")
    assert "LTI launch refused" in answer.text and "audience: aud" in answer.text
    assert counts(engine) == before
