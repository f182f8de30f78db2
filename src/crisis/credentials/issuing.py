"""Open Badges 3.0 credentials: built as W3C Verifiable Credentials and signed as VC-JWT.

The JWT's payload is the ``OpenBadgeCredential`` itself with the registered claims OB 3.0 asks
for (``iss`` the issuer's id, ``jti`` the credential's id, ``nbf`` its ``validFrom``, ``exp``
its ``validUntil`` if any); the header names the algorithm (``EdDSA``, Ed25519) and the key
(``kid``, a URL of the issuer's published key set with the key's id as fragment).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crisis.credentials.achievements import Issuer
from crisis.credentials.keys import SigningKey, b64url

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


def stamp(when: datetime) -> str:
    """An XML Schema date-time in UTC, to the second."""
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def recipient(name: str, salt: str | None = None) -> dict[str, Any]:
    """An ``IdentityObject`` naming the learner by a salted SHA-256 of their name."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256((name + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "name",
        "hashed": True,
        "salt": salt,
    }


def status_list_url(issuer: Issuer) -> str:
    """Where the issuer's revocation list is published."""
    return f"{issuer.base_url}/credentials/status/revocation"


def build(
    issuer: Issuer,
    achievement: dict[str, Any],
    *,
    learner_name: str,
    status_index: int,
    issued: datetime,
    credential_id: str | None = None,
    evidence: str | None = None,
    valid_until: datetime | None = None,
    salt: str | None = None,
) -> dict[str, Any]:
    """An unsigned ``OpenBadgeCredential`` for ``achievement`` awarded to ``learner_name``."""
    status = status_list_url(issuer)
    credential: dict[str, Any] = {
        "@context": CONTEXTS,
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": TYPES,
        "issuer": issuer.profile(),
        "validFrom": stamp(issued),
        "name": achievement["name"],
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [recipient(learner_name, salt)],
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": f"{status}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": status,
        },
    }
    if valid_until is not None:
        credential["validUntil"] = stamp(valid_until)
    if evidence:
        credential["evidence"] = [{"type": ["Evidence"], "narrative": evidence}]
    return credential


def _epoch(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def sign(credential: dict[str, Any], key: SigningKey, issuer: Issuer) -> str:
    """The credential as a compact VC-JWT signed with ``key``."""
    header = {"alg": "EdDSA", "typ": "JWT", "kid": f"{keys_url(issuer)}#{key.kid}"}
    claims = {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": _epoch(credential["validFrom"]),
    }
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    signing_input = ".".join(
        b64url(json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        for part in (header, claims)
    )
    private: Ed25519PrivateKey = key.private
    return f"{signing_input}.{b64url(private.sign(signing_input.encode('ascii')))}"


def keys_url(issuer: Issuer) -> str:
    """Where the issuer publishes its public keys (a JWK Set)."""
    return f"{issuer.base_url}/credentials/keys"


def status_list_credential(issuer: Issuer, encoded_list: str, issued: datetime) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` that carries the revocation list."""
    url = status_list_url(issuer)
    return {
        "@context": [CONTEXTS[0]],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.profile(),
        "validFrom": stamp(issued),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
    }
