"""Course pages and API: units, quizzes by evidence, practice workspaces, runs under consent,
authoring with versions — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crisis.courses import bundled_course, render_markdown
from crisis.learners import load_bundled_items
from crisis.store import courses as course_store
from crisis.store import learning as learning_store
from crisis.store import users, workspaces
from crisis.store.course_tables import CourseQuizAttempt, CourseUnitVersion
from crisis.store.exercise_tables import ExerciseRun
from crisis.workbench.workspace import parse_workspace
from tests.conftest import PASSWORD, csrf_of, login

BANK = load_bundled_items()
COURSE = bundled_course()
UNITS = COURSE.units
M01 = COURSE.of_module("M01")


@pytest.fixture
def learner(client: TestClient, accounts: dict[str, str]) -> TestClient:
    login(client, "learner")
    return client


def _quiz_answers(html: str, right: bool = True) -> dict[str, str]:
    items = re.findall(r'data-item="([^"]+)"', html)
    assert items, "no questions on the quiz page"
    answers = {}
    for iid in items:
        correct = BANK.item(iid).answer
        answers[f"q-{iid}"] = str(correct if right else (correct + 1) % len(BANK.item(iid).options))
    return answers


def pass_quiz(client: TestClient, unit: str = "M01-1") -> str:
    """Start and pass a unit's quiz; returns the result page."""
    start = client.post(f"/learning/courses/M01/{unit}/quiz", data={"csrf_token": csrf_of(client)})
    assert start.status_code == 200 and "Submit my answers" in start.text
    url = str(start.url)
    done = client.post(url, data={**_quiz_answers(start.text), "csrf_token": csrf_of(client)})
    assert done.status_code == 200
    return done.text


def _finished_run(
    engine: Engine, username: str, exercise: str, score: float, at: dt.datetime | None = None
) -> None:
    """A run of ``exercise`` by the user, finished ``at`` (now by default)."""
    with Session(engine) as db, db.begin():
        user = users.get_user(db, username)
        db.add(
            ExerciseRun(
                user_id=user.id,
                exercise=exercise,
                plan=[],
                cost=0.0,
                scenarios=50,
                status="done",
                score=score,
                finished_at=at or dt.datetime.now(dt.UTC),
            )
        )


def _opened(engine: Engine, username: str, unit_id: str) -> dt.datetime:
    """When the user first opened a unit."""
    with Session(engine) as db:
        user = users.get_user(db, username)
        return course_store.facts(db, user.id).opened[unit_id]


def _practice_hazards(
    engine: Engine, username: str, count: int, *, bands: bool = False, version: int = 1
) -> None:
    """Save ``count`` hazards in the learner's practice workspace, as the workbench would.

    With ``bands``, the hazards' return periods spread them over the low, medium and high
    risk bands; ``version`` is each hazard's version counter (2: saved again from its form).
    """
    periods = [(500, 500), (100, 100), (20, 20)] if bands else [(20, 200)]
    hazard = {
        "taxonomy_id": "river-flood",
        "title": "River flood",
        "category": "natural",
        "kind": "shock",
        "most_probable": {
            "likelihood": {"return_period_years": 20},
            "impacts": dict.fromkeys(
                ("people", "economy", "environment", "infrastructure", "society"), 2
            ),
        },
        "most_severe": {
            "likelihood": {"return_period_years": 200},
            "impacts": dict.fromkeys(
                ("people", "economy", "environment", "infrastructure", "society"), 4
            ),
        },
    }
    with Session(engine) as db, db.begin():
        user = users.get_user(db, username)
        row = course_store.ensure_practice(db, user)
        state = workspaces.current(db, row)
        data = state.workspace.model_dump(mode="json", by_alias=True)
        data["register"]["hazards"] = [
            _hazard(hazard, f"h{k}", periods[k % len(periods)], version) for k in range(count)
        ]
        workspaces.save(
            db, row, parse_workspace(data), base=state.version, author=user, message="hazards"
        )


