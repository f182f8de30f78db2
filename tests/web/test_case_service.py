"""The CASE 1.0 service: the URIs of the downloaded packages resolve, without signing in."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from crisis.competences import load_bundled
from crisis.settings import Settings
from tests.conftest import csrf_of, login

pytestmark = pytest.mark.usefixtures("accounts")
BASE = "https://crisis.example.edu"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-0123456789", base_url=BASE
    )


def test_downloaded_case_uris_resolve_on_the_service(client: TestClient) -> None:
    login(client, "learner")
    response = client.get("/competences/export/case?lang=pt")
    assert response.status_code == 200
    package = json.loads(response.content)
    assert package["CFDocument"]["uri"].startswith(f"{BASE}/ims/case/v1p0/CFDocuments/")
    client.cookies.clear()  # the service is public: a verifier of a badge has no account
    item = package["CFItems"][5]
    path = urlsplit(item["uri"]).path
    assert client.get(path).json() == item
    association = package["CFAssociations"][0]
    assert client.get(urlsplit(association["uri"]).path).json() == association
    whole = client.get(f"/ims/case/v1p0/CFPackages/{package['CFDocument']['identifier']}")
    assert whole.json() == package
    documents = client.get("/ims/case/v1p0/CFDocuments").json()["CFDocuments"]
    titles = {(d["language"], d["title"]) for d in documents}
    assert ("el", load_bundled().framework.title.get("el")) in titles
    assert len(documents) == 8  # framework and curriculum in four languages


def test_unknown_identifiers_get_problem_json(client: TestClient) -> None:
    response = client.get("/ims/case/v1p0/CFItems/00000000-0000-5000-8000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "no CFItem" in response.json()["detail"]


def test_a_case_package_can_be_uploaded_as_the_framework(client: TestClient) -> None:
    login(client, "instructor")
    package = client.get("/competences/export/case?lang=de").content
    response = client.post(
        "/competences/manage/upload",
        data={"csrf_token": csrf_of(client), "label": "from CASE"},
        files=[("files", ("scro-de.json", package, "application/json"))],
    )
    assert response.status_code == 200, response.text
    assert "Uploaded and now in use: from CASE" in response.text
    framework = client.get("/api/v1/competences/framework?lang=en").json()
    assert framework["title"] == load_bundled().framework.title.get("de")
    assert len([c for a in framework["areas"] for c in a["competences"]]) == 20
    broken = json.loads(package)
    broken["CFAssociations"][0]["destinationNodeURI"]["identifier"] = "nowhere"
    refused = client.post(
        "/competences/manage/upload",
        data={"csrf_token": csrf_of(client)},
        files=[("files", ("broken.json", json.dumps(broken).encode(), "application/json"))],
    )
    assert refused.status_code == 400
    assert "broken.json:" in refused.text and "neither the document nor an item" in refused.text
