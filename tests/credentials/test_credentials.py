"""Open Badges 3.0 domain: keys, achievements, signing, revocation, verification, baking."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta

import pytest

from crisis.competences import load_bundled
from crisis.credentials import (
    Issuer,
    KeyRing,
    build,
    competence_achievement,
    issuing,
    module_achievement,
    sign,
    status,
    verify,
)
from crisis.credentials.baking import badge_png, badge_svg, bake_png, bake_svg, unbake
from crisis.credentials.keys import b64url
from crisis.credentials.rules import due
from crisis.learners import Evidence, build_profile

ISSUER = Issuer("CRISIS test university", "https://crisis.example.edu")
WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _credential(index=0, **extra):
    cat = load_bundled()
    achievement = competence_achievement(cat, cat.competence("C11"), 3, ISSUER)
    return build(
        ISSUER, achievement, learner_name="Eleni", status_index=index, issued=WHEN, **extra
    )


def _keys(ring):
    return {f"{issuing.keys_url(ISSUER)}#{k.kid}": k.public for k in ring.all()}


def _lists(revoked=()):
    return lambda url: status.encode(revoked) if url == issuing.status_list_url(ISSUER) else None


def test_keys_are_private_files_and_rotation_keeps_old_credentials_verifiable(tmp_path):
    ring = KeyRing(tmp_path / "keys")
    first = ring.current()
    path = tmp_path / "keys" / "ed25519-1.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    old = sign(_credential(), first, ISSUER)
    second = ring.rotate()
    assert ring.current().kid == second.kid == "key-2"
    assert [k["kid"] for k in ring.jwks()["keys"]] == ["key-2", "key-1"]
    assert verify(old, _keys(ring), _lists(), now=WHEN).valid
    assert verify(sign(_credential(), second, ISSUER), _keys(ring), _lists(), now=WHEN).valid


def test_achievement_aligns_to_case_items_and_ecf():
    cat = load_bundled()
    comp = cat.competence("C11")
    achievement = competence_achievement(cat, comp, 3, ISSUER, "el")
    assert achievement["achievementType"] == "Competency"
    assert achievement["description"] == comp.levels[3].get("el")
    targets = {a["targetCode"]: a for a in achievement["alignment"] if "targetCode" in a}
    assert targets["C11-L3"]["targetUrl"].startswith(f"{ISSUER.base_url}/ims/case/v1p0/CFItems/")
    assert targets["C11"]["targetType"] == "CFItem"
    assert targets["E.3"]["targetFramework"] == "e-CF 4.0 (EN 16234-1:2019)"
    assert targets["E.3"]["targetUrl"].startswith(
        f"{ISSUER.base_url}/ims/case/v1p0/CFAssociations/"
    )
    module = module_achievement(cat, cat.curriculum.modules[0], ISSUER)
    assert module["achievementType"] == "Course" and module["alignment"]


@pytest.mark.parametrize(
    ("spoil", "failed"),
    [
        ("payload", "tampered"),
        ("key", "unknown key"),
        ("expired", "expired"),
        ("revoked", "revoked"),
        ("garbage", "format"),
    ],
)
def test_verification_names_the_check_that_fails(tmp_path, spoil, failed):
    ring = KeyRing(tmp_path / "keys")
    credential = _credential(index=7)
    if spoil == "expired":
        credential = _credential(index=7, valid_until=WHEN + timedelta(days=30))
    token = sign(credential, ring.current(), ISSUER)
    keys, lists, now = _keys(ring), _lists(), WHEN + timedelta(days=1)
    if spoil == "payload":
        header, payload, signature = token.split(".")
        claims = json.loads(__import__("base64").urlsafe_b64decode(payload + "=="))
        claims["credentialSubject"]["achievement"]["name"] = "Expert in everything"
        token = ".".join((header, b64url(json.dumps(claims).encode()), signature))
    elif spoil == "key":
        other = KeyRing(tmp_path / "other")
        other.rotate()
        token = sign(credential, other.rotate(), ISSUER)  # 'key-2', never published here
    elif spoil == "expired":
        now = WHEN + timedelta(days=31)
    elif spoil == "revoked":
        lists = _lists([3, 7])
    elif spoil == "garbage":
        token = "not a token"
    report = verify(token, keys, lists, now=now)
    assert not report.valid and report.failed == failed


def test_status_list_bits():
    encoded = status.encode([0, 9, 131_071])
    assert encoded.startswith("u")
    assert [status.is_set(encoded, i) for i in (0, 1, 9, 131_071)] == [True, False, True, True]
    with pytest.raises(ValueError):
        status.is_set(encoded, 131_072)


def test_baked_png_and_svg_carry_the_credential():
    png = bake_png(badge_png("Hazard identification", 3, "Advanced", "C11"), "a.b.c")
    assert png.startswith(b"\x89PNG") and unbake(png) == "a.b.c"
    svg = bake_svg(badge_svg("Risk <&> assessment", 3, "Advanced", "C11"), "a.b.c")
    assert "openbadges:credential" in svg and unbake(svg.encode()) == "a.b.c"
    assert unbake(badge_png("x", 1, "Basic", "C01")) is None


def test_evidence_rule_needs_more_than_a_self_rating():
    cat = load_bundled()
    rated = build_profile(cat, self_ratings={"C11": 4})
    assert due(rated, []) == []
    strong = [Evidence("C11", 3.2, 0.3, "exercise") for _ in range(3)]
    profile = build_profile(cat, self_ratings={"C11": 3}, evidence=strong)
    awarded = due(profile, [])
    assert [(d.competence, d.level) for d in awarded] == [("C11", 3)]
    assert awarded[0].confidence >= 0.9
    assert due(profile, [("C11", 3)]) == [] and due(profile, [("C11", 4)]) == []
    assert [(d.competence, d.level) for d in due(profile, [("C11", 2)])] == [("C11", 3)]
