"""Cohort privacy under attack, over the API: padding with imported rows, differencing across
a membership change and subtracting visible heatmap rows recover nothing about a learner who
does not share their results — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisis.store import users
from tests.conftest import PASSWORD, csrf_of, login

COMPETENCES = [f"C{k:02d}" for k in range(1, 21)]
#: The victim's self-ratings: all 4, which no one else in these cohorts has anywhere.
SECRET = dict.fromkeys(COMPETENCES, 4)


def _learner(app, engine: Engine, name: str, levels: dict[str, int]) -> TestClient:  # type: ignore[no-untyped-def]
    with Session(engine) as db, db.begin():
        users.add_user(db, name, PASSWORD, "learner", display_name=name.title())
    client = TestClient(app)  # no lifespan: it would dispose the shared engine
    login(client, name)
    client.headers["X-CSRF-Token"] = csrf_of(client)
    rated = client.put("/api/v1/learning/self-assessment", json={"ratings": levels})
    assert rated.status_code == 200, rated.text
    return client


def _join(learner: TestClient, code: str, *, consent: bool) -> None:
    joined = learner.post("/api/v1/learning/cohorts/join", json={"code": code, "consent": consent})
    assert joined.status_code == 200, joined.text


def _cohort(instructor: TestClient) -> dict:  # type: ignore[type-arg]
    made = instructor.post("/api/v1/learning/cohorts", json={"name": "Night class"})
    assert made.status_code == 201
    return made.json()  # type: ignore[no-any-return]


def _views(instructor: TestClient, cohort: int) -> tuple[dict, Counter]:  # type: ignore[type-arg]
    """Everything the instructor can read: the needs analysis and the export's rows."""
    needs = instructor.get(f"/api/v1/learning/cohorts/{cohort}/needs?budget=60").json()
    export = instructor.get(f"/api/v1/learning/cohorts/{cohort}/export.csv")
    rows: Counter[tuple[str, ...]] = Counter()
    if export.status_code == 200:
        for row in csv.DictReader(io.StringIO(export.text)):
            row.pop("participant")
            rows[tuple(row.values())] += 1
    else:
        assert export.status_code == 403
    return needs, rows


def _without_counts(needs: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in needs.items() if k not in ("size", "hidden", "withheld")}


def _ordinary(k: int) -> dict[str, int]:
    return {cid: (k + j) % 4 for j, cid in enumerate(COMPETENCES)}


def _instructor(client: TestClient) -> TestClient:
    login(client, "instructor")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    return client


def test_padding_with_imported_rows_reveals_nothing_of_a_non_consenting_learner(
    client: TestClient, accounts: dict[str, str], app, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    instructor = _instructor(client)
    cohort = _cohort(instructor)
    victim = _learner(app, engine, "victim", SECRET)
    _join(victim, cohort["join_code"], consent=False)
    # Four made-up staff rows next to the one learner: a group of five.
    fake = "person,consent," + ",".join(COMPETENCES) + "\n"
    fake += "".join(f"fake{k},yes," + ",".join(["1"] * 20) + "\n" for k in range(4))
    imported = instructor.post(
        f"/api/v1/learning/cohorts/{cohort['id']}/import",
        files={"file": ("staff.csv", fake.encode(), "text/csv")},
    )
    assert imported.json() == {"imported": 4, "size": 5}
    needs, rows = _views(instructor, cohort["id"])
    assert needs["size"] == 5 and needs["withheld"] == 1 and needs["learners"] == 0
    assert needs["distributions"] is None and needs["imported_distributions"] is None
    assert not needs["aggregates_visible"] and not rows
    assert "Victim (victim)" not in str(needs)
    # A fifth fake row unlocks the imported rows' own figures: they hold the fakes only.
    more = instructor.post(
        f"/api/v1/learning/cohorts/{cohort['id']}/import",
        files={"file": ("more.csv", fake.replace("fake", "more").encode(), "text/csv")},
    )
    assert more.status_code == 200
    needs, rows = _views(instructor, cohort["id"])
    assert needs["distributions"] is None
    for d in needs["imported_distributions"]:
        assert d["counts"] == [0, 8, 0, 0, 0]  # eight fakes at level 1, no one at 4
    assert sum(rows.values()) == 8
    assert all(r[0] == "imported" and "4" not in r[1:-1] for r in rows)
    gaps = sum(d["below_target"] for d in needs["imported_distributions"])
    assert needs["coverage"]["gaps_total"] == gaps


def test_differencing_before_and_after_a_learner_joins_reveals_nothing(
    client: TestClient, accounts: dict[str, str], app, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    instructor = _instructor(client)
    cohort = _cohort(instructor)
    for k in range(5):
        _join(_learner(app, engine, f"learner{k}", _ordinary(k)), cohort["join_code"], consent=True)
    before = _views(instructor, cohort["id"])
    assert before[0]["aggregates_visible"] and sum(before[1].values()) == 5
    victim = _learner(app, engine, "victim", SECRET)
    _join(victim, cohort["join_code"], consent=False)
    after = _views(instructor, cohort["id"])
    assert _without_counts(after[0]) == _without_counts(before[0])
    assert after[1] == before[1]
    assert (after[0]["size"], after[0]["withheld"]) == (6, 1)
    # The victim's later changes are invisible too.
    victim.put("/api/v1/learning/self-assessment", json={"ratings": dict.fromkeys(COMPETENCES, 0)})
    later = _views(instructor, cohort["id"])
    assert _without_counts(later[0]) == _without_counts(before[0]) and later[1] == before[1]
    # Leaving changes the count only.
    left = victim.post(
        f"/learning/cohorts/{cohort['id']}/leave",
        data={"csrf_token": csrf_of(victim)},
        follow_redirects=False,
    )
    assert left.status_code == 303
    gone = _views(instructor, cohort["id"])
    assert gone == before


def test_subtracting_visible_rows_from_the_distributions_leaves_nobody(
    client: TestClient, accounts: dict[str, str], app, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    instructor = _instructor(client)
    cohort = _cohort(instructor)
    sharing = [_learner(app, engine, f"learner{k}", _ordinary(k)) for k in range(4)]
    for learner in sharing:
        _join(learner, cohort["join_code"], consent=True)
    _join(_learner(app, engine, "victim", SECRET), cohort["join_code"], consent=False)
    # Four visible people and one hidden: no learners' figures at all.
    needs, rows = _views(instructor, cohort["id"])
    assert needs["size"] == 5 and needs["distributions"] is None and not rows
    # A fifth sharing learner: the figures are exactly the sum of the five visible rows.
    _join(_learner(app, engine, "learner4", _ordinary(4)), cohort["join_code"], consent=True)
    needs, rows = _views(instructor, cohort["id"])
    assert len(needs["matrix"]) == 5 and "Victim (victim)" not in needs["matrix"]
    for d in needs["distributions"]:
        visible = Counter(row[d["competence"]] for row in needs["matrix"].values())
        remainder = [d["counts"][level] - visible.get(level, 0) for level in range(5)]
        assert remainder == [0, 0, 0, 0, 0], d["competence"]
    visible_rows = Counter(
        ("learner", *(str(v) for v in row.values())) for row in needs["matrix"].values()
    )
    assert Counter(r[:-1] for r in rows.elements()) == visible_rows
