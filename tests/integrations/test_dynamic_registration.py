"""LTI Dynamic Registration against a platform whose registration endpoint is Authlib's
(RFC 7591 with OpenID Connect client metadata), then a launch through what was registered."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisis.store.integration_tables import LtiPlatform, LtiRegistrationLink
from tests.conftest import csrf_of, login
from tests.integrations.conftest import client_for
from tests.integrations.flows import launch
from tests.integrations.platform import LEARNER, LTI_SCOPES, Launch, TestPlatform


def new_link(admin: TestClient) -> str:
    page = admin.post("/admin/lti/registration-links", data={"csrf_token": csrf_of(admin)})
    assert page.status_code == 200, page.text
    found = re.search(r"(http://testserver/lti/register/[A-Za-z0-9_-]+)", page.text)
    assert found, page.text
    return found.group(1)


def form_of(page: str) -> dict[str, str]:
    return dict(
        re.findall(r'name="(openid_configuration|registration_token)" value="([^"]*)"', page)
    )


def platforms(engine) -> list[LtiPlatform]:  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        return list(db.scalars(select(LtiPlatform)))


@pytest.fixture
def admin(lti_app, accounts):  # type: ignore[no-untyped-def]
    with client_for(lti_app) as client:
        login(client, "admin")
        yield client


def test_dynamic_registration_then_a_launch(  # type: ignore[no-untyped-def]
    lti_app, admin, engine, platform: TestPlatform
) -> None:
    address = new_link(admin)
    with client_for(lti_app) as lms_admin, client_for(lti_app) as learner:
        # The LMS's administrator, not signed in to CRISIS, in the LMS's registration frame.
        platform.fetch_tool_jwks = lambda url: lms_admin.get(url).json()
        offer = lms_admin.get(platform.registration_start(address))
        assert offer.status_code == 200, offer.text
        assert "lti1p3platform" in offer.text and platform.issuer in offer.text
        csp = offer.headers["content-security-policy"]
        assert f"frame-ancestors 'self' {platform.url}" in csp  # the LMS may frame it
        assert platforms(engine) == []  # the offer writes nothing
        done = lms_admin.post(urlsplit(address).path, data=form_of(offer.text))
        assert done.status_code == 200, done.text
        assert "CRISIS is registered" in done.text and "data-lti-close" in done.text
        assert "/static/integrations.js" in done.text

        # What the platform got: an OpenID client registration with the LTI tool configuration.
        (client,) = platform.registered
        metadata, tool = client["metadata"], client["tool"]
        assert metadata["token_endpoint_auth_method"] == "private_key_jwt"
        assert metadata["initiate_login_uri"] == "http://testserver/lti/login"
        assert metadata["redirect_uris"] == ["http://testserver/lti/launch"]
        assert metadata["jwks_uri"] == "http://testserver/lti/jwks"
        assert sorted(metadata["scope"].split()) == sorted(LTI_SCOPES)
        assert tool["domain"] == "testserver"
        assert [m["type"] for m in tool["messages"]] == ["LtiDeepLinkingRequest"]

        # What CRISIS stored: the platform with the client id and deployment it was given.
        (row,) = platforms(engine)
        assert (row.issuer, row.client_id, row.deployment_ids) == (
            platform.issuer,
            "dyn-1",
            [platform.deployment],
        )
        assert (row.auth_url, row.token_url, row.jwks_url) == (
            platform.url + "/auth",
            platform.url + "/token",
            platform.url + "/jwks",
        )
        assert (
            "LMS platforms" in admin.get("/admin/lti").text
            and "dyn-1" in admin.get("/admin/lti").text
        )

        # A launch through the registration works at once, signed in without a password.
        spec = Launch("dyn-learner", [LEARNER], "Dina Dynamic", "rl-dyn", {"activity": "test"})
        opened = launch(learner, platform, "dyn-hint", spec)
        assert opened.status_code == 303, opened.text
        assert opened.headers["location"] == "/learning/test"

        # The address serves once.
        again = lms_admin.get(platform.registration_start(address))
        assert again.status_code == 401 and again.json()["check"] == "registration link"


def test_a_registration_the_platform_refuses_stores_nothing_and_can_be_retried(  # type: ignore[no-untyped-def]
    lti_app, admin, engine, platform: TestPlatform
) -> None:
    address = new_link(admin)
    with client_for(lti_app) as lms_admin:
        platform.fetch_tool_jwks = lambda url: lms_admin.get(url).json()
        offer = lms_admin.get(platform.registration_start(address))
        fields = form_of(offer.text)
        refused = lms_admin.post(
            urlsplit(address).path, data={**fields, "registration_token": "not-the-platform's"}
        )
        assert refused.status_code == 401, refused.text
        problem = refused.json()
        assert problem["check"] == "registration" and "HTTP 4" in problem["detail"], problem
        assert platforms(engine) == [] and platform.registered == []
        # The address was given back: the LMS administrator tries again and it works.
        done = lms_admin.post(urlsplit(address).path, data=fields)
        assert done.status_code == 200, done.text
        assert len(platforms(engine)) == 1


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"issuer": "https://lms.elsewhere.example"}, "is not on the host"),
        ({"token_endpoint_auth_methods_supported": ["client_secret_basic"]}, "private_key_jwt"),
        ({"registration_endpoint": ""}, "lacks registration_endpoint"),
    ],
)
def test_a_platform_configuration_that_does_not_hold_is_refused(  # type: ignore[no-untyped-def]
    lti_app, admin, engine, platform: TestPlatform, changes, words
) -> None:
    platform.configuration_changes = changes
    address = new_link(admin)
    with client_for(lti_app) as lms_admin:
        answer = lms_admin.get(platform.registration_start(address))
        assert answer.status_code == 401, answer.text
        assert answer.json()["check"] == "configuration" and words in answer.json()["detail"]
        posted = lms_admin.post(
            urlsplit(address).path,
            data={
                k: v[0]
                for k, v in parse_qs(urlsplit(platform.registration_start(address)).query).items()
            },
        )
        assert posted.status_code == 401 and posted.json()["check"] == "configuration"
    assert platforms(engine) == [] and platform.registered == []
    with Session(engine) as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(LtiRegistrationLink)
                .where(LtiRegistrationLink.used_at.is_(None))
            )
            == 1
        )


def test_registration_addresses_are_for_admins_and_must_be_ours(  # type: ignore[no-untyped-def]
    lti_app, accounts, platform: TestPlatform
) -> None:
    with client_for(lti_app) as instructor, client_for(lti_app) as stranger:
        login(instructor, "instructor")
        made = instructor.post(
            "/admin/lti/registration-links", data={"csrf_token": csrf_of(instructor)}
        )
        assert made.status_code == 403
        guessed = stranger.get(
            platform.registration_start("http://testserver/lti/register/" + "A" * 32)
        )
        assert guessed.status_code == 401 and guessed.json()["check"] == "registration link"
        bare = stranger.get("/lti/register/" + "A" * 32)
        assert bare.status_code == 401 and bare.json()["check"] == "configuration"
