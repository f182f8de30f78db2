"""The workbench JSON API on SQLite and PostgreSQL, and the simulator estimate as a job."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisis.store import users, workspaces
from tests.conftest import PASSWORD, csrf_of, login

API = "/api/v1/workbench/workspaces"


@pytest.fixture
def demo(engine: Engine, accounts: dict[str, str]) -> str:
    with Session(engine) as db, db.begin():
        row = workspaces.seed_demo(db, users.get_user(db, "analyst"))
        assert row is not None
        nikos = users.add_user(db, "nikos", PASSWORD, "analyst")
        workspaces.set_member(db, row, nikos, "editor")
    return "portavera"


def _headers(client: TestClient, **extra: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_of(client), **extra}


def test_workspaces_are_listed_and_created(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    assert client.get(API).json() == [
        {"name": "portavera", "city": "Portavera", "version": 1, "role": "owner"}
    ]
    made = client.post(
        API, json={"name": "testville", "city": "Testville"}, headers=_headers(client)
    )
    assert made.status_code == 201 and made.json()["role"] == "owner"
    clash = client.post(API, json={"name": "testville", "city": "X"}, headers=_headers(client))
    assert clash.status_code == 409 and clash.headers["content-type"] == "application/problem+json"
    state = client.get(f"{API}/portavera").json()
    assert len(state["workspace"]["register"]["hazards"]) == 13 and state["plan"] is None
    login(client, "learner")
    assert client.get(API).status_code == 403


def test_two_analysts_editing_a_hazard_over_the_api(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    url = f"{API}/portavera/hazards/earthquake"
    first = client.get(url)
    assert first.headers["etag"] == '"1"'
    mine = {**first.json(), "owner": "Seismic office"}
    with TestClient(client.app) as nikos:
        login(nikos, "nikos")
        theirs = {**nikos.get(url).json(), "owner": "Civil protection and fire brigade"}
        saved = nikos.put(url, json=theirs, headers=_headers(nikos, **{"If-Match": '"1"'}))
        assert saved.status_code == 200 and saved.headers["etag"] == '"2"'
    conflict = client.put(url, json=mine, headers=_headers(client, **{"If-Match": '"1"'}))
    assert conflict.status_code == 409
    body = conflict.json()
    assert "you edited version 1, the register now holds version 2" in body["detail"]
    assert body["current"]["owner"] == "Civil protection and fire brigade"
    assert conflict.headers["etag"] == '"2"'
    assert client.get(url).json()["owner"] == "Civil protection and fire brigade"
    retry = client.put(url, json={**mine, "version": 2}, headers=_headers(client))
    assert retry.status_code == 200 and retry.json()["owner"] == "Seismic office"
    missing = client.put(
        url, json={k: v for k, v in mine.items() if k != "version"}, headers=_headers(client)
    )
    assert missing.status_code == 400 and "If-Match" in missing.json()["detail"]
    versions = client.get(f"{API}/portavera/versions").json()
    assert [(v["number"], v["author"]) for v in versions] == [
        (3, "analyst"),
        (2, "nikos"),
        (1, "analyst"),
    ]


def test_hazards_are_added_validated_and_removed(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    scenario: dict[str, Any] = {
        "likelihood": {"annual_probability": 0.01},
        "impacts": {"people": 2, "economy": 2, "environment": 1, "infrastructure": 3, "society": 2},
    }
    hazard = {"id": "sinkhole", "title": "Sinkholes", "category": "natural", "kind": "shock",
              "most_probable": scenario, "most_severe": scenario}  # fmt: skip
    made = client.post(f"{API}/portavera/hazards", json=hazard, headers=_headers(client))
    assert made.status_code == 201 and made.headers["etag"] == '"1"'
    again = client.post(f"{API}/portavera/hazards", json=hazard, headers=_headers(client))
    assert again.status_code == 409 and "already exists" in again.json()["detail"]
    bad = {
        **hazard,
        "id": "bad",
        "most_severe": {**scenario, "likelihood": {"annual_probability": 1.5}},
    }
    refused = client.post(f"{API}/portavera/hazards", json=bad, headers=_headers(client))
    assert refused.status_code == 400
    assert "most_severe.likelihood.annual_probability" in refused.json()["detail"]
    url = f"{API}/portavera/hazards/sinkhole"
    stale = client.delete(url, headers=_headers(client, **{"If-Match": '"7"'}))
    assert stale.status_code == 409
    assert client.delete(url, headers=_headers(client, **{"If-Match": '"1"'})).status_code == 204
    assert client.get(url).status_code == 404


def test_ranking_weights_and_scorecard(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    ranking = client.get(f"{API}/portavera/ranking").json()
    assert ranking["criteria"][0] == "people" and len(ranking["ranking"]) == 13
    assert ranking["ahp"]["consistent"] is True and len(ranking["sensitivity"]) == 5
    assert ranking["agreement"]["kendall_tau"] >= 0.8 and ranking["agreement"]["discordant"] == []
    assert len(ranking["neighbour_flips"]) == 12 and len(ranking["judgement_steps"]) == 20
    first = ranking["ranking"][0]
    assert {"risk", "band", "scenario", "impact_weighted", "impact_highest"} <= set(first)
    url = f"{API}/portavera/pairwise"
    broken = [[1, 3, 1, 1, 1], [3, 1, 1, 1, 1], *[[1] * 5 for _ in range(3)]]
    refused = client.put(url, json={"matrix": broken}, headers=_headers(client))
    assert (
        refused.status_code == 400 and "cell (2, 1) [economy vs people]" in refused.json()["detail"]
    )
    # A six-criterion matrix of earlier versions is read without its likelihood row.
    legacy = [[1, 5, 1, 1, 1, 1], ["1/5", 1, 3, 1, 1, 1], *[[1] * 6 for _ in range(4)]]
    legacy[2][0], legacy[2][1] = 1, "1/3"
    taken = client.put(url, json={"matrix": legacy}, headers=_headers(client))
    assert taken.status_code == 200 and taken.json()["ahp"]["criteria"][0] == "people"
    inconsistent = [
        [1, 9, "1/9", 1, 1], ["1/9", 1, 9, 1, 1], [9, "1/9", 1, 1, 1], [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
    ]  # fmt: skip
    client.put(url, json={"matrix": inconsistent}, headers=_headers(client))
    named = client.get(f"{API}/portavera/ranking").json()
    assert named["ahp"]["consistent"] is False and named["inconsistent_judgements"]
    assert named["inconsistent_judgements"][0]["cr_after"] < named["ahp"]["cr"]
    equal = client.put(url, json={"matrix": None}, headers=_headers(client)).json()
    assert equal == {"ahp": None}
    assert client.get(f"{API}/portavera/ranking?basis=average").status_code == 400
    matrix = client.get(f"{API}/portavera/matrix?scenario=most_severe").json()
    assert len(matrix["grid"]) == 5 and len(matrix["entries"]) == 13
    rounds = client.get(f"{API}/portavera/scorecard").json()
    assert rounds[0]["label"] == "Baseline 2026" and len(rounds[0]["essentials"]) == 10
    put = client.put(
        f"{API}/portavera/scorecard/rounds/Check",
        json={"level": "preliminary", "date": "2027-01-01", "answers": {"P1.1": {"score": 3}}},
        headers=_headers(client),
    )
    assert put.status_code == 200 and put.json()["essentials"][0]["points"] == 3
    wrong = client.put(
        f"{API}/portavera/scorecard/rounds/Check",
        json={"level": "preliminary", "date": "2027-01-01", "answers": {"P1.1": {"score": 4}}},
        headers=_headers(client),
    )
    assert wrong.status_code == 400 and "must be 0–3, got 4" in wrong.json()["detail"]


def test_restore_through_the_api(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    client.put(f"{API}/portavera/pairwise", json={"matrix": None}, headers=_headers(client))
    restored = client.post(
        f"{API}/portavera/versions/1/restore", json={"base": 2}, headers=_headers(client)
    )
    assert restored.status_code == 201 and restored.json()["number"] == 3
    stale = client.post(
        f"{API}/portavera/versions/1/restore", json={"base": 2}, headers=_headers(client)
    )
    assert stale.status_code == 409
    assert (
        client.get(f"{API}/portavera/versions/3").json()["workspace"]
        == (client.get(f"{API}/portavera/versions/1").json()["workspace"])
    )


def _wait(client: TestClient, job_id: int, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if body["status"] in {"done", "failed"}:
            return body
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.slow
def test_impact_estimate_runs_on_the_simulator_and_fills_the_hazard(
    client: TestClient, demo: str, engine: Engine
) -> None:
    login(client, "analyst")
    token = csrf_of(client)
    not_simulated = client.post(
        "/workbench/portavera/hazards/unemployment/estimate",
        data={"scenario": "most_severe", "scenarios": "20", "csrf_token": token},
    )
    assert not_simulated.status_code == 400 and "no simulator model" in not_simulated.text
    started = client.post(
        "/workbench/portavera/hazards/blackout/estimate",
        data={"scenario": "most_severe", "scenarios": "20", "csrf_token": token},
        follow_redirects=False,
    )
    assert started.status_code == 303
    job_id = int(started.headers["location"].rsplit("/", 1)[1])
    done = _wait(client, job_id)
    assert done["status"] == "done", done
    people = done["result"]["estimates"]["people"]
    assert people["range"][0] <= people["class"] <= people["range"][1]
    page = client.get(started.headers["location"]).text
    assert "Fill these classes into the register" in page
    applied = client.post(
        started.headers["location"] + "/apply", data={"version": 1, "csrf_token": token}
    )
    assert applied.status_code == 200
    with Session(engine) as db:
        state = workspaces.current(db, workspaces.get_workspace(db, "portavera"))
        blackout = state.workspace.hazard_register.get("blackout")
        assert blackout.most_severe.impacts.people == people["class"]
        assert blackout.sources[-1].startswith("most_severe: Simulator ensemble of 20 scenarios")
        assert blackout.version == 2
    again = client.post(
        started.headers["location"] + "/apply", data={"version": 1, "csrf_token": token}
    )
    assert again.status_code == 409  # the form was stale: nothing overwritten
