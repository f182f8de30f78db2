"""End to end against a real LTI 1.3 platform (lti1p3platform): login initiation → launch →
deep link → grade passback (and a refused grade) → roster becomes a cohort."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time

import httpx2
from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.competences.loader import load_bundled
from crisis.store import learning as learning_store
from crisis.store.db import make_sessionmaker
from crisis.store.integration_tables import OutboxMessage
from crisis.store.tables import User
from crisis.web.integrations import delivery
from tests.conftest import csrf_of, login
from tests.integrations.conftest import client_for
from tests.integrations.flows import answer_quiz, launch, platform_form, register
from tests.integrations.platform import INSTRUCTOR, LEARNER, Launch


def test_platform_drives_the_whole_flow(lti_app, lti_settings, engine, accounts, platform) -> None:  # type: ignore[no-untyped-def]
    with (
        client_for(lti_app) as admin,
        client_for(lti_app) as teacher,
        client_for(lti_app) as learner,
    ):
        login(admin, "admin")
        register(admin, platform)
        platform.set_tool_keys(admin.get("/lti/jwks").json())

        # The instructor picks activities in the LMS (deep linking).
        picker = launch(
            teacher, platform, "dl-1", Launch("inst-1", [INSTRUCTOR], "Ana Teacher", deep_link=True)
        )
        assert picker.status_code == 200, picker.text
        assert "Add CRISIS activities to your course" in picker.text
        token = re.search(r'name="token" value="([^"]+)"', picker.text)
        assert token
        back = teacher.post(
            "/lti/deep-link",
            data={
                "csrf_token": csrf_of(teacher),
                "token": token.group(1),
                "activity": ["unit:M01-1", "test"],
            },
        )
        assert back.status_code == 200, back.text
        jwt = re.search(r'name="JWT" value="([^"]+)"', back.text)
        action = re.search(r'action="([^"]+)"', back.text.split("lti-return")[0] + back.text)
        assert jwt and platform.url + "/deep_link_return" in back.text
        returned = httpx2.post(platform.url + "/deep_link_return", data={"JWT": jwt.group(1)})
        assert returned.status_code == 200, returned.text
        assert action
        items = platform.deep_link_items
        assert [i["type"] for i in items] == ["ltiResourceLink", "ltiResourceLink"]
        assert [i["custom"]["activity"] for i in items] == ["unit:M01-1", "test"]
        assert items[0]["lineItem"]["scoreMaximum"] > 0

        # A learner opens the unit link: account created, signed in, no second login.
        opened = launch(
            learner,
            platform,
            "rl-1",
            Launch("learner-1", [LEARNER], "Lea Learner", "rl-unit", items[0]["custom"]),
        )
        assert opened.status_code == 303, opened.text
        assert opened.headers["location"] == "/learning/courses/M01/M01-1"
        page = learner.get("/learning/courses/M01/M01-1")
        assert page.status_code == 200 and "Lea Learner" in page.text
        with Session(engine) as db:
            user = db.scalar(select(User).where(User.display_name == "Lea Learner"))
            assert user is not None and user.role == "learner"

        # The learner finishes the unit's quiz: the score reaches the LMS gradebook.
        result = answer_quiz(learner, "M01-1", right=True)
        sessions = make_sessionmaker(engine)
        report = delivery.run_once(sessions, lti_settings, load_bundled())
        with Session(engine) as db:
            rows = [
                (r.channel, r.status, r.last_status, r.last_error)
                for r in db.scalars(select(OutboxMessage))
            ]
        assert report.refused == 0, rows
        assert ("ags", "delivered", 200, None) in rows, rows
        grade = platform.gradebook["1"]["learner-1"]
        assert grade["scoreGiven"] == result["correct"] and grade["scoreMaximum"] == result["total"]
        assert (
            grade["activityProgress"] == "Completed" and grade["gradingProgress"] == "FullyGraded"
        )
        assert grade["timestamp"]

        # A grade the LMS refuses is kept, retried with back-off and shown to the admin.
        platform.refuse_scores = True
        answer_quiz(learner, "M01-1", right=False)
        delivery.run_once(sessions, lti_settings, load_bundled())
        with Session(engine) as db:
            refused = db.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.channel == "ags", OutboxMessage.status == "pending"
                )
            ).all()
            assert len(refused) == 1 and refused[0].last_status == 403 and refused[0].attempts == 1
            retry_at = refused[0].next_at
            refused_id = refused[0].id
        outbox_page = admin.get("/admin/outbox?status=pending")
        assert "HTTP 403" in outbox_page.text
        delivery.deliver(sessions, lti_settings, now=retry_at - dt.timedelta(seconds=1))
        with Session(engine) as db:
            row = db.get(OutboxMessage, refused_id)
            assert row is not None and row.attempts == 1  # not due yet: back-off respected
        platform.refuse_scores = False
        delivery.deliver(sessions, lti_settings, now=retry_at + dt.timedelta(seconds=1))
        with Session(engine) as db:
            row = db.get(OutboxMessage, refused_id)
            assert row is not None and row.status == "delivered" and row.attempts == 2
        assert platform.gradebook["1"]["learner-1"]["scoreGiven"] < grade["scoreGiven"]

        # The roster becomes a cohort; membership is not consent.
        platform.roster = [
            {"user_id": "learner-1", "roles": [LEARNER], "name": "Lea Learner", "status": "Active"},
            {"user_id": "learner-2", "roles": [LEARNER], "name": "Nuno Novo", "status": "Active"},
            {"user_id": "inst-1", "roles": [INSTRUCTOR], "name": "Ana Teacher", "status": "Active"},
        ]
        courses = teacher.get("/lti/courses")
        assert "SCRO 101: City resilience" in courses.text
        context_id = re.search(r"/lti/courses/(\d+)/roster", courses.text)
        assert context_id
        synced = teacher.post(
            f"/lti/courses/{context_id.group(1)}/roster", data={"csrf_token": csrf_of(teacher)}
        )
        assert synced.status_code == 200, synced.text
        assert "2 learners; 2 joined" in synced.text
        with Session(engine) as db:
            cohort = learning_store.get_cohort(
                db, int(re.search(r"/learning/cohorts/(\d+)", synced.text).group(1))
            )  # type: ignore[union-attr]
            members = learning_store.members(db, cohort)
            assert sorted(u.display_name for _m, u in members if u) == ["Lea Learner", "Nuno Novo"]
            assert not any(m.consented for m, _u in members)
        platform.roster = platform.roster[:1]
        again = teacher.post(
            f"/lti/courses/{context_id.group(1)}/roster", data={"csrf_token": csrf_of(teacher)}
        )
        assert "1 learners; 0 joined the cohort, 1 left it" in again.text

        # What a launch adds to the page it opens (printed, not asserted): the launch POST
        # (state, id_token checks, account, course, link, session) against the unit page.
        spec = Launch("learner-1", [LEARNER], "Lea Learner", "rl-unit", items[0]["custom"])
        fetched = lti_app.state.lti_keys.fetches
        spent, server, pages = [], [], []
        for n in range(15):
            fields = platform_form(learner, platform, f"t-{n}", spec)
            begin = time.perf_counter()
            done = learner.post("/lti/launch", data=fields, follow_redirects=False)
            spent.append((time.perf_counter() - begin) * 1000)
            server.append(float(done.headers["server-timing"].split("dur=")[1]))
            assert (
                done.status_code == 303
                and done.headers["location"] == "/learning/courses/M01/M01-1"
            )
            begin = time.perf_counter()
            assert learner.get("/learning/courses/M01/M01-1").status_code == 200
            pages.append((time.perf_counter() - begin) * 1000)
        # The platform's key set was fetched at the first launch and kept since.
        assert lti_app.state.lti_keys.fetches == fetched == 1
        print(
            f"\nLTI launch before the page it opens, over {len(spent)} launches: median "
            f"{statistics.median(spent):.1f} ms as the browser sees it (max {max(spent):.1f}), "
            f"{statistics.median(server):.1f} ms in the handler (Server-Timing); the unit page "
            f"itself: median {statistics.median(pages):.1f} ms"
        )
