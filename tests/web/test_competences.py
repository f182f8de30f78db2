"""Competence pages on SQLite and PostgreSQL: browsing, language, graph, matrix, exports, upload."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from crisis.competences import bundled_path, load_bundled
from crisis.competences.moodle import HEADER
from crisis.settings import Settings
from crisis.store.competence_tables import CompetenceCatalogue, CompetenceCatalogueFile
from crisis.web.app import create_app
from tests.conftest import csrf_of, login

pytestmark = pytest.mark.usefixtures("accounts")

DATA = bundled_path()


@pytest.fixture
def settings(tmp_path: Path, cache_dir: Path) -> Settings:
    # A 1 MiB limit: the bundled catalogue fits, a 2 MiB upload does not.
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-0123456789",
        max_upload_mb=1,
        cache_dir=cache_dir,
    )


def _file(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _upload(client: TestClient, files: list[tuple[str, bytes]], label: str = "") -> object:
    return client.post(
        "/competences/manage/upload",
        data={"csrf_token": csrf_of(client), "label": label},
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


def _stored(engine: Engine) -> tuple[int, int]:
    with Session(engine) as db:
        return (
            db.scalar(select(func.count(CompetenceCatalogue.id))) or 0,
            db.scalar(select(func.count(CompetenceCatalogueFile.id))) or 0,
        )


def _greek(client: TestClient) -> None:
    client.post("/language", data={"language": "el", "next": "/", "csrf_token": csrf_of(client)})


def test_anonymous_visitors_read_the_framework_but_do_not_manage_it(client: TestClient) -> None:
    response = client.get("/competences/C01", follow_redirects=False)
    assert response.status_code == 200 and "Upload and manage" not in response.text
    assert client.get("/competences/export/moodle").status_code == 200
    response = client.get("/competences/manage", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/competences/manage")


def test_framework_lists_areas_and_competences(client: TestClient) -> None:
    login(client, "learner")
    html = client.get("/competences").text
    cat = load_bundled()
    for area in cat.framework.areas:
        assert f'id="{area.id}"' in html
    links = set(re.findall(r'href="/competences/(C\d+)"', html))
    assert links == {c.id for c in cat.framework.competences}
    assert "Catalogue in use: the bundled SCRO framework and curriculum." in html
    assert "Upload and manage" not in html  # learners do not manage the catalogue


def test_competence_page_shows_four_levels_side_by_side_in_greek(client: TestClient) -> None:
    login(client, "learner")
    _greek(client)
    comp = load_bundled().competence("C01")
    html = client.get("/competences/C01").text
    assert '<html lang="el">' in html
    assert comp.title.get("el") in html
    headers = re.findall(r'<th scope="col" class="level-(\d)">', html)
    assert headers == ["1", "2", "3", "4"]
    for level in (1, 2, 3, 4):
        assert comp.levels[level].get("el") in html
    assert "Βασικό" in html or "Βασικ" in html  # the scale's Greek level names
    # The knowledge, skill and attitude statements are Greek too, and nothing falls back.
    assert comp.knowledge[0].get("el") in html
    assert comp.knowledge[0].get("en") not in html
    assert 'class="fallback"' not in html
    assert "Επίπεδα επάρκειας" in html  # the interface is Greek too


def test_competence_page_lists_mappings_outcomes_and_profiles(client: TestClient) -> None:
    login(client, "analyst")
    html = client.get("/competences/C01").text
    assert "Essential 1: Organise for disaster resilience" in html
    assert 'href="/competences/modules/M01"' in html
    assert 'href="/competences/profiles/scro"' in html
    assert client.get("/competences/C99").status_code == 404


def test_profiles_and_profile_targets(client: TestClient) -> None:
    login(client, "learner")
    cat = load_bundled()
    html = client.get("/competences/profiles").text
    for profile in cat.profiles.values():
        assert f'href="/competences/profiles/{profile.id}"' in html
    page = client.get("/competences/profiles/civil-protection-officer").text
    profile = cat.profile("civil-protection-officer")
    assert page.count("<td>essential</td>") == sum(t.essential for t in profile.targets.values())
    assert page.count("<td>optional</td>") == sum(not t.essential for t in profile.targets.values())
    assert client.get("/competences/profiles/astronaut").status_code == 404


def test_curriculum_module_and_programme_pages(client: TestClient) -> None:
    login(client, "learner")
    cat = load_bundled()
    html = client.get("/competences/curriculum").text
    assert set(re.findall(r'<th scope="row"><a href="/competences/modules/(\w+)"', html)) == {
        m.id for m in cat.curriculum.modules
    }
    module = cat.module("M06")
    page = client.get("/competences/modules/M06").text
    for outcome in module.outcomes:
        assert outcome.text.get("en") in page
    for pre in module.prerequisites:
        assert f'href="/competences/modules/{pre}"' in page
    assert cat.curriculum.methods.teaching[module.teaching_methods[0]].title.get("en") in page
    prog = cat.curriculum.programmes[0]
    page = client.get(f"/competences/programmes/{prog.id}").text
    order = re.findall(r'<li><a href="/competences/modules/(\w+)"', page)
    assert order == list(prog.modules)
    assert client.get("/competences/modules/M99").status_code == 404
    assert client.get("/competences/programmes/nope").status_code == 404


def test_prerequisite_graph_is_an_accessible_picture_with_a_list(client: TestClient) -> None:
    login(client, "learner")
    cat = load_bundled()
    html = client.get("/competences/graph").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'aria-labelledby="prereq-title"' in svg and '<desc id="prereq-desc">' in svg
    assert set(re.findall(r'data-module="(\w+)"', svg)) == {m.id for m in cat.curriculum.modules}
    edges = sum(len(m.prerequisites) for m in cat.curriculum.modules)
    assert svg.count('marker-end="url(#prereq-arrow)"') == edges
    fallback = html[html.index('class="graph-list"') :]
    for module in cat.curriculum.modules:
        assert f'href="/competences/modules/{module.id}"' in fallback
    assert "<script" not in svg
    standalone = client.get("/competences/graph.svg?programme=scro-postgraduate")
    assert standalone.headers["content-type"].startswith("image/svg+xml")
    drawn = set(re.findall(r'data-module="(\w+)"', standalone.text))
    assert drawn == set(
        next(p for p in cat.curriculum.programmes if p.id == "scro-postgraduate").modules
    )


def test_coverage_matrix_shows_the_level_each_module_reaches(client: TestClient) -> None:
    login(client, "learner")
    cat = load_bundled()
    html = client.get("/competences/coverage").text
    assert '<table class="matrix coverage" id="coverage-matrix">' in html
    row = re.search(r'<tr data-competence="C01">(.*?)</tr>', html, re.S)
    assert row
    cells = re.findall(r'<td class="cell[^"]*">(.*?)</td>', row.group(1))
    assert len(cells) == len(cat.curriculum.modules)
    expected = [
        str(max((o.level for o in m.outcomes if o.competence == "C01"), default=0) or "")
        for m in cat.curriculum.modules
    ]
    assert [re.sub(r"<[^>]+>", "", c) for c in cells] == expected
    mooc = client.get("/competences/coverage?programme=scro-mooc&profile=scro").text
    assert mooc.count('class="mod"') == 20
    assert client.get("/competences/coverage?programme=nope").status_code == 404
    assert client.get("/competences/coverage?profile=nope").status_code == 404


@pytest.mark.parametrize(
    ("fmt", "media"),
    [
        ("moodle", "text/csv"),
        ("case", "application/json"),
        ("case-curriculum", "application/json"),
        ("json", "application/json"),
        ("yaml", "application/yaml"),
        ("esco", "text/csv"),
    ],
)
def test_every_export_downloads(client: TestClient, fmt: str, media: str) -> None:
    login(client, "learner")
    response = client.get(f"/competences/export/{fmt}?lang=el")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "attachment" in response.headers["content-disposition"]
    body = response.content.decode("utf-8")
    if fmt == "moodle":
        rows = list(csv.reader(io.StringIO(body)))
        assert tuple(rows[0]) == HEADER
        assert load_bundled().framework.title.get("el") in body
    elif fmt in ("case", "json"):
        data = json.loads(body)
        assert ("CFDocument" in data) == (fmt == "case")


def test_unknown_export_or_language_is_refused(client: TestClient) -> None:
    login(client, "learner")
    assert client.get("/competences/export/pdf").status_code == 404
    assert client.get("/competences/export/moodle?lang=xx").status_code == 400


def test_learners_may_not_manage_the_catalogue(client: TestClient, engine: Engine) -> None:
    login(client, "learner")
    assert client.get("/competences/manage").status_code == 403
    assert _upload(client, [("framework.yaml", _file("framework.yaml"))]).status_code == 403
    assert _stored(engine) == (0, 0)


def test_broken_yaml_is_refused_with_line_numbers(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    broken = b"id: mine\ntitle: Mine\nscale:\n  levels: [\nareas: []\n"
    response = _upload(client, [("framework.yaml", broken)])
    assert response.status_code == 400
    errors = re.findall(r"<li><code>(.*?)</code></li>", response.text)
    assert errors and all(re.match(r"framework\.yaml:\d+: ", e) for e in errors)
    assert "invalid YAML" in errors[0]
    assert _stored(engine) == (0, 0)


def test_dangling_reference_is_refused_naming_file_and_line(
    client: TestClient, engine: Engine
) -> None:
    login(client, "instructor")
    text = _file("curriculum.yaml").decode("utf-8")
    line = text[: text.index("prerequisites: [M01]")].count("\n") + 1
    curriculum = text.replace("prerequisites: [M01]", "prerequisites: [M99]", 1).encode()
    response = _upload(
        client, [("framework.yaml", _file("framework.yaml")), ("curriculum.yaml", curriculum)]
    )
    assert response.status_code == 400
    assert f"curriculum.yaml:{line}: module " in response.text and "&#39;M99&#39;" in response.text
    assert _stored(engine) == (0, 0)


def test_bad_encoding_is_refused_naming_the_line(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    latin1 = "id: mine\ntitle: Caf\u00e9 framework\n".encode("latin-1")
    response = _upload(client, [("framework.yaml", latin1)])
    assert response.status_code == 400
    assert "framework.yaml:2: column 11: byte 0xe9 is not valid UTF-8" in response.text
    assert _stored(engine) == (0, 0)


def test_oversized_upload_is_refused_before_reading(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    response = _upload(client, [("framework.yaml", b"#" * (2 * 1024 * 1024))])
    assert response.status_code == 413
    assert "1 MiB" in response.text
    assert _stored(engine) == (0, 0)


def test_unknown_and_clashing_files_are_refused(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    response = _upload(client, [("notes.txt", b"hello")])
    assert response.status_code == 400 and "notes.txt: not a catalogue file" in response.text
    response = _upload(
        client, [("framework.yaml", _file("framework.yaml")), ("scro.csv", b"a,b\n")]
    )
    assert response.status_code == 400 and "scro.csv: holds the same part" in response.text
    assert _upload(client, []).status_code == 400
    assert _stored(engine) == (0, 0)


def test_upload_becomes_the_catalogue_in_use_and_bundled_is_restorable(
    client: TestClient, engine: Engine, app: object
) -> None:
    login(client, "instructor")
    framework = _file("framework.yaml").replace(
        b"title: Smart City Resilience Officer competence framework",
        b"title: Our city's resilience framework",
        1,
    )
    files = [
        ("framework.yaml", framework),
        ("profiles.yaml", _file("profiles.yaml")),
        ("curriculum.yaml", _file("curriculum.yaml")),
        ("el.yaml", _file("translations/el.yaml")),
    ]
    response = _upload(client, files, label="Our city 2025")
    assert response.status_code == 200, response.text
    assert "Uploaded and now in use: Our city 2025" in response.text
    assert _stored(engine) == (1, 4)
    html = client.get("/competences").text
    assert "Our city&#39;s resilience framework" in html
    assert "Catalogue in use: Our city 2025" in html
    # Another worker of the same installation (a second app on the same database) agrees.
    with TestClient(create_app(client.app.state.settings, engine=engine)) as other:  # type: ignore[attr-defined]
        login(other, "learner")
        assert "Our city&#39;s resilience framework" in other.get("/competences").text
    # Back to the bundled content, and to the upload again.
    token = csrf_of(client)
    client.post("/competences/manage/bundled", data={"csrf_token": token})
    assert "Smart City Resilience Officer competence framework" in client.get("/competences").text
    with Session(engine) as db:
        upload_id = db.scalar(select(CompetenceCatalogue.id))
    client.post(f"/competences/manage/{upload_id}/activate", data={"csrf_token": token})
    assert "Our city&#39;s resilience framework" in client.get("/competences").text
    client.post(f"/competences/manage/{upload_id}/delete", data={"csrf_token": token})
    assert _stored(engine) == (0, 0)
    assert "bundled SCRO framework" in client.get("/competences").text


def test_an_english_only_upload_is_shown_marked_on_greek_pages(client: TestClient) -> None:
    login(client, "instructor")
    framework = _file("framework.yaml").replace(
        b"title: Systems thinking for urban resilience",
        b"title: Thinking in systems for our city",
        1,
    )
    # Without translations/el.yaml: every text of this catalogue exists in English only.
    files = [
        ("framework.yaml", framework),
        ("profiles.yaml", _file("profiles.yaml")),
        ("curriculum.yaml", _file("curriculum.yaml")),
    ]
    assert _upload(client, files, label="English only").status_code == 200
    _greek(client)
    html = client.get("/competences/C01").text
    assert '<html lang="el">' in html
    # The English title is a marked passage: lang="en" and a visible EN badge, never silent.
    marked = re.search(
        r'<span class="fallback" lang="en"><abbr class="lang-badge" title="([^"]+)">EN</abbr>'
        r" Thinking in systems for our city</span>",
        html,
    )
    assert marked, html[:2000]
    assert "English" in marked.group(1) and "γλώσσα" in marked.group(1)
    # The page title cannot hold markup: the code in brackets marks it there.
    assert "<title>C01 · Thinking in systems for our city [EN]" in html
    # The interface around it stays Greek.
    assert "Επίπεδα επάρκειας" in html


def test_upload_without_csrf_token_is_refused(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    response = client.post(
        "/competences/manage/upload",
        files=[("files", ("framework.yaml", _file("framework.yaml"), "application/x-yaml"))],
    )
    assert response.status_code == 403
    assert _stored(engine) == (0, 0)


def test_an_upload_that_no_longer_loads_falls_back_to_bundled(
    client: TestClient, engine: Engine
) -> None:
    login(client, "admin")
    assert _upload(client, [("framework.yaml", _file("framework.yaml"))]).status_code == 200
    with Session(engine) as db, db.begin():
        db.execute(update(CompetenceCatalogueFile).values(content=b"areas: [\n"))
    with TestClient(create_app(client.app.state.settings, engine=engine)) as fresh:  # type: ignore[attr-defined]
        login(fresh, "learner")
        response = fresh.get("/competences")
    assert response.status_code == 200
    assert "could not be loaded" in response.text
    assert "framework.yaml:" in response.text


MOODLE_FIXTURE = Path(__file__).parents[1] / "competences" / "data" / "moodle_emergency.csv"


def test_another_sites_moodle_framework_is_browsable_at_every_depth(
    client: TestClient, engine: Engine
) -> None:
    login(client, "instructor")
    response = _upload(client, [("emergency.csv", MOODLE_FIXTURE.read_bytes())], label="Moodle")
    assert response.status_code == 200, response.text
    assert _stored(engine) == (1, 1)
    html = client.get("/competences").text
    assert "Municipal emergency management" in html
    assert "Part of 1.1.1 Hazard scenarios" in html  # a depth-4 competence on the framework page
    page = client.get("/competences/1.1.1.1")
    assert page.status_code == 200
    assert "Emergency planning</a> › <a" in page.text  # the branch above it
    assert "Plan exercises" in page.text  # its cross-reference
    planning = client.get("/competences/1.1").text
    assert "Reached when the sub-competences reached give 2 points" in planning
    api = client.get("/api/v1/competences/1.1.1.1").json()
    assert api["parent"] == "1.1.1"
    back = client.get("/competences/export/moodle").content.decode("utf-8")
    assert "Not yet competent,Competent" in back and "1.1.1.1" in back


def test_a_broken_moodle_file_lists_every_problem_and_stores_nothing(
    client: TestClient, engine: Engine
) -> None:
    login(client, "instructor")
    text = MOODLE_FIXTURE.read_text("utf-8")
    broken = text.replace(";1.1.1.2;", ";1.1.1.1;")
    broken = broken.replace('"":2,""scaledefault', '"":7,""scaledefault', 1)
    response = _upload(client, [("emergency.csv", broken.encode())])
    assert response.status_code == 400
    errors = re.findall(r"<li><code>(.*?)</code></li>", response.text)
    assert errors == [
        "emergency.csv:row 2, column 7 (Scale configuration): value 7 is outside the 2 scale "
        "values",
        "emergency.csv:row 9, column 2 (ID number): ID number &#39;1.1.1.1&#39; is used twice "
        "(first at row 8)",
    ]
    assert _stored(engine) == (0, 0)
