"""Checking a VC-JWT Open Badge: which check passed and which failed, in plain words.

The checks, in order: the token is a well-formed JWT; its key is one of the issuer's
(``unknown key`` otherwise); the signature matches (``tampered`` otherwise); it is an
OpenBadgeCredential whose ``iss`` is its issuer; it is valid now (``not yet valid`` /
``expired``); and its revocation bit is clear (``revoked`` otherwise).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crisis.credentials import status


@dataclass(frozen=True)
class Check:
    """One check and its outcome."""

    name: str
    ok: bool
    message: str


@dataclass
class Report:
    """The outcome of verifying one credential."""

    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> str | None:
        """The name of the first failed check (``tampered``, ``revoked``...), if any."""
        return next((c.name for c in self.checks if not c.ok), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "failed": self.failed,
            "checks": [{"check": c.name, "ok": c.ok, "message": c.message} for c in self.checks],
            "credential": self.credential,
        }


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(
    token: str,
    public_keys: dict[str, Ed25519PublicKey],
    revocation_list: Callable[[str], str | None],
    *,
    now: datetime | None = None,
) -> Report:
    """Verify a compact VC-JWT.

    Args:
        token: The JWT.
        public_keys: The issuer's keys by ``kid`` (the full URL with its fragment).
        revocation_list: The ``encodedList`` of a status list credential URL, or ``None``
            when the URL is not one of this issuer's lists.
        now: The time to check validity at (default: now).
    """
    report = Report()
    checks = report.checks
    parts = token.strip().split(".")
    try:
        if len(parts) != 3:
            raise ValueError("expected three dot-separated parts")
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
        signature = _b64(parts[2])
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("header and payload must be JSON objects")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        checks.append(Check("format", False, f"not a compact JWT: {exc}"))
        return report
    checks.append(Check("format", True, "a compact JWT"))
    report.credential = {k: v for k, v in claims.items() if k not in ("iss", "jti", "nbf", "exp")}
    key = public_keys.get(str(header.get("kid")))
    if header.get("alg") != "EdDSA" or key is None:
        checks.append(
            Check(
                "unknown key",
                False,
                f"signed with a key this issuer never published "
                f"({header.get('kid')!r}, {header.get('alg')!r})",
            )
        )
        return report
    checks.append(Check("key", True, f"signed with the issuer's key {header['kid']}"))
    try:
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        checks.append(Check("tampered", False, "the signature does not match the content"))
        return report
    checks.append(Check("signature", True, "the content is exactly as signed"))
    types = claims.get("type") or []
    issuer = (
        (claims.get("issuer") or {}).get("id")
        if isinstance(claims.get("issuer"), dict)
        else claims.get("issuer")
    )
    if "OpenBadgeCredential" not in types or claims.get("iss") != issuer:
        checks.append(Check("content", False, "not an OpenBadgeCredential of this issuer"))
        return report
    checks.append(Check("content", True, "an OpenBadgeCredential of this issuer"))
    moment = (now or datetime.now(UTC)).timestamp()
    if isinstance(claims.get("nbf"), int) and moment < claims["nbf"]:
        checks.append(Check("not yet valid", False, "its validity has not started"))
        return report
    if isinstance(claims.get("exp"), int) and moment >= claims["exp"]:
        checks.append(Check("expired", False, f"it expired on {claims.get('validUntil')}"))
        return report
    checks.append(Check("validity", True, f"valid from {claims.get('validFrom')}"))
    entry = claims.get("credentialStatus") or {}
    encoded = revocation_list(str(entry.get("statusListCredential")))
    try:
        if encoded is None:
            raise ValueError(f"unknown status list {entry.get('statusListCredential')!r}")
        revoked = status.is_set(encoded, int(str(entry.get("statusListIndex"))))
    except (ValueError, TypeError) as exc:
        checks.append(Check("status", False, f"its revocation status cannot be read: {exc}"))
        return report
    if revoked:
        checks.append(Check("revoked", False, "the issuer has revoked it"))
    else:
        checks.append(Check("status", True, "not revoked"))
    return report
