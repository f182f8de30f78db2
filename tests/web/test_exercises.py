from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crisis.exercises import bundled, dump_exercise
from crisis.store import exercises as store
from crisis.store import users
from crisis.store.exercise_tables import ExerciseRun
from crisis.store.tables import Job
from tests.conftest import csrf_of, login

GOOD_PLAN = [
    {"measure": "barrier", "asset": "bus-147"},
    {"measure": "raise", "asset": "bus-140"},
    {"measure": "power-crews"},
]


def _wait(client: TestClient, job_id: int, timeout: float = 300) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/jobs/{job_id}").json()
        if body["status"] in {"done", "failed"}:
            return body  # type: ignore[no-any-return]
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish")


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as db:
        return (
            db.scalar(select(func.count()).select_from(ExerciseRun)) or 0,
            db.scalar(select(func.count()).select_from(Job)) or 0,
        )


@pytest.mark.usefixtures("accounts")
def test_pages_and_who_may_see_them(client: TestClient) -> None:
    login(client, "learner")
    page = client.get("/exercises")
    assert page.status_code == 200
    for exercise_id in ("river-flood", "valley-earthquake", "water-scada-cyber"):
        assert f'href="/exercises/{exercise_id}"' in page.text
    briefing = client.get("/exercises/river-flood")
    assert briefing.status_code == 200 and "C13" in briefing.text
    play = client.get("/exercises/river-flood/play")
    assert play.status_code == 200
    assert 'id="budget-meter"' in play.text
    # The map's data: the flood drawn as an image, districts by name, assets by place.
    data = re.search(r'id="play-map-data">(.*?)</script>', play.text, re.S)
    assert data is not None
    mapped = json.loads(data.group(1))
    assert mapped["flood"]["image"].startswith("data:image/png;base64,")
    assert mapped["flood"]["return_period"] == 100 and 0 < mapped["flood"]["share"] < 1
    assert "Riverside" in {d["name"] for d in mapped["districts"]}
    bus = next(n for n in mapped["nodes"] if n["id"] == "bus-46")
    assert bus["place"] == "Riverside" and bus["marker"]
    assert "flood water deeper than 2.0 m" in play.text
    assert client.get("/exercises/no-such-thing").status_code == 404
    assert client.get("/exercises/..%2Fetc").status_code in (404, 422)
    el = client.get("/exercises/river-flood", headers={"Accept-Language": "el"})
    assert "Η εκατονταετής πλημμύρα" in el.text
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "analyst")
    assert client.get("/exercises").status_code == 403


@pytest.mark.usefixtures("accounts")
def test_bad_plans_are_refused_with_no_charge_and_no_run(
    client: TestClient, engine: Engine
) -> None:
    login(client, "learner")
    token = csrf_of(client)
    assets = ["hospital-1", "hospital-2", "hospital-3", "shelter-1", "shelter-2", "shelter-3"]
    assets += ["shelter-4", *(f"fire-station-{i}" for i in range(1, 6))]
    generators = [{"measure": "generator", "asset": a} for a in assets]
    cases = [
        (generators, "over the budget"),
        ([{"measure": "raise", "asset": "hospital-2"}], "cannot be applied to hospital-2"),
        ([{"measure": "teleport"}], "measure &#39;teleport&#39; is not in"),
        ("{not json", "could not be read"),
        ([{"measure": "warning", "cost": 0}], "unexpected field"),
    ]
    for plan, message in cases:
        body = plan if isinstance(plan, str) else json.dumps(plan)
        r = client.post(
            "/exercises/river-flood/runs",
            data={"plan": body, "scenarios": "50", "csrf_token": token},
        )
        assert r.status_code == 422, (plan, r.status_code)
        assert message in r.text, message
        assert "plan-error" in r.text
    r = client.post(
        "/exercises/river-flood/runs",
        data={"plan": "[]", "scenarios": "7", "csrf_token": token},
    )
    assert r.status_code == 422 and "(7)" in r.text
    r = client.post("/exercises/not-an-exercise/runs", data={"plan": "[]", "csrf_token": token})
    assert r.status_code == 404
    r = client.post("/exercises/river-flood/runs", data={"plan": "[]"})
    assert r.status_code == 403
    assert _counts(engine) == (0, 0)


