"""The competences JSON API on SQLite and PostgreSQL: reading with ?lang=, exports, uploads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crisis.competences import bundled_path, load_bundled
from crisis.competences.moodle import HEADER
from crisis.settings import Settings
from crisis.store.competence_tables import CompetenceCatalogue
from tests.conftest import csrf_of, login

pytestmark = pytest.mark.usefixtures("accounts")

API = "/api/v1/competences"
DATA = bundled_path()


@pytest.fixture
def settings(tmp_path: Path, cache_dir: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-0123456789",
        max_upload_mb=1,
        cache_dir=cache_dir,
    )


def _post_files(client: TestClient, files: list[tuple[str, bytes]], **data: str) -> object:
    return client.post(
        f"{API}/catalogues",
        headers={"X-CSRF-Token": csrf_of(client)},
        data=data,
        files=[("files", (name, content, "application/octet-stream")) for name, content in files],
    )


def _count(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count(CompetenceCatalogue.id))) or 0


def test_reading_needs_a_signed_in_caller(client: TestClient) -> None:
    response = client.get(f"{API}/framework")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_framework_in_the_requested_language(client: TestClient) -> None:
    login(client, "learner")
    cat = load_bundled()
    body = client.get(f"{API}/framework", params={"lang": "el"}).json()
    assert body["language"] == "el" and body["title"] == cat.framework.title.get("el")
    assert body["source"] == {
        "bundled": True,
        "upload_id": None,
        "label": None,
        "uploaded_at": None,
        "problem": None,
    }
    assert [level["value"] for level in body["scale"]] == [0, 1, 2, 3, 4]
    competences = [c for area in body["areas"] for c in area["competences"]]
    assert len(competences) == 20
    c01 = competences[0]
    assert c01["title"] == cat.competence("C01").title.get("el")
    assert [d["level"] for d in c01["levels"]] == [1, 2, 3, 4]
    # The knowledge, skill and attitude statements come back in Greek too.
    assert c01["knowledge"][0] == cat.competence("C01").knowledge[0].get("el")
    assert c01["knowledge"][0] != cat.competence("C01").knowledge[0].get("en")


def test_language_defaults_to_the_interface_language(client: TestClient) -> None:
    login(client, "learner")
    body = client.get(f"{API}/C02", headers={"accept-language": "de"}).json()
    assert body["title"] == load_bundled().competence("C02").title.get("de")
    assert client.get(f"{API}/framework", params={"lang": "xx"}).status_code == 422


def test_competence_by_id_with_mappings(client: TestClient) -> None:
    login(client, "analyst")
    body = client.get(f"{API}/C01", params={"lang": "pt"}).json()
    comp = load_bundled().competence("C01")
    assert body["id"] == "C01" and body["title"] == comp.title.get("pt")
    assert [e["code"] for e in body["mappings"]["undrr_essentials"]] == [
        str(n) for n in comp.mappings.undrr_essentials
    ]
    missing = client.get(f"{API}/C99")
    assert missing.status_code == 404 and "C99" in missing.json()["detail"]


def test_profiles_curriculum_modules_and_coverage(client: TestClient) -> None:
    login(client, "learner")
    cat = load_bundled()
    profiles = client.get(f"{API}/profiles").json()
    assert [p["id"] for p in profiles] == list(cat.profiles)
    scro = client.get(f"{API}/profiles/scro", params={"lang": "el"}).json()
    assert scro["title"] == cat.profile("scro").title.get("el")
    assert {t["competence"] for t in scro["targets"]} == set(cat.profile("scro").targets)
    curriculum = client.get(f"{API}/curriculum").json()
    assert len(curriculum["modules"]) == len(cat.curriculum.modules)
    assert [p["id"] for p in curriculum["programmes"]] == [p.id for p in cat.curriculum.programmes]
    module = client.get(f"{API}/modules/M06").json()
    assert module["prerequisites"] == cat.module("M06").prerequisites
    coverage = client.get(f"{API}/coverage", params={"programme": "scro-mooc"}).json()
    assert len(coverage["modules"]) == 20
    c01 = next(r for r in coverage["competences"] if r["competence"] == "C01")
    assert c01["levels"]["M01"] == 2
    assert client.get(f"{API}/profiles/nope").status_code == 404
    assert client.get(f"{API}/modules/M99").status_code == 404
    assert client.get(f"{API}/coverage", params={"programme": "nope"}).status_code == 404


def test_exports(client: TestClient) -> None:
    login(client, "learner")
    moodle = client.get(f"{API}/exports/moodle", params={"lang": "de"})
    assert moodle.status_code == 200
    assert moodle.text.splitlines()[0] == ",".join(HEADER)
    assert 'filename="scro-framework-moodle-de.csv"' in moodle.headers["content-disposition"]
    case = client.get(f"{API}/exports/case").json()
    assert case["CFDocument"]["title"] == load_bundled().framework.title.get("en")
    for fmt in ("json", "yaml", "esco"):
        assert client.get(f"{API}/exports/{fmt}").status_code == 200
    assert client.get(f"{API}/exports/pdf").status_code == 422


def test_only_instructors_and_admins_upload(client: TestClient, engine: Engine) -> None:
    login(client, "analyst")
    assert client.get(f"{API}/catalogues").status_code == 403
    framework = (DATA / "framework.yaml").read_bytes()
    assert _post_files(client, [("framework.yaml", framework)]).status_code == 403
    assert _count(engine) == 0


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            [("framework.yaml", b"id: x\nareas: [\n  - a\n  b: c\n")],
            "framework.yaml:3: invalid YAML",
        ),
        (
            [("framework.yaml", b"id: x\ntitle: X\nscale: {levels: []}\nareas: []\ncolour: red\n")],
            "framework.yaml:5: colour: unknown field",
        ),
        ([("framework.yaml", b"\xff\xfeid: x\n")], "framework.yaml:1: column 1: byte 0xff"),
        (
            [("scro.csv", b"Parent ID number,ID number\n")],
            "scro.csv:row 1: expected Moodle's 14 columns",
        ),
        (
            [
                ("catalogue.json", b'{"framework": {"areas": []}}'),
                ("profiles.yaml", b"profiles: []\n"),
            ],
            "catalogue.json: a whole-catalogue export holds everything",
        ),
        (
            [("mystery.yaml", b"hello: world\n")],
            "mystery.yaml: cannot tell which catalogue file this is",
        ),
    ],
)
def test_bad_uploads_answer_400_with_every_error(
    client: TestClient, engine: Engine, files: list[tuple[str, bytes]], expected: str
) -> None:
    login(client, "instructor")
    response = _post_files(client, files)
    assert response.status_code == 400, response.text
    body = response.json()
    assert any(e.startswith(expected) for e in body["errors"]), body["errors"]
    assert _count(engine) == 0


def test_dangling_reference_lists_file_and_line(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    profiles = (DATA / "profiles.yaml").read_text("utf-8")
    line = profiles[: profiles.index("C02: {level: 3")].count("\n") + 1
    profiles = profiles.replace("C02: {level: 3", "C42: {level: 3", 1)
    response = _post_files(
        client,
        [
            ("framework.yaml", (DATA / "framework.yaml").read_bytes()),
            ("profiles.yaml", profiles.encode("utf-8")),
        ],
    )
    assert response.status_code == 400
    assert (
        f"profiles.yaml:{line}: profile scro targets competence 'C42', which does not exist"
        in (response.json()["errors"])
    )
    assert _count(engine) == 0


def test_prerequisite_cycle_is_refused(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    curriculum = (DATA / "curriculum.yaml").read_text("utf-8")
    curriculum = curriculum.replace(
        "    group: A-TRA\n", "    group: A-TRA\n    prerequisites: [M02]\n", 1
    )
    response = _post_files(
        client,
        [
            ("framework.yaml", (DATA / "framework.yaml").read_bytes()),
            ("curriculum.yaml", curriculum.encode("utf-8")),
        ],
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(
        e.startswith("curriculum.yaml:") and "cycle: M01 → M02 → M01" in e for e in errors
    ), errors
    assert _count(engine) == 0


def test_moodle_csv_errors_name_row_and_column(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    rows = list(csv.reader(io.StringIO(client.get(f"{API}/exports/moodle").text)))
    rows[3][4] = "9"  # "Description format" of the third data row
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    response = _post_files(client, [("ours.csv", out.getvalue().encode("utf-8"))])
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith(
        "ours.csv:row 4, column 5 (Description format): '9' is not a Moodle description format"
    )
    assert _count(engine) == 0


def test_oversized_upload_is_413(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    response = _post_files(client, [("framework.yaml", b" " * (1024 * 1024 + 1))])
    assert response.status_code == 413
    assert response.json()["title"] == "Request too large"
    assert _count(engine) == 0


def test_moodle_csv_with_profiles_and_curriculum_round_trips(
    client: TestClient, engine: Engine
) -> None:
    login(client, "instructor")
    moodle = client.get(f"{API}/exports/moodle", params={"lang": "en"}).content
    response = _post_files(
        client,
        [
            ("scro-moodle.csv", moodle),
            ("profiles.yaml", (DATA / "profiles.yaml").read_bytes()),
            ("curriculum.yaml", (DATA / "curriculum.yaml").read_bytes()),
        ],
        label="From Moodle",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "moodle" and body["active"] is True
    assert body["summary"] == {
        "areas": 4,
        "competences": 20,
        "profiles": 4,
        "modules": 27,
        "programmes": 2,
    }
    framework = client.get(f"{API}/framework").json()
    assert framework["source"]["label"] == "From Moodle"
    bundled = load_bundled().framework
    assert [c["id"] for a in framework["areas"] for c in a["competences"]] == [
        c.id for c in bundled.competences
    ]


def test_whole_document_upload_switching_and_deleting(client: TestClient, engine: Engine) -> None:
    login(client, "admin")
    document = client.get(f"{API}/exports/json").content
    created = _post_files(client, [("our-catalogue.json", document)], activate="false")
    assert created.status_code == 201
    upload = created.json()
    assert upload["kind"] == "document" and upload["active"] is False
    assert client.get(f"{API}/framework").json()["source"]["bundled"] is True
    token = {"X-CSRF-Token": csrf_of(client)}
    chosen = client.put(f"{API}/catalogues/active", json={"id": upload["id"]}, headers=token)
    assert chosen.json()["upload_id"] == upload["id"]
    assert client.get(f"{API}/framework").json()["source"]["upload_id"] == upload["id"]
    listed = client.get(f"{API}/catalogues").json()
    assert [(c["id"], c["active"]) for c in listed] == [(upload["id"], True)]
    back = client.put(f"{API}/catalogues/active", json={"id": None}, headers=token)
    assert back.json()["bundled"] is True
    missing = client.put(f"{API}/catalogues/active", json={"id": 999}, headers=token)
    assert missing.status_code == 404
    assert client.delete(f"{API}/catalogues/{upload['id']}", headers=token).status_code == 204
    assert client.delete(f"{API}/catalogues/{upload['id']}", headers=token).status_code == 404
    assert _count(engine) == 0
