"""Cohort pages: create, join with consent, heatmap and aggregates (only for ≥ 5 people),
staff import with errors by row and column, anonymised export — on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crisis.store import learning, users
from crisis.store.learner_tables import LearningCohort, LearningMember
from tests.conftest import PASSWORD, csrf_of, login

HEADER = "person,consent," + ",".join(f"C{k:02d}" for k in range(1, 21))


def staff_csv(rows: int, *, consent: str = "yes") -> bytes:
    lines = [HEADER]
    for k in range(rows):
        levels = ",".join(str((k + j) % 4) for j in range(20))
        lines.append(f"staff{k},{consent},{levels}")
    return ("\n".join(lines) + "\n").encode()


def new_cohort(client: TestClient, name: str = "Department of Civil Protection") -> int:
    response = client.post(
        "/learning/cohorts",
        data={"name": name, "profile": "scro", "budget": "40", "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def upload(client: TestClient, cohort: int, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        f"/learning/cohorts/{cohort}/import",
        files={"file": (name, data, "text/csv")},
        data={"csrf_token": csrf_of(client)},
    )


def members_of(engine: Engine, cohort: int) -> int:
    with Session(engine) as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(LearningMember)
                .where(LearningMember.cohort_id == cohort)
            )
            or 0
        )


def test_a_cohort_of_four_shows_no_aggregates(
    client: TestClient, accounts: dict[str, str], engine: Engine
) -> None:
    login(client, "instructor")
    cohort = new_cohort(client)
    assert upload(client, cohort, "staff.csv", staff_csv(4)).status_code == 200
    page = client.get(f"/learning/cohorts/{cohort}")
    assert page.status_code == 200
    assert 'id="no-aggregates"' in page.text
    assert 'id="recommended"' not in page.text and "Distribution per competence" not in page.text
    # Consenting people's rows are still shown; the export is refused.
    assert page.text.count("Staff 00") == 4
    export = client.get(f"/learning/cohorts/{cohort}/export.csv")
    assert export.status_code == 403 and "at least 5" in export.text
    needs = client.get(f"/api/v1/learning/cohorts/{cohort}/needs").json()
    assert needs["aggregates_visible"] is False
    assert needs["distributions"] is None and needs["coverage"] is None


def test_a_cohort_of_five_shows_heatmap_distributions_and_modules(
    client: TestClient, accounts: dict[str, str], engine: Engine
) -> None:
    login(client, "instructor")
    cohort = new_cohort(client)
    assert upload(client, cohort, "staff.csv", staff_csv(5)).status_code == 200
    page = client.get(f"/learning/cohorts/{cohort}?budget=60")
    assert 'id="heatmap"' in page.text and 'id="recommended"' in page.text
    assert "Distribution per competence" in page.text
    api = client.get(f"/api/v1/learning/cohorts/{cohort}/needs?budget=60").json()
    assert api["coverage"]["hours"] <= 60 and api["coverage"]["modules"]
    export = client.get(f"/learning/cohorts/{cohort}/export.csv")
    assert export.status_code == 200
    lines = export.text.strip().splitlines()
    assert lines[0].startswith("participant,source,C01") and len(lines) == 6
    assert "staff" not in export.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad.csv", b"person,C01,C77\nann,2,1\n", "column C: 'C77' is not a competence id"),
        ("bad.csv", b"person,C01,C02\nann,2,1\nbob,7,1\n", "bad.csv:3: column B (C01): level 7"),
        ("bad.csv", b"person,consent,C01\nann,maybe,1\n", "'maybe' is not yes or no"),
        ("bad.csv", b"person,C01\nann,1\nann,2\n", "appears twice"),
        ("notes.txt", b"hello", "expected a .csv or .xlsx file"),
        ("broken.xlsx", b"not a zip", "not a readable XLSX workbook"),
    ],
)
def test_a_bad_staff_file_imports_nothing_and_names_the_place(
    client: TestClient,
    accounts: dict[str, str],
    engine: Engine,
    name: str,
    data: bytes,
    message: str,
) -> None:
    login(client, "instructor")
    cohort = new_cohort(client)
    # Good rows before the bad one are not kept either.
    response = upload(client, cohort, name, data)
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert members_of(engine, cohort) == 0


def test_xlsx_import(client: TestClient, accounts: dict[str, str], engine: Engine) -> None:
    login(client, "instructor")
    cohort = new_cohort(client)
    book = Workbook()
    sheet = book.active
    sheet.append(["person", "consent", "C01", "C11"])
    sheet.append(["a.k", "yes", 2, 3])
    sheet.append(["b.s", "no", 1, None])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, cohort, "staff.xlsx", buffer.getvalue())
    assert response.status_code == 200 and "2 people imported" in response.text
    assert members_of(engine, cohort) == 2


def test_learners_join_choose_and_change_consent(
    client: TestClient, accounts: dict[str, str], app, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    login(client, "instructor")
    cohort = new_cohort(client)
    code = re.search(r'id="join-code">([A-Z0-9]+)<', client.get(f"/learning/cohorts/{cohort}").text)
    assert code
    learner = TestClient(app)  # no lifespan: it would dispose the shared engine
    login(learner, "learner")
    learner.post(
        "/learning/self-assessment",
        data={"competence": "C01", "level": "3", "csrf_token": csrf_of(learner)},
    )
    joined = learner.post(
        "/learning/cohorts/join",
        data={"code": code.group(1).lower(), "csrf_token": csrf_of(learner)},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    # Not consenting: the instructor sees a hidden person, not the row.
    page = client.get(f"/learning/cohorts/{cohort}")
    assert "Test learner" not in page.text and "1 of them not sharing" in page.text
    learner.post(
        f"/learning/cohorts/{cohort}/consent",
        data={"consent": "yes", "csrf_token": csrf_of(learner)},
    )
    page = client.get(f"/learning/cohorts/{cohort}")
    assert "Test learner" in page.text
    # Through the API, changed back.
    response = learner.put(
        f"/api/v1/learning/cohorts/{cohort}/consent",
        json={"consent": False},
        headers={"X-CSRF-Token": csrf_of(learner)},
    )
    assert response.json()["consent"] is False
    assert "Test learner" not in client.get(f"/learning/cohorts/{cohort}").text
    # A wrong code is a clear 404; a learner cannot open the instructor's page.
    wrong = learner.post(
        "/learning/cohorts/join", data={"code": "NOPE", "csrf_token": csrf_of(learner)}
    )
    assert wrong.status_code == 404 and "NOPE" in wrong.text
    assert learner.get(f"/learning/cohorts/{cohort}").status_code == 403


def test_another_instructors_cohort_is_forbidden(
    client: TestClient, accounts: dict[str, str], engine: Engine
) -> None:
    with Session(engine) as db, db.begin():
        other = users.add_user(db, "other", PASSWORD, "instructor")
        cohort = learning.create_cohort(db, other, "Theirs", join_code="ABCDEFGH")
        cohort_id = cohort.id
    login(client, "instructor")
    assert client.get(f"/learning/cohorts/{cohort_id}").status_code == 403
    assert client.get(f"/api/v1/learning/cohorts/{cohort_id}/needs").status_code == 403
    assert client.get("/learning/cohorts/99999").status_code == 404


def test_demo_cohort_has_five_or_more_consenting_learners(engine: Engine) -> None:
    with Session(engine) as db, db.begin():
        owner = users.add_user(db, "instructor", PASSWORD, "instructor")
        cohort = learning.seed_demo_cohort(db, owner)
        assert cohort is not None
        assert learning.seed_demo_cohort(db, owner) is None  # once only
        people = learning.members(db, cohort)
        assert len(people) >= 5 and all(m.consented for m, _ in people)
        ratings = learning.ratings_of(db, [u.id for _, u in people if u is not None])
        assert all(len(r) == 20 for r in ratings.values())
        assert db.scalar(select(func.count()).select_from(LearningCohort)) == 1