@pytest.mark.usefixtures("accounts")
def test_a_run_gives_a_debrief_report_evidence_and_a_leaderboard(
    client: TestClient, engine: Engine
) -> None:
    login(client, "learner")
    token = csrf_of(client)
    form = {"plan": json.dumps(GOOD_PLAN), "scenarios": "50", "csrf_token": token}
    first = client.post("/exercises/river-flood/runs", data=form, follow_redirects=False)
    assert first.status_code == 303
    run_url = first.headers["location"]
    progress = client.get(run_url)
    assert 'data-job-id="' in progress.text or "Debrief" in progress.text
    second = client.post("/exercises/river-flood/runs", data=form)
    assert second.status_code == 409 and "already have a run in progress" in second.text
    assert _counts(engine) == (1, 1)
    with Session(engine) as db:
        job_id = db.scalar(select(ExerciseRun.job_id))
    assert job_id is not None
    assert _wait(client, job_id)["status"] == "done"
    debrief = client.get(run_url)
    assert debrief.status_code == 200
    assert 'id="score-card"' in debrief.text and 'id="hour-slider"' in debrief.text
    data = debrief.text.split('id="debrief-data">', 1)[1].split("</script>", 1)[0]
    result = json.loads(data)
    assert result["score"]["beats_nothing"]
    report = client.get(run_url + "/report")
    assert report.status_code == 200 and "<polyline" in report.text
    evidence = client.get("/exercises/evidence")
    assert "The hundred-year flood" in evidence.text and "C18" in evidence.text
    with Session(engine) as db:
        learner = users.get_user(db, "learner")
        records = store.evidence_for(db, learner)
        assert {r.competence for r in records} == {"C11", "C13", "C18"}
        assert store.evidence_for(db, learner.id) == records
    # Reading the debrief again records no second piece of evidence.
    client.get(run_url)
    with Session(engine) as db:
        assert len(store.evidence_rows(db, learner.id)) == 1
    assert "Test learner" in client.get("/exercises/river-flood").text
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "instructor")
    r = client.post(
        "/exercises/river-flood/leaderboard",
        data={"show": "off", "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 200
    assert "switched the leaderboard off" in client.get("/exercises/river-flood").text


@pytest.mark.usefixtures("accounts")
def test_tabletop_with_two_teams(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    token = csrf_of(client)
    r = client.post(
        "/exercises/tabletop",
        data={
            "exercise": "river-flood",
            "cohort": "Spring cohort",
            "teams": "Red, Blue",
            "decision_seconds": "300",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    session_id = int(url.rsplit("/", 1)[1])
    bad = client.post(
        "/exercises/tabletop",
        data={"exercise": "river-flood", "teams": "A, a", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert (
        client.post(
            url + "/release", data={"inject": "gauge-rising", "csrf_token": token}
        ).status_code
        == 200
    )
    again = client.post(url + "/release", data={"inject": "gauge-rising", "csrf_token": token})
    assert again.status_code == 409
    client.post("/logout", data={"csrf_token": token})
    login(client, "learner")
    token = csrf_of(client)
    early = client.post(
        url + "/decide", data={"inject": "gauge-rising", "option": "wait", "csrf_token": token}
    )
    assert early.status_code == 409  # no team yet
    client.post(url + "/join", data={"team": "Red", "csrf_token": token})
    assert (
        client.post(url + "/join", data={"team": "Green", "csrf_token": token}).status_code == 400
    )
    ok = client.post(
        url + "/decide", data={"inject": "gauge-rising", "option": "call-aid", "csrf_token": token}
    )
    assert ok.status_code == 200 and "Your team chose" in ok.text
    twice = client.post(
        url + "/decide", data={"inject": "gauge-rising", "option": "wait", "csrf_token": token}
    )
    assert twice.status_code == 409
    unreleased = client.post(
        url + "/decide", data={"inject": "substation-water", "option": "hold", "csrf_token": token}
    )
    assert unreleased.status_code == 409
    assert client.post(url + "/resolve", data={"csrf_token": token}).status_code == 403
    state = client.get(f"/api/v1/exercises/tabletop/{session_id}").json()
    assert state["decided"] == {"Red": {"gauge-rising": "call-aid"}}
    assert state["members"] == {"Red": ["Test learner"]}
    client.post("/logout", data={"csrf_token": token})
    login(client, "instructor")
    token = csrf_of(client)
    client.post(url + "/release", data={"inject": "substation-water", "csrf_token": token})
    client.post(url + "/resolve", data={"csrf_token": token})
    state = client.get(f"/api/v1/exercises/tabletop/{session_id}").json()
    with Session(engine) as db:
        job_id = db.scalar(select(Job.id).where(Job.kind == "exercises.tabletop"))
    assert job_id is not None
    assert _wait(client, job_id)["status"] == "done"
    state = client.get(f"/api/v1/exercises/tabletop/{session_id}").json()
    teams = state["outcome"]["teams"]
    assert teams["Red"]["avoided"] > 0 and teams["Red"]["rank"] == 1
    page = client.get(url)
    assert "Spring cohort" in page.text and "teams-table" in page.text
    # The controller sees each inject's objective, expected action and notes (HSEEP).
    assert "For the controller" in page.text and "arrive at hour 16" in page.text
    # Hot wash and improvement plan, then the after-action report holds them.
    note = client.post(
        url + "/notes", data={"text": "Gauge readings reached the team late.", "csrf_token": token}
    )
    assert note.status_code == 200 and "Gauge readings reached the team late." in note.text
    assert client.post(url + "/notes", data={"text": "  ", "csrf_token": token}).status_code in (
        400,
        422,
    )
    item = {
        "action": "Send gauge readings to the crisis room every 30 minutes",
        "owner": "Water utility control room",
        "due": "2099-06-30",
        "objective": "C13",
        "csrf_token": token,
    }
    assert client.post(url + "/improvements", data=item).status_code == 200
    for field, value, message in (
        ("due", "next week", "expected a date"),
        ("due", "2001-01-01", "the date has passed"),
        ("owner", "", "field &#39;owner&#39;: required"),
        ("objective", "C99", "not one of this exercise"),
    ):
        bad = client.post(url + "/improvements", data={**item, field: value})
        assert bad.status_code in (400, 422) and message in bad.text, (field, bad.text[-500:])
    report = client.get(url + "/report")
    assert report.status_code == 200
    assert "Send gauge readings to the crisis room every 30 minutes" in report.text
    assert "Water utility control room" in report.text and "2099-06-30" in report.text
    assert "Gauge readings reached the team late." in report.text
    assert "within half a per cent of each other" in report.text
    # Learners read the report but cannot write the plan.
    client.post("/logout", data={"csrf_token": token})
    login(client, "learner")
    token = csrf_of(client)
    assert client.get(url + "/report").status_code == 200
    assert client.post(url + "/improvements", data={**item, "csrf_token": token}).status_code == 403


@pytest.mark.usefixtures("accounts")
def test_authoring_import_export(client: TestClient) -> None:
    login(client, "learner")
    assert client.get("/exercises/authoring").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    login(client, "instructor")
    token = csrf_of(client)
    editor = client.get("/exercises/authoring/edit?start=river-flood")
    assert editor.status_code == 200 and "id: my-river-flood" in editor.text
    flood = bundled("river-flood")
    assert flood is not None
    source = (
        dump_exercise(flood)
        .replace("id: river-flood", "id: our-flood")
        .replace("budget: 1200000.0", "budget: 800000.0")
    )
    saved = client.post(
        "/exercises/authoring", data={"source": source, "csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/exercises/our-flood"
    assert "€800,000" in client.get("/exercises/our-flood").text
    broken = client.post(
        "/exercises/authoring",
        data={"source": source.replace("kind: raise", "kind: moat"), "csrf_token": token},
    )
    assert broken.status_code == 422 and "exercise.yaml:" in broken.text and "moat" in broken.text
    clash = client.post(
        "/exercises/authoring", data={"source": dump_exercise(flood), "csrf_token": token}
    )
    assert clash.status_code == 409
    exported = client.get("/exercises/our-flood/export")
    assert exported.status_code == 200
    imported = client.post(
        "/exercises/authoring/import",
        files={
            "file": ("copy.yaml", exported.text.replace("our-flood", "their-flood"), "text/yaml")
        },
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert imported.status_code == 303
    bad = client.post(
        "/exercises/authoring/import",
        files={"file": ("bad.yaml", b"id: [oops\n", "text/yaml")},
        data={"csrf_token": token},
    )
    assert bad.status_code == 422 and "bad.yaml:" in bad.text
    listing = client.get("/exercises")
    assert "/exercises/their-flood" in listing.text