def test_a_module_is_completed_by_evidence_and_reaches_the_profile(
    learner: TestClient, engine: Engine
) -> None:
    # M01 as bundled: a quiz, the hazard register, the flood and the earthquake exercises.
    activities = [
        getattr(u.activity, "exercise", None) or getattr(u.activity, "task", None) or "quiz"
        for u in M01
    ]
    assert activities == ["quiz", "register", "river-flood", "valley-earthquake"]
    quiz, register, flood, quake = (u.id for u in M01)
    overview = learner.get("/learning/courses")
    assert overview.status_code == 200 and "M01" in overview.text
    assert "Completed" not in overview.text and 'type="checkbox"' not in overview.text
    module = learner.get("/learning/courses/M01")
    assert "0 of 4 units complete" in module.text and 'id="resume"' in module.text
    unit = learner.get(f"/learning/courses/M01/{quiz}")
    assert unit.status_code == 200
    assert html.escape(UNITS[quiz].text.case, quote=False) in unit.text
    assert render_markdown(UNITS[quiz].text.blocks["lesson"]) in unit.text
    assert "Evidence counts from the moment you open this unit" in unit.text
    # A failed quiz is stored but does not complete the unit.
    start = learner.post(
        f"/learning/courses/M01/{quiz}/quiz", data={"csrf_token": csrf_of(learner)}
    )
    wrong = learner.post(
        str(start.url),
        data={**_quiz_answers(start.text, right=False), "csrf_token": csrf_of(learner)},
    )
    assert "Not passed" in wrong.text
    # Submitting the same quiz again changes nothing.
    again = learner.post(
        str(start.url), data={**_quiz_answers(start.text), "csrf_token": csrf_of(learner)}
    )
    assert again.status_code == 409
    assert "Not complete yet" in learner.get(f"/learning/courses/M01/{quiz}").text
    assert "Passed: the unit is complete." in pass_quiz(learner, quiz)
    assert "Unit complete" in learner.get(f"/learning/courses/M01/{quiz}").text
    # Resume goes to the unit opened last and not yet complete.
    learner.get(f"/learning/courses/M01/{flood}")
    module = learner.get("/learning/courses/M01")
    assert "1 of 4 units complete" in module.text
    assert f'href="/learning/courses/M01/{flood}">Resume' in module.text
    # A flood run finished after opening the flood unit completes it …
    _finished_run(engine, "learner", "river-flood", 12.0)
    assert "2 of 4 units complete" in learner.get("/learning/courses/M01").text
    # … but not the units of other modules that use the same exercise, opened afterwards.
    other = next(u for u in COURSE.of_module("M07") if u.activity.kind == "exercise")
    assert getattr(other.activity, "exercise", None) == "river-flood"
    page = learner.get(f"/learning/courses/M07/{other.id}").text
    assert "Not complete yet" in page and "finished before you opened this unit" in page
    # An earthquake run finished before the learner opened the earthquake unit does not count;
    # one finished after it does.
    learner.get(f"/learning/courses/M01/{quake}")
    opened = _opened(engine, "learner", quake)
    _finished_run(engine, "learner", "valley-earthquake", 70.0, at=opened - dt.timedelta(hours=1))
    page = learner.get(f"/learning/courses/M01/{quake}").text
    assert "Not complete yet" in page and "finished before you opened this unit" in page
    _finished_run(engine, "learner", "valley-earthquake", 35.0)
    page = learner.get(f"/learning/courses/M01/{quake}").text
    assert "Unit complete" in page and "score 35/100" in page
    assert "3 of 4 units complete" in learner.get("/learning/courses/M01").text
    # The register: the practice workspace must hold three hazards saved after opening.
    page = learner.get(f"/learning/courses/M01/{register}").text
    assert 'id="task-requirement"' in page and "at least 3 hazards" in page
    _practice_hazards(engine, "learner", 2)
    assert "3 of 4 units complete" in learner.get("/learning/courses/M01").text
    _practice_hazards(engine, "learner", 3)
    module = learner.get("/learning/courses/M01")
    assert 'id="module-complete"' in module.text and "4 of 4 units complete" in module.text
    profile = learner.get("/api/v1/learning/profile").json()
    c01 = next(c for c in profile["competences"] if c["competence"] == "C01")
    assert any(e["source"] == "course" and e["level"] == 2 for e in c01["evidence"])
    # The path no longer offers M01 once it is complete.
    learner.put(
        "/api/v1/learning/self-assessment",
        json={"ratings": {"C05": 0}},
        headers={"X-CSRF-Token": csrf_of(learner)},
    )
    path = learner.get("/api/v1/learning/path").json()
    assert "M01" in path["completed"] and all(s["module"] != "M01" for s in path["steps"])


