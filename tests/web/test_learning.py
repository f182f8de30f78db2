"""Learner pages: self-assessment, adaptive test (with replays and tampering), profile, path,
report — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crisis.competences import load_bundled
from crisis.competences.documents import export_yaml
from crisis.learners.cat import CatConfig
from crisis.store import catalogues, users
from crisis.store.catalogues import ROLE_DOCUMENT, CatalogueFile
from crisis.store.exercise_tables import ExerciseEvidence, ExerciseRun
from crisis.store.learner_tables import LearningAttempt, LearningResponse
from tests.conftest import csrf_of, login

SCRO = load_bundled()
COMPETENCES = [c.id for c in SCRO.framework.competences]


@pytest.fixture
def learner(client: TestClient, accounts: dict[str, str]) -> TestClient:
    login(client, "learner")
    return client


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def rate_all(client: TestClient, level: int = 2) -> None:
    for cid in COMPETENCES:
        response = client.post(
            "/learning/self-assessment",
            data={"competence": cid, "level": str(level), "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text


def answer_page(client: TestClient, html: str, option: str = "0") -> tuple[dict[str, str], object]:
    form = {
        "attempt": _hidden(html, "attempt"),
        "item": _hidden(html, "item"),
        "sequence": _hidden(html, "sequence"),
        "option": option,
        "csrf_token": csrf_of(client),
    }
    return form, client.post("/learning/test/answer", data=form, follow_redirects=False)


def take_test(client: TestClient) -> tuple[int, str]:
    """Answer option a until the test ends; returns items answered and the review URL."""
    client.post("/learning/test/start", data={"csrf_token": csrf_of(client)})
    answered = 0
    while True:
        page = client.get("/learning/test", follow_redirects=False)
        if page.status_code == 303:
            return answered, page.headers["location"]
        assert page.status_code == 200
        _form, response = answer_page(client, page.text)
        assert response.status_code == 303  # type: ignore[attr-defined]
        answered += 1
        assert answered <= 120
        location = response.headers["location"]  # type: ignore[attr-defined]
        if location != "/learning/test":
            return answered, location


def test_learning_pages_need_a_learner_or_instructor(client: TestClient, accounts: dict) -> None:
    assert client.get("/learning", follow_redirects=False).status_code == 303
    login(client, "analyst")
    assert client.get("/learning").status_code == 403
    assert client.get("/api/v1/learning/profile").status_code == 403


def test_self_assessment_is_resumable_and_shows_progress(learner: TestClient) -> None:
    first = learner.get("/learning/self-assessment")
    assert "C01" in first.text and "I can" in first.text
    assert "0 of 20 rated" in first.text
    response = learner.post(
        "/learning/self-assessment",
        data={"competence": "C01", "level": "3", "csrf_token": csrf_of(learner)},
        follow_redirects=False,
    )
    assert response.headers["location"].endswith("competence=C02")
    # Coming back later resumes at the first competence not rated.
    again = learner.get("/learning/self-assessment")
    assert "1 of 20 rated" in again.text
    assert 'name="competence" value="C02"' in again.text


@pytest.mark.parametrize(
    ("competence", "level", "message"),
    [
        ("C01", "7", "is not an integer 0..4"),
        ("C99", "2", "C99"),
        ("C01", "", "choose the statement"),
        ("C01", "two", "not an integer"),
    ],
)
def test_bad_self_rating_is_a_clear_400(
    learner: TestClient, competence: str, level: str, message: str
) -> None:
    response = learner.post(
        "/learning/self-assessment",
        data={"competence": competence, "level": level, "csrf_token": csrf_of(learner)},
    )
    assert response.status_code == 400
    assert message in response.text


def test_adaptive_test_ends_well_under_the_bank_and_explains(
    learner: TestClient, engine: Engine
) -> None:
    rate_all(learner)
    answered, review = take_test(learner)
    assert 8 <= answered <= CatConfig().max_items
    page = learner.get(review)
    assert page.status_code == 200
    assert "Your answers explained" in page.text
    assert page.text.count('class="explanation"') == answered
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(LearningResponse)) == answered
        attempt = db.scalars(select(LearningAttempt)).one()
        assert attempt.status == "finished" and attempt.result is not None


def test_replayed_stale_and_tampered_answers_record_nothing(
    learner: TestClient, engine: Engine
) -> None:
    learner.post("/learning/test/start", data={"csrf_token": csrf_of(learner)})
    page = learner.get("/learning/test")
    form, response = answer_page(learner, page.text)
    assert response.status_code == 303  # type: ignore[attr-defined]
    # The same form again (double click, back button, replay): refused, nothing stored twice.
    replay = learner.post("/learning/test/answer", data=form)
    assert replay.status_code == 409
    assert "already answered" in replay.text
    # A form whose item was swapped for one not asked.
    current = learner.get("/learning/test").text
    tampered = {
        "attempt": _hidden(current, "attempt"),
        "item": "C01-01" if _hidden(current, "item") != "C01-01" else "C02-01",
        "sequence": _hidden(current, "sequence"),
        "option": "0",
        "csrf_token": csrf_of(learner),
    }
    refused = learner.post("/learning/test/answer", data=tampered)
    assert refused.status_code == 409
    assert "was not asked" in refused.text
    # An option that does not exist, and a sequence number that is not a number.
    bad = dict(tampered, item=_hidden(current, "item"), option="9")
    assert learner.post("/learning/test/answer", data=bad).status_code == 400
    bad = dict(tampered, item=_hidden(current, "item"), sequence="x")
    response = learner.post("/learning/test/answer", data=bad)
    assert response.status_code == 400 and "sequence" in response.text
    # Another learner's attempt is not found.
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(LearningResponse)) == 1


def test_profile_path_and_report(learner: TestClient) -> None:
    rate_all(learner, level=1)
    take_test(learner)
    profile = learner.get("/learning/profile")
    assert profile.status_code == 200
    assert "radar-svg" in profile.text and "Gaps against" in profile.text
    settings = {
        "profile": "scro",
        "hours_per_week": "6",
        "start": "2027-01-04",
        "objective": "hours",
        "scope": "scro-mooc",
        "completed": ["M01"],  # no longer a setting: completion comes from evidence
        "csrf_token": csrf_of(learner),
    }
    assert learner.post("/learning/path", data=settings, follow_redirects=False).status_code == 303
    path = learner.get("/learning/path")
    assert path.status_code == 200
    assert "2027-01-04" in path.text and 'class="calendar' in path.text
    assert 'value="scro-mooc" checked' in path.text
    assert 'name="completed"' not in path.text and "M01 " in path.text
    assert 'id="beyond-scope"' in path.text  # level-3 targets are beyond the open course
    report = learner.get("/learning/report")
    assert report.status_code == 200 and "Competence report" in report.text
    pdf = learner.get("/learning/report.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours_per_week", "0", "hours per week"),
        ("hours_per_week", "lots", "hours per week"),
        ("start", "next monday", "start date"),
        ("scope", "astrology", "astrology"),
        ("profile", "astronaut", "astronaut"),
    ],
)
def test_bad_path_settings_are_a_clear_4xx(
    learner: TestClient, field: str, value: str, message: str
) -> None:
    settings = {"profile": "scro", "hours_per_week": "4", "start": "", "objective": "hours"}
    settings[field] = value
    response = learner.post("/learning/path", data={**settings, "csrf_token": csrf_of(learner)})
    assert 400 <= response.status_code < 500
    assert message in response.text


def test_an_unreachable_target_names_the_gap(learner: TestClient, engine: Engine) -> None:
    # A catalogue whose curriculum teaches C04 only up to level 1, while SCRO needs level 2.
    document = yaml.safe_load(export_yaml(SCRO))
    for module in document["curriculum"]["modules"]:
        for outcome in module.get("outcomes", []):
            if outcome["competence"] == "C04":
                outcome["level"] = min(outcome["level"], 1)
    files = [CatalogueFile(ROLE_DOCUMENT, "capped.yaml", yaml.safe_dump(document).encode())]
    with Session(engine) as db, db.begin():
        catalogues.add(db, files, catalogues.load(files), user=None)
    rate_all(learner, level=0)
    page = learner.get("/learning/path")
    assert page.status_code == 422
    assert "gap C04" in page.text and "only up to level 1" in page.text
    api = learner.get("/api/v1/learning/path")
    assert api.status_code == 422 and "C04" in api.json()["detail"]


def test_exercise_evidence_counts_in_the_profile(learner: TestClient, engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        user = users.get_user(db, "learner")
        run = ExerciseRun(
            user_id=user.id, exercise="flood", plan=[], cost=0.0, scenarios=1, status="done"
        )
        db.add(run)
        db.flush()
        db.add(
            ExerciseEvidence(
                user_id=user.id, exercise="flood", run_id=run.id, competences=["C11"], score=95.0
            )
        )
    profile = learner.get("/api/v1/learning/profile").json()
    c11 = next(c for c in profile["competences"] if c["competence"] == "C11")
    assert [e["source"] for e in c11["evidence"]] == ["exercise"]
    assert c11["level"] >= 3
    page = learner.get("/learning/profile")
    assert "exercise" in page.text


@pytest.mark.parametrize("lang", ["el", "de", "pt"])
def test_learning_pages_in_every_language(learner: TestClient, lang: str) -> None:
    learner.post("/language", data={"language": lang, "csrf_token": csrf_of(learner)})
    rate_all(learner, level=1)
    for path in (
        "/learning",
        "/learning/self-assessment?competence=C05",
        "/learning/self-assessment/summary",
        "/learning/test",
        "/learning/profile",
        "/learning/path",
        "/learning/report",
        "/learning/cohorts",
    ):
        response = learner.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{lang}">' in response.text
        assert "Self-assessment</a>" not in response.text, path  # the sub-navigation is translated
    assert learner.get("/learning/report.pdf").content.startswith(b"%PDF")


def test_a_test_begun_on_a_retired_item_bank_gives_way_to_a_new_one(
    learner: TestClient, engine: Engine
) -> None:
    """A test started before the second edition of the bank refers to items that are gone:
    the learner gets a fresh test instead of an error, and the old one never counts."""
    with Session(engine) as db, db.begin():
        user = users.get_user(db, "learner")
        db.add(
            LearningAttempt(
                user_id=user.id,
                status="running",
                state={"seed": 1, "asked": ["C01-01"], "answers": {}, "pending": "C01-01"},
            )
        )
    page = learner.get("/learning/test")
    assert page.status_code == 200 and "Start the test" in page.text
    started = learner.post(
        "/learning/test/start", data={"csrf_token": csrf_of(learner)}, follow_redirects=True
    )
    assert started.status_code == 200 and f"at most {CatConfig().max_items}" in started.text
    with Session(engine) as db:
        statuses = db.scalars(select(LearningAttempt.status).order_by(LearningAttempt.id)).all()
    assert statuses == ["retired", "running"]
