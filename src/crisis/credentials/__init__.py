"""Open Badges 3.0 credentials: achievements, issuing as VC-JWT, revocation, verification."""

from crisis.credentials.achievements import (
    MIN_CONFIDENCE,
    Issuer,
    achievement_id,
    competence_achievement,
    module_achievement,
)
from crisis.credentials.issuing import build, sign, status_list_credential
from crisis.credentials.keys import KeyRing, SigningKey
from crisis.credentials.verification import Check, Report, verify

__all__ = [
    "MIN_CONFIDENCE",
    "Check",
    "Issuer",
    "KeyRing",
    "Report",
    "SigningKey",
    "achievement_id",
    "build",
    "competence_achievement",
    "module_achievement",
    "sign",
    "status_list_credential",
    "verify",
]