def test_a_matrix_unit_needs_hazards_reviewed_after_it_was_opened(
    learner: TestClient, engine: Engine
) -> None:
    matrix = next(u for u in COURSE.units.values() if getattr(u.activity, "task", None) == "matrix")
    url = f"/learning/courses/{matrix.module}/{matrix.id}"
    # Five hazards in the practice workspace before the unit is opened.
    _practice_hazards(engine, "learner", 5, bands=True)
    page = learner.get(url).text
    assert "Not complete yet" in page and "at least 5 hazards" in page
    assert "at least 3 risk bands" in page
    # Saving the workspace again with the same hazards is no review.
    _practice_hazards(engine, "learner", 5, bands=True)
    assert "Not complete yet" in learner.get(url).text
    # Five reviewed, but all in the medium and high bands: the risks are not told apart.
    _practice_hazards(engine, "learner", 5, version=2)
    assert "Not complete yet" in learner.get(url).text
    # Each of the five saved again from its form, spread over the bands: the matrix is done.
    _practice_hazards(engine, "learner", 5, bands=True, version=3)
    page = learner.get(url).text
    assert "Unit complete" in page
    assert "5 hazards assessed, in 4 risk bands (low, medium, high, very high)" in page


def _hazard(hazard: dict, hazard_id: str, periods: tuple[int, int], version: int) -> dict:
    out = {**hazard, "id": hazard_id, "version": version}
    for scenario, period in zip(("most_probable", "most_severe"), periods, strict=True):
        out[scenario] = {**hazard[scenario], "likelihood": {"return_period_years": period}}
    return out


def test_quiz_answers_are_checked_and_nothing_is_stored_on_error(
    learner: TestClient, engine: Engine
) -> None:
    start = learner.post("/learning/courses/M01/M01-1/quiz", data={"csrf_token": csrf_of(learner)})
    answers = _quiz_answers(start.text)
    first = next(iter(answers))
    partial = {k: v for k, v in answers.items() if k != first}
    missing = learner.post(str(start.url), data={**partial, "csrf_token": csrf_of(learner)})
    assert missing.status_code == 400 and "choose an answer" in missing.text
    bad = learner.post(
        str(start.url), data={**answers, first: "nine", "csrf_token": csrf_of(learner)}
    )
    assert bad.status_code == 400 and "is not an option" in bad.text
    stranger = learner.post(
        str(start.url), data={**answers, "q-C20-01": "0", "csrf_token": csrf_of(learner)}
    )
    assert stranger.status_code == 400 and "was not asked" in stranger.text
    with Session(engine) as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(CourseQuizAttempt)
                .where(CourseQuizAttempt.submitted_at.is_not(None))
            )
            == 0
        )
    # Another learner cannot see or answer this quiz.
    with TestClient(learner.app) as other:
        login(other, "instructor")
        assert other.get(str(start.url)).status_code == 404
    # A unit whose activity is not a quiz has none.
    assert (
        learner.post(
            "/learning/courses/M01/M01-3/quiz", data={"csrf_token": csrf_of(learner)}
        ).status_code
        == 409
    )
    assert learner.get("/learning/courses/M01/M99-1").status_code == 404
    assert learner.get("/learning/courses/M02/M01-1").status_code == 404


def test_the_practice_workspace_is_private(learner: TestClient, engine: Engine) -> None:
    opened = learner.post(
        "/learning/courses/practice", data={"task": "register", "csrf_token": csrf_of(learner)}
    )
    assert opened.status_code == 200 and "practice workspace" in opened.text
    name = re.search(r"/workbench/(practice-\d+)/hazards", str(opened.url)).group(1)
    assert learner.get(f"/workbench/{name}/hazards/new").status_code == 200
    # Learners still have no workbench of their own and cannot share their workspace.
    assert learner.get("/workbench").status_code == 403
    shared = learner.post(
        f"/workbench/{name}/members",
        data={"username": "analyst", "role": "viewer", "csrf_token": csrf_of(learner)},
    )
    assert shared.status_code == 403
    with Session(engine) as db, db.begin():
        workspaces.seed_demo(db, users.get_user(db, "analyst"))
    assert learner.get("/workbench/portavera").status_code == 404
    with TestClient(learner.app) as analyst:
        login(analyst, "analyst")
        assert analyst.get(f"/workbench/{name}").status_code == 404
        assert name not in analyst.get("/workbench").text
    with TestClient(learner.app) as instructor:
        login(instructor, "instructor")
        assert instructor.get(f"/workbench/{name}").status_code == 404


def test_units_render_in_the_learners_language_with_a_marker(
    learner: TestClient, engine: Engine
) -> None:
    learner.post("/language", data={"language": "el", "next": "/", "csrf_token": csrf_of(learner)})
    page = learner.get("/learning/courses/M01/M01-2")
    assert page.status_code == 200 and 'id="fallback"' in page.text
    assert "Ελληνικά" in page.text
    # The interface around the English text is Greek, the evidence rule included.
    assert "Τα τεκμήρια μετράνε από τη στιγμή που ανοίγετε αυτό το μάθημα" in page.text
    assert html.escape(UNITS["M01-2"].text.case, quote=False) in page.text
    data = learner.get("/api/v1/courses/units/M01-2").json()
    assert data["translated"] is False and data["language"] == "en"
    # The first opening (the page above) stays the moment evidence counts from.
    assert data["opened_at"] == _opened(engine, "learner", "M01-2").isoformat()


