"""Open Badges in the app: a learner earns a credential, downloads it, an independent verifier
accepts it and, after revocation, reports it revoked.

The independent verifier here shares no code with CRISIS's: it verifies the VC-JWT with
``jwcrypto`` (its own JOSE implementation) against the JWK Set the issuer publishes, reads the
baked PNG with its own chunk parser, and decodes the Bitstring Status List with the standard
library (base64url, gzip), after verifying the status list credential's own signature.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import struct
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from jwcrypto import jwk, jws

from crisis.learners import load_bundled_items
from crisis.settings import Settings
from tests.conftest import csrf_of, login

pytestmark = pytest.mark.usefixtures("accounts")
BASE = "https://crisis.example.edu"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-0123456789",
        base_url=BASE,
        issuer_name="Test University",
    )


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def take_test_correctly(client: TestClient) -> None:
    """Answer every question of the adaptive test correctly."""
    answers = {item.id: item.answer for item in load_bundled_items().items}
    client.post("/learning/test/start", data={"csrf_token": csrf_of(client)})
    for _ in range(120):
        page = client.get("/learning/test", follow_redirects=False)
        if page.status_code == 303:
            return
        item = _hidden(page.text, "item")
        form = {
            "attempt": _hidden(page.text, "attempt"),
            "item": item,
            "sequence": _hidden(page.text, "sequence"),
            "option": str(answers[item]),
            "csrf_token": csrf_of(client),
        }
        response = client.post("/learning/test/answer", data=form, follow_redirects=False)
        assert response.status_code == 303
        if response.headers["location"] != "/learning/test":
            return
    raise AssertionError("the test did not end")


# --- the independent verifier ---------------------------------------------------------------


def _get(client: TestClient, url: str) -> bytes:
    assert url.startswith(BASE), url
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200, url
    return response.content


def _verified_claims(client: TestClient, token: str) -> dict:
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    keys_url, _, kid = header["kid"].partition("#")
    keyset = jwk.JWKSet.from_json(_get(client, keys_url).decode())
    key = keyset.get_key(kid)
    assert key is not None, f"unknown key {kid}"
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(key, alg="EdDSA")  # raises InvalidJWSSignature when tampered
    return json.loads(signed.payload)


def independent_verdict(client: TestClient, token: str) -> str:
    """'valid', 'revoked', 'expired' or 'tampered', decided without CRISIS's code."""
    try:
        claims = _verified_claims(client, token)
    except jws.InvalidJWSSignature:
        return "tampered"
    assert "OpenBadgeCredential" in claims["type"]
    assert claims["iss"] == claims["issuer"]["id"] and claims["jti"] == claims["id"]
    now = time.time()
    if claims["nbf"] > now or claims.get("exp", now + 1) <= now:
        return "expired"
    entry = claims["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    status = _verified_claims(client, _get(client, entry["statusListCredential"]).decode())
    assert "BitstringStatusListCredential" in status["type"]
    encoded = status["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"  # multibase base64url
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    index = int(entry["statusListIndex"])
    return "revoked" if bits[index // 8] >> (7 - index % 8) & 1 else "valid"


def _png_credential(png: bytes) -> str:
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, body = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        if kind == b"iTXt" and body.split(b"\0", 1)[0] == b"openbadgecredential":
            return body.split(b"\0", 1)[1][4:].decode()  # flags, method, empty tag and keyword
        at += 12 + length
    raise AssertionError("no baked credential in the PNG")


# --- the journey ----------------------------------------------------------------------------


def test_learner_earns_downloads_verifies_and_sees_revocation(client: TestClient) -> None:
    login(client, "learner")
    assert "No credential yet" in client.get("/credentials").text
    take_test_correctly(client)
    wallet = client.get("/credentials")
    assert wallet.status_code == 200
    assert "new credentials have been awarded to you" in wallet.text
    mine = client.get("/api/v1/credentials").json()
    assert mine and all(c["level"] == 3 for c in mine)  # a perfect test shows Advanced
    credential = next(c for c in mine if c["competence"] == "C11")
    ident = credential["id"].rsplit("/", 1)[-1]
    assert client.get("/credentials").text.count("credential-card") == len(mine)  # once each

    png = client.get(f"/credentials/{ident}/credential.png")
    assert png.headers["content-type"] == "image/png"
    token = _png_credential(png.content)
    assert token == credential["jwt"]
    enveloped = client.get(f"/credentials/{ident}/credential.json").json()
    assert enveloped["id"] == f"data:application/vc+jwt,{token}"
    assert independent_verdict(client, token) == "valid"
    claims = _verified_claims(client, token)
    achievement = claims["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{BASE}/credentials/achievements/C11/3"
    assert claims["issuer"]["name"] == "Test University"
    assert {a["targetCode"] for a in achievement["alignment"] if "targetCode" in a} >= {
        "C11",
        "C11-L3",
        "E.3",
    }

    # A forged change is caught by the independent verifier and by the verification page.
    head, body, sig = token.split(".")
    forged_claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged_claims["credentialSubject"]["achievement"]["name"] = "Expert in everything"
    forged_body = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=")
    forged = f"{head}.{forged_body.decode()}.{sig}"
    assert independent_verdict(client, forged) == "tampered"
    client.cookies.clear()  # verifying needs no account
    page = client.post("/credentials/verify", data={"token": forged, "csrf_token": csrf_of(client)})
    assert "Not valid: tampered" in page.text

    login(client, "instructor")
    client.post(
        f"/credentials/{ident}/revoke",
        data={"reason": "issued in error", "csrf_token": csrf_of(client)},
    )
    assert independent_verdict(client, token) == "revoked"
    report = client.post("/api/v1/credentials/verify", json={"credential": token}).json()
    assert report["valid"] is False and report["failed"] == "revoked"
    uploaded = client.post(
        "/credentials/verify",
        data={"csrf_token": csrf_of(client)},
        files={"file": ("badge.png", png.content, "image/png")},
    )
    assert "Not valid: revoked" in uploaded.text


def test_instructor_awards_by_hand_and_bad_input_is_refused(client: TestClient) -> None:
    login(client, "instructor")
    token = csrf_of(client)
    bad = client.post(
        "/credentials/manage/issue",
        data={"learner": "nobody", "competence": "C99", "level": "7", "csrf_token": token},
    )
    assert bad.status_code == 400
    assert (
        "there is no account" in bad.text and "C99" in bad.text and "not 1, 2, 3 or 4" in bad.text
    )
    good = client.post(
        "/credentials/manage/issue",
        data={
            "learner": "learner",
            "competence": "C14",
            "level": "2",
            "note": "led the tabletop exercise of our flood plan",
            "csrf_token": token,
        },
    )
    assert good.status_code == 200 and "Issued:" in good.text
    login(client, "learner")
    mine = client.get("/api/v1/credentials").json()
    assert [(c["competence"], c["level"]) for c in mine] == [("C14", 2)]
    ident = mine[0]["id"].rsplit("/", 1)[-1]
    assert independent_verdict(client, mine[0]["jwt"]) == "valid"
    svg = client.get(f"/credentials/{ident}/credential.svg").text
    assert "<openbadges:credential>" in svg
    login(client, "analyst")  # someone else's credential cannot be downloaded...
    assert client.get(f"/credentials/{ident}/credential.jwt").status_code == 404
    public = client.get(f"/credentials/{ident}")  # ...but its public page shows it is valid
    assert "Valid: every check passed" in public.text


def test_issuer_profile_keys_and_achievements_are_public(client: TestClient) -> None:
    profile = client.get("/credentials/issuer").json()
    assert profile["id"] == f"{BASE}/credentials/issuer" and profile["url"] == BASE
    assert client.get("/credentials/keys").json()["keys"][0]["crv"] == "Ed25519"
    achievement = client.get("/credentials/achievements/C11/3").json()
    assert achievement["achievementType"] == "Competency"
    assert client.get("/credentials/achievements/C11/9").status_code == 404
    assert client.post("/api/v1/credentials/verify", json={"credential": "x"}).status_code == 400
