"""Workbench pages on SQLite and PostgreSQL: access, the register, conflicts, weights, history."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisis.store import users, workspaces
from crisis.workbench.history import snapshot
from tests.conftest import PASSWORD, csrf_of, login

DEMO = "/workbench/portavera"


@pytest.fixture
def demo(engine: Engine, accounts: dict[str, str]) -> str:
    """The demo workspace, owned by the analyst, with a second analyst as editor."""
    with Session(engine) as db, db.begin():
        owner = users.get_user(db, "analyst")
        row = workspaces.seed_demo(db, owner)
        assert row is not None
        nikos = users.add_user(db, "nikos", PASSWORD, "analyst", display_name="Nikos")
        workspaces.set_member(db, row, nikos, "editor")
    return "portavera"


def _form(client: TestClient, path: str, action: str | None = None) -> dict[str, str]:
    """The values a browser would submit from a form (the first that posts to the workspace,
    or the one posting to ``action``) on the page at ``path``."""
    html = client.get(path).text
    start = html.index('<form method="post" action="' + (action or DEMO))
    form = html[start : html.index("</form>", start)]
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        ticked = ('type="checkbox"' not in tag and 'type="radio"' not in tag) or " checked" in tag
        if name and value and ticked:
            values.setdefault(name.group(1), value.group(1))
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form):
        values.setdefault(name, body)
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        values.setdefault(name, chosen.group(1) if chosen else "")
    values["csrf_token"] = csrf_of(client)
    return {k: v.replace("&amp;", "&").replace("&#39;", "'") for k, v in values.items()}


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("", "Top hazards"),
        ("/hazards", "Flood of the river Vera"),
        ("/hazards/river-flood", "Levee breach upstream"),
        ("/hazards/new?taxonomy_id=earthquake", "Earthquake"),
        ("/priorities", "How stable is the top 3?"),
        ("/weights", "Pairwise comparisons (AHP)"),
        ("/scorecard", '<abbr title="National and local risk reduction strategies">E</abbr>'),
        ("/scorecard/round?label=Baseline%202026", "Resilience lead appointed"),
        ("/actions", "Draft the plan"),
        ("/reports", "Download the PDF profile"),
        ("/history", "Demo city loaded"),
        ("/history/1", "Hazard register"),
    ],
)
def test_the_demo_workspace_pages(client: TestClient, demo: str, path: str, text: str) -> None:
    login(client, "analyst")
    response = client.get(DEMO + path)
    assert response.status_code == 200, response.text[-2000:]
    assert text in response.text
    assert "object at 0x" not in response.text  # no Python object leaks into the page
    assert "http://" not in response.text and "https://" not in response.text


@pytest.mark.usefixtures("demo")
def test_who_may_see_and_change_a_workspace(client: TestClient, engine: Engine) -> None:
    login(client, "learner")
    assert client.get("/workbench").status_code == 403
    with Session(engine) as db, db.begin():
        row = workspaces.get_workspace(db, "portavera")
        workspaces.set_member(db, row, users.get_user(db, "instructor"), "viewer")
        users.add_user(db, "outsider", PASSWORD, "analyst")
    with TestClient(client.app) as outsider:
        login(outsider, "outsider")
        assert outsider.get(DEMO).status_code == 404  # not a member: no such workspace
        assert "portavera" not in outsider.get("/workbench").text
    with TestClient(client.app) as admin:
        login(admin, "admin")
        assert admin.get(DEMO + "/hazards").status_code == 200
    with Session(engine) as db, db.begin():
        users.set_role(db, "instructor", "analyst")
    with TestClient(client.app) as viewer:
        login(viewer, "instructor")
        page = viewer.get(DEMO + "/hazards/river-flood").text
        assert "Save hazard" not in page and "<fieldset disabled>" in page
        refused = viewer.post(
            DEMO + "/hazards/river-flood/delete", data={"version": 1, "csrf_token": csrf_of(viewer)}
        )
        assert refused.status_code == 403 and "this needs editor" in refused.text


def test_create_a_workspace_and_name_rules(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    token = csrf_of(client)
    made = client.post(
        "/workbench", data={"name": "testville", "city": "Testville", "csrf_token": token}
    )
    assert made.status_code == 200 and "Testville" in made.text
    bad = client.post("/workbench", data={"name": "Bad Name", "city": "X", "csrf_token": token})
    assert bad.status_code == 400 and "name" in bad.text
    taken = client.post("/workbench", data={"name": "portavera", "city": "X", "csrf_token": token})
    assert taken.status_code == 409 and "already exists" in taken.text


def test_validation_errors_are_shown_next_to_the_fields(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    values = _form(client, DEMO + "/hazards/new?taxonomy_id=landslide")
    values.update(
        {"mp_likelihood": "2", "mp_likelihood_kind": "probability", "ms_likelihood": "abc"}
    )
    values.update(
        {f"mp_{d}": "3" for d in ("people", "economy", "environment", "infrastructure", "society")}
    )
    response = client.post(DEMO + "/hazards", data=values)
    assert response.status_code == 422
    html = response.text
    assert 'id="ms_likelihood-error"' in html and "&#39;abc&#39; is not a number" in html
    assert 'id="ms_people-error"' in html and "choose a class 1–5" in html
    values.update({"ms_likelihood": "100"})
    values.update(
        {f"ms_{d}": "4" for d in ("people", "economy", "environment", "infrastructure", "society")}
    )
    response = client.post(DEMO + "/hazards", data=values)
    assert response.status_code == 422
    assert 'id="mp_likelihood-error"' in response.text
    assert "annual probability must be in (0, 1], got 2.0" in response.text
    values["mp_likelihood"] = "0.02"
    saved = client.post(DEMO + "/hazards", data=values, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith(
        "/hazards/landslide?saved=1"
    )
    history = client.get(DEMO + "/history").text
    assert "Hazard landslide saved" in history and "hazards added:" in history


def test_two_analysts_editing_the_same_hazard(
    client: TestClient, demo: str, engine: Engine
) -> None:
    login(client, "analyst")
    with TestClient(client.app) as nikos:
        login(nikos, "nikos")
        mine = _form(client, DEMO + "/hazards/heatwave")
        theirs = _form(nikos, DEMO + "/hazards/heatwave")
        assert mine["version"] == theirs["version"] == "1"
        theirs["owner"] = "Public health authority"
        first = nikos.post(DEMO + "/hazards/heatwave", data=theirs, follow_redirects=False)
        assert first.status_code == 303
        mine["owner"] = "Civil protection"
        mine["ms_people"] = "5"
        second = client.post(DEMO + "/hazards/heatwave", data=mine)
    assert second.status_code == 409
    html = second.text
    assert (
        "was changed by someone else: you edited version 1, the register now holds version 2"
        in html
    )
    assert "nikos saved version 2" in html
    assert "Public health authority" in html  # the other person's value is shown
    assert 'name="version" value="2"' in html  # saving again is a deliberate choice
    with Session(engine) as db:
        stored = workspaces.current(db, workspaces.get_workspace(db, "portavera"))
        heatwave = stored.workspace.hazard_register.get("heatwave")
        assert heatwave.owner == "Public health authority" and heatwave.version == 2
        assert stored.version == 2  # the refused save wrote nothing


def test_history_restores_an_earlier_state_exactly(
    client: TestClient, demo: str, engine: Engine
) -> None:
    login(client, "analyst")
    values = _form(client, DEMO + "/hazards/drought")
    values["title"] = "Multi-year drought"
    assert client.post(DEMO + "/hazards/drought", data=values).status_code == 200
    token = csrf_of(client)
    client.post(DEMO + "/hazards/wildfire/delete", data={"version": 1, "csrf_token": token})
    compare = client.get(DEMO + "/history/compare?a=1&b=3").text
    assert "Multi-year drought" in compare and "wildfire" in compare
    restored = client.post(DEMO + "/history/1/restore", data={"base": 3, "csrf_token": token})
    assert restored.status_code == 200 and "Restored version 1" in restored.text
    stale = client.post(DEMO + "/history/2/restore", data={"base": 3, "csrf_token": token})
    assert stale.status_code == 409
    with Session(engine) as db:
        row = workspaces.get_workspace(db, "portavera")
        assert row.version == 4
        newest, first = workspaces.get_version(db, row, 4), workspaces.get_version(db, row, 1)
        assert newest.snapshot == first.snapshot
        assert snapshot(workspaces.current(db, row).workspace) == first.snapshot
    assert "Flood of the river Vera" in client.get(DEMO + "/history/2").text


def test_ahp_weights_are_saved_and_an_inconsistent_matrix_is_flagged(
    client: TestClient, demo: str
) -> None:
    login(client, "analyst")
    values = _form(client, DEMO + "/weights")
    values.update({k: "1" for k in values if ":" in k and k != "csrf_token"})
    assert "likelihood:people" not in values  # the AHP weighs the impact dimensions only
    values["people:economy"] = "3"
    saved = client.post(DEMO + "/weights", data=values)
    assert saved.status_code == 200 and "Weights saved." in saved.text
    assert re.search(r'<option value="3" selected>3 · People more important', saved.text)
    assert "Consistent enough" in saved.text
    values = _form(client, DEMO + "/weights")
    values.update({"people:economy": "9", "economy:environment": "9", "people:environment": "1/9"})
    flagged = client.post(DEMO + "/weights", data=values).text
    assert 'id="cr-flag"' in flagged and "exceeds 0.1" in flagged
    # The judgements that conflict are named, with a value that fits the others.
    assert flagged.count('class="conflicting"') >= 1
    assert re.search(r"People / Environment: you chose 1/9; the other judgements imply", flagged)
    assert "lowers CR to" in flagged
    stale = client.post(DEMO + "/weights", data=values)
    assert stale.status_code == 409 and "saved version 3" in stale.text  # the form is old
    values = _form(client, DEMO + "/weights")
    values["people:economy"] = "11"
    refused = client.post(DEMO + "/weights", data=values)
    assert refused.status_code == 422 and "is not on Saaty&#39;s scale" in refused.text
    ranking = client.get(DEMO + "/priorities").text
    assert "Impact weights from the AHP judgements" in ranking
    assert "too inconsistent, see the weights page" in ranking
    compare = client.get(DEMO + "/priorities/compare").text
    assert "Kendall" in compare


def test_two_analysts_rankings_are_compared(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    with TestClient(client.app) as nikos:
        login(nikos, "nikos")
        values = _form(nikos, DEMO + "/weights")
        values.update({k: "1" for k in values if ":" in k})
        values["people:society"] = "1/5"
        nikos.post(DEMO + "/weights", data=values)
    page = client.get(DEMO + "/priorities/compare").text
    assert "Kendall's τ" in page and "Spearman" in page
    assert "analyst (Version 1)" in page and "nikos (Version 2)" in page


def test_scorecard_round_with_evidence_files(client: TestClient, demo: str, engine: Engine) -> None:
    login(client, "analyst")
    token = csrf_of(client)
    made = client.post(
        DEMO + "/scorecard/rounds",
        data={"label": "Review 2027", "date": "2027-03-01", "level": "preliminary",
              "copy_from": "Baseline 2026", "csrf_token": token},
    )  # fmt: skip
    assert made.status_code == 200 and "Save answers" in made.text
    values = _form(client, DEMO + "/scorecard/round?label=Review%202027")
    base = values["base"]
    data = {"csrf_token": token, "base": base, "score:P1.1": "3", "evidence:P1.1": "Budget line"}
    files = {"file:P1.1": ("decision.pdf", b"%PDF-1.4 decision", "application/pdf")}
    url = DEMO + "/scorecard/round?label=Review%202027"
    saved = client.post(url, data=data, files=files)
    assert saved.status_code == 200 and "Review 2027" in saved.text
    page = client.get(url).text
    link = re.search(r'href="(/workbench/portavera/attachments/\d+)">decision.pdf', page)
    assert link is not None
    download = client.get(link.group(1))
    assert download.content == b"%PDF-1.4 decision"
    assert download.headers["content-disposition"].startswith("attachment")
    data["base"] = _form(client, url)["base"]
    big = {"file:P1.2": ("huge.bin", b"x" * (5 * 1024 * 1024 + 1), "application/octet-stream")}
    refused = client.post(url, data={**data, "score:P1.2": "1"}, files=big)
    assert refused.status_code == 422 and "larger than 5 MiB" in refused.text
    bad = client.post(url, data={**data, "score:P1.3": "7"})
    assert bad.status_code == 422 and "P1.3: score must be 0–3, got 7" in bad.text
    with Session(engine) as db:
        row = workspaces.get_workspace(db, "portavera")
        state = workspaces.current(db, row)
        answer = next(r for r in state.workspace.rounds if r.label == "Review 2027").answers
        assert answer["P1.1"].attachments == ("decision.pdf",)
        assert set(answer) == {"P1.1"}  # the refused posts stored nothing
        assert len(workspaces.list_attachments(db, row, "Review 2027")) == 1
    progress = client.get(DEMO + "/scorecard?round=Review%202027&compare=Baseline%202026").text
    assert "Progress from Baseline 2026 to Review 2027" in progress


def test_action_plan_is_drafted_and_edited(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    token = csrf_of(client)
    drafted = client.post(
        DEMO + "/actions/draft", data={"round": "Baseline 2026", "csrf_token": token}
    )
    assert drafted.status_code == 200 and "Target:" in drafted.text
    plan = drafted.text
    dues = re.findall(r'type="date" name="due-\d+" value="(\d{4}-\d\d-\d\d)"', plan)
    assert len(dues) == 6 and all(d > dt.date.today().isoformat() for d in dues)
    assert "Is there a named person" not in plan  # actions, not questions
    values = _form(client, DEMO + "/actions", DEMO + '/actions"')
    values["owner-0"] = "Mayor's office"
    values["due-1"] = "next spring"
    values["action-new"] = "Run a city-wide blackout exercise"
    values.update({"due-new": "2027-01-15", "competence-new": "C15", "hazard_id-new": "blackout"})
    refused = client.post(DEMO + "/actions", data=values)
    assert refused.status_code == 422
    assert "actions[2].due: expected a date YYYY-MM-DD, got &#39;next spring&#39;" in refused.text
    values["due-1"] = "2026-12-01"
    saved = client.post(DEMO + "/actions", data=values)
    assert saved.status_code == 200 and "Action plan saved." in saved.text
    assert "Mayor&#39;s office" in saved.text and "Run a city-wide blackout exercise" in saved.text
    pdf = client.get(DEMO + "/reports/profile.pdf?lang=el")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


def _xlsx(rows: list[list[Any]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "register"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_register_import_is_all_or_nothing(client: TestClient, demo: str, engine: Engine) -> None:
    from openpyxl import load_workbook

    login(client, "analyst")
    exported = client.get(DEMO + "/reports/register.xlsx")
    assert exported.status_code == 200
    import io

    rows = [
        list(r)
        for r in load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True)
    ]  # type: ignore[union-attr]
    header = rows[0]
    url = DEMO + "/reports/import/register"

    def post(content: bytes, name: str = "register.xlsx") -> Any:
        return client.post(
            url,
            data={"csrf_token": csrf_of(client), "base": _form(client, DEMO + "/reports")["base"]},
            files={"register_file": (name, content, "application/octet-stream")},
        )

    unknown = post(_xlsx([[*header, "colour"], *[[*r, "red"] for r in rows[1:]]]))
    assert unknown.status_code == 400 and "unknown column &#39;colour&#39;" in unknown.text
    broken = [list(r) for r in rows]
    broken[3][header.index("ms_people")] = 9
    broken[5][header.index("mp_annual_probability")] = 1.5
    bad = post(_xlsx(broken))
    assert bad.status_code == 400
    assert (
        "row 4, column ms_people" in bad.text and "row 6, column mp_annual_probability" in bad.text
    )
    assert post(b"not a workbook at all", "register.xlsx").status_code == 400
    with Session(engine) as db:
        assert workspaces.get_workspace(db, "portavera").version == 1  # nothing imported
    good = [list(r) for r in rows[:4]]
    good[1][header.index("title")] = "-1 m of sea-level rise"
    good[1][header.index("owner")] = "@SUM(A1:A9)"
    imported = post(_xlsx(good))
    assert imported.status_code == 200 and "Register imported: 3 hazards." in imported.text
    csv = client.get(DEMO + "/reports/register.csv").text
    assert ",'-1 m of sea-level rise," in csv and ",'@SUM(A1:A9)," in csv  # no formulas
    with Session(engine) as db:
        state = workspaces.current(db, workspaces.get_workspace(db, "portavera"))
        first = state.workspace.hazard_register.hazards[0]
        assert first.title == "-1 m of sea-level rise" and first.version == 2


def test_scorecard_import_names_row_and_column(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    url = DEMO + "/reports/import/scorecard"
    data = {
        "csrf_token": csrf_of(client),
        "label": "Imported",
        "date": "2027-05-01",
        "level": "preliminary",
    }
    sheet = b"question_id,score,evidence\nP1.1,2,ok\nP9.99,1,\nP1.2,5,\n"
    bad = client.post(url, data=data, files={"scorecard_file": ("round.csv", sheet, "text/csv")})
    assert bad.status_code == 400
    assert (
        "row 3, column question_id" in bad.text
        and "row 4, column score: must be 0–3, got 5" in bad.text
    )
    good = b"question_id,score,evidence\nP1.1,2,ok\n"
    ok = client.post(url, data=data, files={"scorecard_file": ("round.csv", good, "text/csv")})
    assert ok.status_code == 200 and "Imported" in ok.text
    exported = client.get(DEMO + "/reports/scorecard.csv?round=Imported")
    assert exported.text.splitlines() == ["question_id,score,evidence,attachments", "P1.1,2,ok,"]


def test_priorities_show_names_one_risk_definition_and_honest_flip_points(
    client: TestClient, demo: str
) -> None:
    login(client, "analyst")
    page = client.get(DEMO + "/priorities").text
    matrix = page[page.index('class="heatmap"') : page.index("</table>", page.index("heatmap"))]
    assert "<sup>" not in matrix and "Earthquake on the coastal fault" in matrix
    assert "most severe" in matrix and "most probable" in matrix  # spelled out
    assert matrix.count('class="governing"') == 13  # one deciding scenario per hazard
    assert re.search(r"Matrix and ranking agree: Kendall(&#39;|')s τ = 0\.(8|9)\d", page)
    assert "a rare catastrophe (likelihood 1, impact 5: index 60) is high" in page
    stability = page[page.index('id="stability"') :][:1200]
    assert "The smallest change of one weight that alters the top 3 is" in stability
    assert "one-step changes of a single judgement" in stability
    highest = client.get(DEMO + "/priorities?basis=highest&scenario=most_severe")
    assert highest.status_code == 200
    bad = client.get(DEMO + "/priorities?basis=average")
    assert bad.status_code == 400 and "basis: must be one of weighted, highest" in bad.text


def test_a_workspace_stored_by_an_earlier_version_still_opens(
    client: TestClient, demo: str, engine: Engine
) -> None:
    """A snapshot whose AHP matrix had likelihood as a sixth criterion and a plan without
    cost, indicator or target: every page and the PDF still work, read as migrated."""
    legacy = [
        [1, "1/2", 2, 3, 1, 2], [2, 1, 3, 4, 2, 3], ["1/2", "1/3", 1, 2, "1/2", 1],
        ["1/3", "1/4", "1/2", 1, "1/3", "1/2"], [1, "1/2", 2, 3, 1, 2],
        ["1/2", "1/3", 1, 2, "1/2", 1],
    ]  # fmt: skip
    old_plan = [{
        "priority": 1, "essential": 3, "question_id": "P3.2", "action": "Tracked budget line",
        "owner": "Finance department", "due": "2026-06-16", "hazard_id": "earthquake",
        "competence": "C17", "supporting_competence": "C18",
    }]  # fmt: skip
    with Session(engine) as db, db.begin():
        row = workspaces.get_workspace(db, "portavera")
        version = workspaces.get_version(db, row, row.version)
        data = json.loads(version.snapshot)
        data["pairwise"] = legacy
        for hazard in data["register"]["hazards"]:
            hazard.pop("combines", None)
        data["register"]["hazards"] = [
            h for h in data["register"]["hazards"] if h["id"] != "heat-blackout"
        ]
        version.snapshot = json.dumps(data, sort_keys=True, separators=(",", ":"))
        version.plan = old_plan
    login(client, "analyst")
    for path in ("", "/priorities", "/weights", "/actions", "/reports", "/history/1"):
        response = client.get(DEMO + path)
        assert response.status_code == 200, (path, response.text[-1500:])
    weights = client.get(DEMO + "/weights").text
    assert "Consistent enough" in weights and "Likelihood" not in weights.split("<h1")[1]
    assert "Tracked budget line" in client.get(DEMO + "/actions").text
    pdf = client.get(DEMO + "/reports/profile.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_multi_hazard_scenario_is_entered_in_the_form(client: TestClient, demo: str) -> None:
    login(client, "analyst")
    values = _form(client, DEMO + "/hazards/new?taxonomy_id=coastal-flood", DEMO + "/hazards")
    values.update({
        "id": "surge-and-flood", "title": "Storm surge during a river flood",
        "mp_likelihood": "100", "ms_likelihood": "500",
        **{f"{p}_{d}": "3" for p in ("mp", "ms")
           for d in ("people", "economy", "environment", "infrastructure", "society")},
    })  # fmt: skip
    body: dict[str, Any] = {**values, "combines": ["coastal-flood", "river-flood"]}
    saved = client.post(DEMO + "/hazards", data=body)
    assert saved.status_code == 200 and "Storm surge during a river flood" in saved.text
    ranking = client.get(DEMO + "/priorities").text
    assert "multi-hazard scenario:" in ranking
    lone = {**values, "id": "lone", "combines": ["river-flood"]}
    refused = client.post(DEMO + "/hazards", data=lone)
    assert refused.status_code == 422 and "at least two hazards" in refused.text
    removed = client.post(
        DEMO + "/hazards/river-flood/delete",
        data={"version": "1", "csrf_token": values["csrf_token"]},
    )
    assert removed.status_code == 409 and "surge-and-flood" in removed.text


def _greek_page(client: TestClient) -> None:
    client.post("/language", data={"language": "el", "next": "/", "csrf_token": csrf_of(client)})


def test_the_team_s_own_texts_are_marked_with_the_workspace_language(
    client: TestClient, demo: str, engine: Engine
) -> None:
    from crisis.workbench.workspace import parse_workspace

    # Portavera's team writes in English: on a Greek page its hazard titles are marked.
    login(client, "analyst")
    _greek_page(client)
    html = client.get(DEMO + "/hazards").text
    assert '<html lang="el">' in html
    assert re.search(
        r'<span class="fallback" lang="en"><abbr class="lang-badge" [^>]*>EN</abbr> '
        r"Flood of the river Vera</span>",
        html,
    )
    assert "Μητρώο επικινδυνοτήτων" in html  # the interface and the bundled texts are Greek
    # A Greek team's register on a Greek page: nothing to mark.
    with Session(engine) as db, db.begin():
        owner = users.get_user(db, "analyst")
        workspaces.create_workspace(
            db,
            "thessaloniki",
            "Θεσσαλονίκη",
            owner,
            workspace=parse_workspace(
                {
                    "name": "thessaloniki",
                    "language": "el",
                    "register": {"city": "Θεσσαλονίκη"},
                }
            ),
        )
    greek = client.get("/workbench/thessaloniki").text
    assert "Θεσσαλονίκη" in greek and 'class="fallback"' not in greek


def test_the_greek_city_profile_pdf_is_greek_and_marks_the_team_s_texts(
    client: TestClient, demo: str
) -> None:
    import io

    from pypdf import PdfReader

    login(client, "analyst")
    data = client.get(DEMO + "/reports/profile.pdf?lang=el").content
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )
    assert "Προφίλ ανθεκτικότητας της πόλης: Portavera" in text
    assert "Μήτρα κινδύνου" in text and "Επικινδυνότητες κατά κίνδυνο" in text
    assert "Κάρτα αξιολόγησης ανθεκτικότητας" in text
    assert "Hazards by risk" not in text and "Deciding scenario" not in text
    assert "[EN] Flood of the river Vera" in text
    assert "16 Μαρ 2026" in text  # the round's date, written the Greek way