#: The bundled M01-1 with a script and a javascript: link under its first heading.
_HEADING = next(line for line in UNITS["M01-1"].source.splitlines() if line.startswith("## "))
AUTHORED = UNITS["M01-1"].source.replace(
    _HEADING,
    f"{_HEADING}\n\n<script>alert('x')</script> [click](javascript:alert(1))",
    1,
)


def test_authoring_is_checked_versioned_and_safe(
    client: TestClient, accounts: dict, engine: Engine
) -> None:
    login(client, "instructor")
    broken = re.sub(r"^outcomes: .*$", "outcomes: [M01.9]", AUTHORED, count=1, flags=re.M)
    broken = broken.replace("::: reflection", "::: musings")
    refused = client.post(
        "/learning/authoring/units/M01-1",
        data={"source": broken, "lang": "en", "action": "save", "csrf_token": csrf_of(client)},
    )
    assert refused.status_code == 400
    text = html.unescape(refused.text)
    assert "M01-1.md:5: outcome 'M01.9' is not an outcome of module M01" in text
    line = 1 + AUTHORED.splitlines().index("::: reflection")
    assert f"M01-1.md:{line}: unknown block 'musings'" in text
    assert "block 'reflection' is missing" in text
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(CourseUnitVersion)) == 0
    saved = client.post(
        "/learning/authoring/units/M01-1",
        data={"source": AUTHORED, "lang": "en", "action": "save", "message": "script test",
              "csrf_token": csrf_of(client)},
    )  # fmt: skip
    assert saved.status_code == 200 and 'id="saved-notice"' in saved.text
    with TestClient(client.app) as learner:
        login(learner, "learner")
        page = learner.get("/learning/courses/M01/M01-1").text
        assert "&lt;script&gt;alert" in page and "<script>alert" not in page
        assert 'href="javascript:' not in page
    # Withdrawing brings the bundled unit back; both versions stay in the history.
    client.post(
        "/learning/authoring/units/M01-1/withdraw",
        data={"lang": "en", "csrf_token": csrf_of(client)},
    )
    history = client.get("/learning/authoring/units/M01-1/history").text
    assert "withdrawn" in history and "script test" in history
    with TestClient(client.app) as learner:
        login(learner, "learner")
        assert "&lt;script&gt;" not in learner.get("/learning/courses/M01/M01-1").text
        assert learner.get("/learning/authoring").status_code == 403


def test_an_uploaded_set_of_units_is_all_or_nothing(
    client: TestClient, accounts: dict, engine: Engine
) -> None:
    login(client, "instructor")
    new = f"M01-{len(M01) + 1}"
    good = UNITS["M01-3"].source.replace("id: M01-3", f"id: {new}")
    bad = "---\ntitle: [unclosed\n---\n"
    files = [
        ("files", (f"{new}.md", good.encode(), "text/markdown")),
        ("files", ("M01-1.el.md", bad.encode(), "text/markdown")),
    ]
    refused = client.post(
        "/learning/authoring/upload", files=files, data={"csrf_token": csrf_of(client)}
    )
    assert refused.status_code == 400 and "M01-1.el.md:3: invalid YAML" in html.unescape(
        refused.text
    )
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(CourseUnitVersion)) == 0
    accepted = client.post(
        "/learning/authoring/upload", files=files[:1], data={"csrf_token": csrf_of(client)}
    )
    assert accepted.status_code == 200 and new in accepted.text
    assert client.get(f"/learning/courses/M01/{new}").status_code == 200


