from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import csrf_of, login


def _token(client: TestClient, role: str) -> str:
    login(client, role)
    response = client.post("/account/tokens", data={"name": "ci", "csrf_token": csrf_of(client)})
    assert response.status_code == 200
    start = response.text.index('id="new-token">') + len('id="new-token">')
    return response.text[start : response.text.index("<", start)]


@pytest.mark.usefixtures("accounts")
def test_api_token_authenticates_and_revocation_stops_it(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as browser:
        token = _token(browser, "instructor")
        tokens_page = browser.get("/account").text
    with TestClient(app) as script:
        me = script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["role"] == "instructor"
    assert token[:8] in tokens_page
    with TestClient(app) as browser:
        login(browser, "instructor")
        page = browser.get("/account").text
        token_id = page.split("/account/tokens/")[1].split("/")[0]
        browser.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(browser)})
    with TestClient(app) as script:
        again = script.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert again.status_code == 401
        assert again.headers["content-type"].startswith("application/problem+json")


@pytest.mark.usefixtures("accounts")
def test_admin_creates_user_over_api_and_others_cannot(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as browser:
        admin_token = _token(browser, "admin")
    with TestClient(app) as browser:
        learner_token = _token(browser, "learner")
    with TestClient(app) as script:
        created = script.post(
            "/api/v1/users",
            json={"username": "maria", "role": "analyst"},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert created.status_code == 201
        assert created.json()["role"] == "analyst" and len(created.json()["password"]) >= 10
        denied = script.get("/api/v1/users", headers={"Authorization": f"Bearer {learner_token}"})
        assert denied.status_code == 403
        duplicate = script.post(
            "/api/v1/users",
            json={"username": "maria"},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert duplicate.status_code == 409
        assert "already taken" in duplicate.json()["detail"]


@pytest.mark.usefixtures("accounts")
def test_malformed_json_is_a_problem_not_a_500(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as browser:
        token = _token(browser, "admin")
    with TestClient(app) as script:
        response = script.post(
            "/api/v1/users",
            content=b"{not json",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        body = response.json()
        assert body["status"] == 422 and body["errors"]
        wrong = script.post(
            "/api/v1/users",
            json={"username": "x y", "role": "emperor"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert wrong.status_code == 400
        assert "username" in wrong.json()["detail"]


def test_unknown_route_is_404_page_and_problem(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "<h1>404" in page.text
    api = client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.json()["status"] == 404


def test_openapi_and_docs_are_served_offline(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/me" in spec["paths"]
    docs = client.get("/api/docs").text
    assert "cdn" not in docs.lower() and "/vendor/swagger/swagger-ui-bundle.js" in docs
    assert client.get("/vendor/swagger/swagger-ui-bundle.js").status_code == 200


def test_oversized_request_gets_413(client: TestClient) -> None:
    response = client.post(
        "/login", content=b"x" * (11 * 1024 * 1024), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 413


def test_unreachable_database_gives_503(settings) -> None:  # type: ignore[no-untyped-def]
    from crisis.store.db import make_engine
    from crisis.web.app import create_app

    app = create_app(settings, engine=make_engine("postgresql://nobody@127.0.0.1:1/none"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 503
        page = client.get("/login", follow_redirects=False)
        assert page.status_code == 200  # the sign-in form needs no database
        response = client.post(
            "/login",
            data={"username": "a", "password": "b", "csrf_token": csrf_of(client)},
        )
        assert response.status_code == 503
        assert "database cannot be reached" in response.text


@pytest.mark.usefixtures("accounts")
def test_database_failure_while_signed_in_is_a_503_page(app, engine) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        login(client, "learner")
        assert client.get("/learning").status_code == 200
        engine.dispose()
        # Point the app's sessions at a server that is not there, as when the database goes down.
        from crisis.store.db import make_engine, make_sessionmaker

        gone = make_engine("postgresql://x@127.0.0.1:1/x")
        app.state.sessionmaker = make_sessionmaker(gone)
        app.state.readers = make_sessionmaker(gone, read_only=True)
        response = client.get("/learning")
        assert response.status_code == 503
        assert "database cannot be reached" in response.text
