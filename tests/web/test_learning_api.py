"""The learning JSON API: self-assessment, adaptive test (409 on replays), profile, gaps,
path and cohorts with role checks — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crisis.competences import load_bundled
from crisis.learners.cat import CatConfig
from tests.conftest import csrf_of, login

COMPETENCES = [c.id for c in load_bundled().framework.competences]


@pytest.fixture
def api(client: TestClient, accounts: dict[str, str]) -> TestClient:
    login(client, "learner")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


def test_api_needs_sign_in_and_a_learning_role(client: TestClient, accounts: dict) -> None:
    assert client.get("/api/v1/learning/profile").status_code == 401
    login(client, "analyst")
    assert client.get("/api/v1/learning/self-assessment").status_code == 403
    login(client, "learner")
    response = client.post(
        "/api/v1/learning/cohorts",
        json={"name": "Mine"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert response.status_code == 403


def test_self_assessment_round_trip(api: TestClient) -> None:
    start = api.get("/api/v1/learning/self-assessment").json()
    assert start["remaining"] == COMPETENCES and not start["complete"]
    assert start["competences"][0]["statements"][1]["text"].startswith("I ")
    done = api.put("/api/v1/learning/self-assessment", json={"ratings": {"C01": 2, "C02": 3}})
    assert done.json()["ratings"] == {"C01": 2, "C02": 3}
    bad = api.put("/api/v1/learning/self-assessment", json={"ratings": {"C03": 1, "C01": 9}})
    assert bad.status_code == 400 and "C01" in bad.json()["detail"]
    # All or nothing: C03 was not stored either.
    assert "C03" not in api.get("/api/v1/learning/self-assessment").json()["ratings"]


def test_adaptive_test_over_the_api(api: TestClient) -> None:
    state = api.post("/api/v1/learning/test").json()
    answered = 0
    first = None
    while not state["finished"]:
        body = {
            "attempt": state["attempt"],
            "item": state["question"]["id"],
            "sequence": state["sequence"],
            "option": 0,
        }
        first = first or body
        response = api.post("/api/v1/learning/test/answer", json=body)
        assert response.status_code == 200, response.text
        state = response.json()
        answered += 1
    assert 8 <= answered <= CatConfig().max_items
    # A replay after the end: 409, nothing recorded.
    assert first is not None
    replay = api.post("/api/v1/learning/test/answer", json=first)
    assert replay.status_code == 409
    result = api.get(f"/api/v1/learning/test/{state['attempt']}").json()
    assert len(result["answers"]) == answered
    assert all(a["explanation"] for a in result["answers"])
    profile = api.get("/api/v1/learning/profile").json()
    assert {c["competence"] for c in profile["competences"]} == set(COMPETENCES)
    assert any(c["test_level"] is not None for c in profile["competences"])


def test_answer_conflicts(api: TestClient) -> None:
    state = api.post("/api/v1/learning/test").json()
    body = {
        "attempt": state["attempt"],
        "item": state["question"]["id"],
        "sequence": state["sequence"],
        "option": 1,
    }
    assert api.post("/api/v1/learning/test/answer", json=body).status_code == 200
    again = api.post("/api/v1/learning/test/answer", json=body)
    assert again.status_code == 409 and "already answered" in again.json()["detail"]
    following = api.get("/api/v1/learning/test/next").json()
    wrong_item = dict(body, item="C20-01", sequence=following["sequence"])
    if following["question"]["id"] == "C20-01":
        wrong_item["item"] = "C19-01"
    refused = api.post("/api/v1/learning/test/answer", json=wrong_item)
    assert refused.status_code == 409 and "was not asked" in refused.json()["detail"]
    assert api.post("/api/v1/learning/test/answer", json=dict(body, attempt=999)).status_code == 404
    negative = api.post("/api/v1/learning/test/answer", json=dict(body, option=-1))
    assert negative.status_code == 422


def test_gaps_and_path(api: TestClient) -> None:
    api.put("/api/v1/learning/self-assessment", json={"ratings": dict.fromkeys(COMPETENCES, 1)})
    gaps = api.get("/api/v1/learning/gaps?profile=scro").json()
    assert gaps["profile"] == "scro"
    assert gaps["gaps"][0]["essential"] and gaps["gaps"][0]["gap"] >= 1
    assert api.get("/api/v1/learning/gaps?profile=nope").status_code == 404
    path = api.put(
        "/api/v1/learning/path",
        json={"hours_per_week": 5, "start": "2027-03-01", "scope": "scro-mooc"},
    ).json()
    assert path["hours_per_week"] == 5 and path["completed"] == []
    assert path["steps"][0]["start"] == "2027-03-01" and path["hours"] <= 80
    assert {s["module"][0] for s in path["steps"]} == {"M"}
    assert api.put("/api/v1/learning/path", json={"scope": "ZZ"}).status_code == 400
    assert api.put("/api/v1/learning/path", json={"hours_per_week": 0}).status_code == 422


def test_cohorts_over_the_api(client: TestClient, accounts: dict, app) -> None:  # type: ignore[no-untyped-def]
    login(client, "instructor")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    made = client.post("/api/v1/learning/cohorts", json={"name": "Night class"})
    assert made.status_code == 201
    cohort = made.json()
    learner = TestClient(app)  # no lifespan: it would dispose the shared engine
    login(learner, "learner")
    learner.headers["X-CSRF-Token"] = csrf_of(learner)
    joined = learner.post(
        "/api/v1/learning/cohorts/join", json={"code": cohort["join_code"], "consent": True}
    )
    assert joined.json()["consent"] is True and "join_code" not in joined.json()
    assert learner.get("/api/v1/learning/cohorts").json()["joined"][0]["id"] == cohort["id"]
    needs = client.get(f"/api/v1/learning/cohorts/{cohort['id']}/needs").json()
    assert needs["size"] == 1 and "Test learner (learner)" in needs["matrix"]
    data = ("person,C01\n" + "\n".join(f"p{k},{k % 5}" for k in range(6)) + "\n").encode()
    imported = client.post(
        f"/api/v1/learning/cohorts/{cohort['id']}/import",
        files={"file": ("staff.csv", data, "text/csv")},
    )
    assert imported.json() == {"imported": 6, "size": 7}
    bad = client.post(
        f"/api/v1/learning/cohorts/{cohort['id']}/import",
        files={"file": ("staff.csv", b"person,C01\nx,5\n", "text/csv")},
    )
    assert bad.status_code == 400 and bad.json()["errors"][0].startswith("staff.csv:2: column B")
    export = client.get(f"/api/v1/learning/cohorts/{cohort['id']}/export.csv")
    # The one learner is too few for a group of their own: the export holds the imported rows.
    assert export.status_code == 200 and len(export.text.strip().splitlines()) == 7
    assert ",learner," not in export.text


def test_concurrent_submissions_of_one_answer_record_it_once(api: TestClient, app, engine) -> None:  # type: ignore[no-untyped-def]
    import threading

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from crisis.store.learner_tables import LearningResponse

    state = api.post("/api/v1/learning/test").json()
    body = {
        "attempt": state["attempt"],
        "item": state["question"]["id"],
        "sequence": state["sequence"],
        "option": 0,
    }
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        # Without ``with``: the app's lifespan (which disposes the shared engine) stays out.
        twin = TestClient(app)
        twin.cookies.update(api.cookies)
        twin.headers["X-CSRF-Token"] = api.headers["X-CSRF-Token"]
        barrier.wait()
        statuses.append(twin.post("/api/v1/learning/test/answer", json=body).status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(LearningResponse)) == 1


def test_a_learner_who_always_picks_the_longest_option_ends_at_not_yet_or_basic(
    api: TestClient,
) -> None:
    """The test-wise check through the web's own path: the API, the stored test, the
    exposure rates, the profile."""
    state = api.post("/api/v1/learning/test").json()
    while not state["finished"]:
        options = state["question"]["options"]
        longest = max(range(len(options)), key=lambda k: len(options[k]))
        response = api.post(
            "/api/v1/learning/test/answer",
            json={
                "attempt": state["attempt"],
                "item": state["question"]["id"],
                "sequence": state["sequence"],
                "option": longest,
            },
        )
        assert response.status_code == 200, response.text
        state = response.json()
    levels = [c["level"] for c in api.get("/api/v1/learning/profile").json()["competences"]]
    assert len(levels) == 20
    assert sum(level <= 1 for level in levels) / len(levels) >= 0.9
