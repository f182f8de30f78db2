"""The ESCO mappings page: upload ESCO files in several languages, review, accept, export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crisis.store.competence_tables import CompetenceCatalogue
from tests.conftest import csrf_of, login

pytestmark = pytest.mark.usefixtures("accounts")
ESCO = Path(__file__).parents[1] / "competences" / "data" / "esco"


def _files(*names: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (n, (ESCO / n).read_bytes(), "text/csv")) for n in names]


def _catalogues(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count(CompetenceCatalogue.id))) or 0


def test_review_accept_and_export_esco_mappings(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    response = client.post(
        "/competences/esco",
        data={"csrf_token": csrf_of(client)},
        files=_files("skills_en.csv", "skills_el.csv", "skills_de.csv"),
    )
    assert response.status_code == 200, response.text
    assert "282 ESCO skills read in en, el, de" in response.text
    values = re.findall(r'name="accept" value="([^"]+)"', response.text)
    suggested = [json.loads(v.replace("&#34;", '"')) for v in values]
    plans = next(uri for comp, uri in suggested if comp == "C14")
    assert _catalogues(engine) == 0  # suggesting stores nothing
    accepted = client.post(
        "/competences/esco/accept",
        data={"csrf_token": csrf_of(client), "accept": json.dumps(["C14", plans])},
    )
    assert accepted.status_code == 200
    assert "1 mapping accepted" in accepted.text
    assert _catalogues(engine) == 1
    assert plans in client.get("/competences/C14").text
    exported = client.get("/competences/export/json").json()
    c14 = next(
        c for a in exported["framework"]["areas"] for c in a["competences"] if c["id"] == "C14"
    )
    assert c14["mappings"]["esco"] == [plans]
    assert plans in client.get("/competences/export/esco").text


def test_bad_esco_files_and_forged_choices_are_refused(client: TestClient, engine: Engine) -> None:
    login(client, "instructor")
    response = client.post(
        "/competences/esco",
        data={"csrf_token": csrf_of(client)},
        files=[("files", ("skills_en.csv", b"conceptUri,skillType\nnope,x\n", "text/csv"))],
    )
    assert response.status_code == 400
    assert "skills_en.csv:row 1: missing ESCO column(s)" in response.text
    forged = client.post(
        "/competences/esco/accept",
        data={"csrf_token": csrf_of(client), "accept": ['["C99", "http://x"]', "not json"]},
    )
    assert forged.status_code == 400
    assert "competence &#39;C99&#39; is not in the framework" in forged.text
    assert _catalogues(engine) == 0


def test_learners_cannot_map(client: TestClient) -> None:
    login(client, "learner")
    assert client.get("/competences/esco").status_code == 403