def test_a_course_run_shows_deadlines_and_progress_under_consent(
    client: TestClient, accounts: dict, engine: Engine
) -> None:
    with Session(engine) as db, db.begin():
        owner = users.get_user(db, "instructor")
        cohort = learning_store.seed_demo_cohort(db, owner)
        assert cohort is not None
        learner = users.get_user(db, "learner")
        learning_store.join(db, cohort, learner, consented=False)
        cohort_id = cohort.id
    login(client, "instructor")
    today = dt.date.today()
    form = {
        "target": "module:M01",
        "cohort": str(cohort_id),
        "title": "M01 spring run",
        "start": today.isoformat(),
        "choose_units": "1",
        "required": ["M01-1", "M01-3"],
        "deadline-M01-1": (today + dt.timedelta(days=7)).isoformat(),
        "deadline-M01": (today - dt.timedelta(days=1)).isoformat(),
        "csrf_token": csrf_of(client),
    }
    refused = client.post("/learning/runs", data=form)
    assert refused.status_code == 400 and "is before the start" in refused.text
    form["deadline-M01"] = (today + dt.timedelta(days=30)).isoformat()
    opened = client.post("/learning/runs", data=form)
    assert opened.status_code == 200 and "M01 spring run" in opened.text
    run_url = str(opened.url)
    # Six demo learners consented, the demo learner did not: counts, not a row.
    assert "6 of 7 learners" in opened.text and 'id="run-counts"' in opened.text
    assert "Test learner" not in opened.text
    with TestClient(client.app) as learner_client:
        login(learner_client, "learner")
        pass_quiz(learner_client)
        mine = learner_client.get(run_url)
        assert mine.status_code == 200 and "met" in mine.text
        assert "Handed-in work" not in mine.text
    with Session(engine) as db:
        learner_id = users.get_user(db, "learner").id
    # Membership is not consent: no handed-in work, no feedback.
    assert client.get(f"{run_url}/learners/{learner_id}").status_code == 403
    refused = client.post(
        f"{run_url}/learners/{learner_id}/feedback",
        data={"unit": "M01-1", "text": "Hello", "csrf_token": csrf_of(client)},
    )
    assert refused.status_code == 403
    with Session(engine) as db, db.begin():
        member = learning_store.membership(
            db, learning_store.get_cohort(db, cohort_id), users.get_user(db, "learner")
        )
        member.consented = True
    page = client.get(run_url)
    assert "Test learner" in page.text
    work = client.get(f"{run_url}/learners/{learner_id}")
    assert work.status_code == 200 and "quiz passed" in work.text
    sent = client.post(
        f"{run_url}/learners/{learner_id}/feedback",
        data={
            "unit": "M01-1",
            "text": "Good map of the dependencies.",
            "csrf_token": csrf_of(client),
        },
    )
    assert sent.status_code == 200 and "Good map of the dependencies." in sent.text
    empty = client.post(
        f"{run_url}/learners/{learner_id}/feedback",
        data={"unit": "M01-1", "text": "  ", "csrf_token": csrf_of(client)},
    )
    assert empty.status_code == 400 and "write something" in empty.text
    stray = client.post(
        f"{run_url}/learners/{learner_id}/feedback",
        data={"unit": "M01-2", "text": "Not in this run", "csrf_token": csrf_of(client)},
    )
    assert stray.status_code == 400 and "not a unit of this run" in stray.text
    with TestClient(client.app) as learner_client:
        login(learner_client, "learner")
        assert (
            "Good map of the dependencies."
            in learner_client.get("/learning/courses/M01/M01-1").text
        )
        exported = learner_client.get("/learning/courses/progress.json").json()
        assert exported["feedback"][0]["text"] == "Good map of the dependencies."
        assert exported["runs"][0]["deadlines"][0]["status"] in ("met", "open")
        pdf = learner_client.get("/learning/courses/progress.pdf")
        assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    # Another instructor sees nothing of this run.
    with Session(engine) as db, db.begin():
        users.add_user(db, "teacher2", PASSWORD, "instructor")
    with TestClient(client.app) as other:
        login(other, "teacher2")
        assert other.get(f"{run_url}/learners/{learner_id}").status_code == 403


def test_the_courses_api(client: TestClient, accounts: dict) -> None:
    login(client, "learner")
    client.headers["X-CSRF-Token"] = csrf_of(client)
    modules = client.get("/api/v1/courses/modules").json()
    assert [m["module"] for m in modules["modules"]][:2] == ["M01", "M02"]
    assert client.put("/api/v1/courses/scope", json={"scope": "mars"}).status_code == 400
    quiz = client.post("/api/v1/courses/units/M01-1/quiz").json()
    answers = {q["id"]: BANK.item(q["id"]).answer for q in quiz["questions"]}
    assert all("answer" not in q for q in quiz["questions"])
    result = client.post(
        f"/api/v1/courses/units/M01-1/quiz/{quiz['quiz']}", json={"answers": answers}
    )
    assert result.json()["passed"] is True
    again = client.post(
        f"/api/v1/courses/units/M01-1/quiz/{quiz['quiz']}", json={"answers": answers}
    )
    assert again.status_code == 409
    module = client.get("/api/v1/courses/modules/M01").json()
    assert module["units"][0]["status"] == "complete" and module["units_done"] == 1
    assert client.get("/api/v1/courses/units/M77-1").status_code == 404
